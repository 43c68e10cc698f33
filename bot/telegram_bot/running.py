"""Serving a built Application until a stop signal: by long polling, or through our webhook server.

`serving` is the one start and stop sequence, used by `python -m bot` and by the tests alike. On a
stop, the bot stops fetching (or turns webhook POSTs away with 503, which Telegram delivers again
later), then `Application.stop` joins the update queue, whose items are marked done only when their
handlers return: answers in flight are sent before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application

from bot.serving import KnowledgeService
from bot.settings import Settings
from bot.telegram_bot.admin import describe_failure
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.webhook import ALLOWED_UPDATES, WebhookServer, webhook_options

log = logging.getLogger(__name__)

BotApp = Application[Any, Any, Any, Any, Any, Any]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.asynccontextmanager
async def serving(app: BotApp, settings: Settings,
                  allowed_updates: Sequence[str] | None = None
                  ) -> AsyncIterator[WebhookServer | None]:
    """The bot started (post_init included) and fetching updates for the duration of the block;
    yields the webhook server in webhook mode, None when polling."""
    updater = app.updater
    if updater is None:
        raise ValueError("build the Application with an Updater (build_application does)")
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        server = (WebhookServer(app, webhook_options(settings)) if settings.webhook_url
                  else None)
        try:
            if server is not None:
                await server.start()
            else:
                await updater.start_polling(
                    allowed_updates=allowed_updates or ALLOWED_UPDATES,
                    drop_pending_updates=False, error_callback=_polling_failed)
            yield server
        finally:
            if server is not None:
                server.stopping()
            if updater.running:
                await updater.stop()
            if app.running:
                await app.stop()
                if app.post_stop is not None:  # as Application.run_polling calls it
                    await app.post_stop(app)
            if server is not None:
                await server.close()
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:  # as PTB's run_polling and run_webhook do
            await app.post_shutdown(app)


def _polling_failed(error: TelegramError) -> None:
    # PTB retries getUpdates with a growing pause; one line each time instead of a traceback.
    log.warning("fetching updates failed, retrying: %s", error)


async def serve(app: BotApp, settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM; SIGHUP reloads the knowledge base as /reload does."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    async with serving(app, settings):
        if hasattr(signal, "SIGHUP"):  # not on Windows
            service = runtime_of(app.bot_data).service
            loop.add_signal_handler(
                signal.SIGHUP, lambda: app.create_task(reload_on_signal(service)))
        await stop.wait()
        log.info("stopping: answering what was already received")
        # A reload building a large index would hold the stop for up to BOT_BUILD_TIMEOUT:
        # its build is stopped instead, and the reload fails with the old index in place.
        runtime_of(app.bot_data).service.close()


async def reload_on_signal(service: KnowledgeService) -> None:
    """SIGHUP: the way for an operator, or a deploy script, to reload every instance of a bot
    behind a webhook, where an admin's /reload reaches only the one instance that received it."""
    log.info("SIGHUP: reloading the knowledge base")
    try:
        report = await asyncio.to_thread(service.reload)  # off the loop, as /reload does
    except Exception as exc:  # any failure: the old index keeps serving
        log.error("reload on SIGHUP failed, still serving the previous knowledge base: %s",
                  describe_failure(exc))
        return
    log.info("reloaded: %d documents, %d passages", report.documents, report.passages)
