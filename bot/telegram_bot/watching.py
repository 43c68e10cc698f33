"""The knowledge folder watched for edits on disk while the bot serves (BOT_WATCH_KNOWLEDGE):
started and stopped with the Application, and each admin told, in their private chat, when an
edit breaks the knowledge base (once per error, however many writes made it) and when it loads
again. Admins who never started a chat with the bot cannot be written to: that is logged."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.library import WatchResult
from bot.library.watch import watch
from bot.telegram_bot import admin
from bot.telegram_bot.admin import describe_failure, library_of
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import with_retries

log = logging.getLogger(__name__)
BotApp = Application[Any, Any, Any, Any, Any, Any]
WATCH_KEY = "watching"


async def start(app: BotApp) -> None:
    """Make the knowledge folder's library and, unless BOT_WATCH_KNOWLEDGE is off, watch it."""
    settings = runtime_of(app.bot_data).settings
    library = await asyncio.to_thread(library_of, app.bot_data)  # opens its records: I/O
    if not settings.watch_knowledge:
        return
    stop_event = asyncio.Event()
    task = asyncio.create_task(
        watch(library, functools.partial(tell_admins, app), debounce=settings.watch_debounce,
              stop=stop_event), name="watching the knowledge folder")
    app.bot_data[WATCH_KEY] = (stop_event, task)
    log.info("watching %s for edits", library.folder)


async def stop(app: BotApp) -> None:
    """Stop watching (a reload in progress finishes first), then close the library."""
    found = app.bot_data.pop(WATCH_KEY, None)
    if found is not None:
        stop_event, task = found
        stop_event.set()
        await task
    library = app.bot_data.get(admin.LIBRARY_KEY)
    if library is not None:
        library.close()


async def tell_admins(app: BotApp, result: WatchResult) -> None:
    """Log a reload after an edit on disk; tell the admins when it failed with a new error, or
    when the folder loads again after failing."""
    if result.error is not None:
        log.warning("the knowledge folder changed on disk but cannot be loaded; still serving "
                    "the previous knowledge base: %s", describe_failure(result.error))
        if result.new_error:
            await _to_admins(app, admin.failure_html(
                result.error, head="<b>An edit in the knowledge folder cannot be loaded</b>"))
        return
    report = result.report
    if report is None:
        return
    log.info("reloaded after an edit on disk: %d documents, %d passages", report.documents,
             report.passages)
    if result.recovered:
        skipped = library_of(app.bot_data).skipped()
        await _to_admins(app, "The knowledge folder loads again after the edit on disk.\n"
                              + admin.summary_html(report, skipped))


async def _to_admins(app: BotApp, html: str) -> None:
    for admin_id in sorted(runtime_of(app.bot_data).settings.admin_ids):
        try:
            await with_retries(functools.partial(app.bot.send_message, admin_id, html),
                               f"sendMessage to admin {admin_id}")
        except (Forbidden, BadRequest) as exc:
            log.warning("could not tell admin %d about the knowledge folder (%s); they must "
                        "start a private chat with the bot to be told", admin_id, exc.message)
        except TelegramError as exc:
            log.warning("could not tell admin %d about the knowledge folder: %s", admin_id, exc)
