"""Building the Application from `Settings` and serving it by long polling or a webhook."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import signal
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import Forbidden, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.conversation import Conversations
from bot.knowledge import KnowledgeError
from bot.serving import KnowledgeService
from bot.settings import Settings
from bot.telegram_bot import handlers
from bot.telegram_bot.addressing import FROM_PEOPLE
from bot.telegram_bot.admin import reload_command
from bot.telegram_bot.health import serve_health
from bot.telegram_bot.journal import JournaledProcessor, JournaledQueue, UpdateJournal
from bot.telegram_bot.limits import MESSAGES_PER_SECOND, GatedRequest, TelegramLimits
from bot.telegram_bot.logs import hide_secret, redact
from bot.telegram_bot.ordering import ChatOrderedProcessor
from bot.telegram_bot.runtime import RUNTIME_KEY, Runtime, runtime_of
from bot.telegram_bot.transport import AiohttpRequest

log = logging.getLogger(__name__)

BotApp = Application[Any, Any, Any, Any, Any, Any]
# Only new messages: edits, channel posts and the rest would be ignored anyway.
ALLOWED_UPDATES = [Update.MESSAGE]
MAX_CONCURRENT_UPDATES = 256
PUBLIC_COMMANDS = (
    BotCommand("start", "What I can answer, with examples"),
    BotCommand("help", "How to ask, in private and in groups"),
    BotCommand("ask", "Ask a question (in groups: /ask your question)"),
)
ADMIN_COMMANDS = (*PUBLIC_COMMANDS, BotCommand("reload", "Re-read the articles (admins)"))


def build_application(settings: Settings, service: KnowledgeService, *,
                      reload_on_sighup: bool = False) -> BotApp:
    """An Application wired to `service`, not yet initialized; `run` or a test starts it.
    With `reload_on_sighup` (the served process), SIGHUP reloads the knowledge base."""
    if settings.token is None:
        raise ValueError("BOT_TOKEN is not set: put the token from @BotFather in .env")
    hide_secret(settings.token.get_secret_value())
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.api_base_url)
        .base_file_url(file_url(settings.api_base_url))
        .request(GatedRequest(
            messages_per_second=MESSAGES_PER_SECOND if settings.rate_limit else None))
        .get_updates_request(AiohttpRequest())  # PTB's would be an HTTPXRequest
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(start_up_reloading_on_sighup if reload_on_sighup else start_up)
    )
    path = journal_path(settings)
    if path is None:
        builder = builder.concurrent_updates(ChatOrderedProcessor(MAX_CONCURRENT_UPDATES))
    else:
        # Opened and closed with the Application (by the processor's initialize and shutdown).
        journal = UpdateJournal(path)
        builder = (builder.update_queue(JournaledQueue(journal))
                   .concurrent_updates(JournaledProcessor(MAX_CONCURRENT_UPDATES, journal)))
    if settings.rate_limit:
        builder = builder.rate_limiter(TelegramLimits(max_retries=3))
    app: BotApp = builder.build()
    app.bot_data[RUNTIME_KEY] = Runtime(settings, service, Conversations(ttl=settings.context_ttl))
    add_handlers(app)
    if settings.webhook_url and settings.health_path:
        serve_health(app, settings.health_path)
    return app


def add_handlers(app: BotApp) -> None:
    # New messages from people only: edits, channel posts and other bots never get an answer.
    people = filters.UpdateType.MESSAGE & FROM_PEOPLE
    text = people & filters.TEXT & ~filters.COMMAND
    # A photo, file or sticker instead of text: its caption is the question, if it has one.
    media = people & ~filters.TEXT & (filters.CAPTION | filters.ATTACHMENT)
    app.add_handlers([
        CommandHandler("start", handlers.start, filters=people),
        CommandHandler("help", handlers.help_command, filters=people),
        CommandHandler("ask", handlers.ask_command, filters=people),
        CommandHandler("reload", reload_command, filters=people),
        MessageHandler(people & filters.COMMAND & filters.ChatType.PRIVATE,
                       handlers.unknown_command),
        MessageHandler((text | media) & filters.ChatType.PRIVATE, handlers.private_question),
        MessageHandler((text | (media & filters.CAPTION)) & filters.ChatType.GROUPS,
                       handlers.group_message),
    ])
    app.add_error_handler(error_handler)


def journal_path(settings: Settings) -> Path | None:
    """The update journal's file: one per bot, so that another token never replays its updates."""
    if settings.state_dir is None or settings.token is None:
        return None
    bot_id = settings.token.get_secret_value().split(":", 1)[0]
    return settings.state_dir / f"updates-{bot_id if bot_id.isdigit() else 'bot'}.sqlite3"


async def start_up(app: BotApp) -> None:
    """Before any update is fetched: queue what the last run left unhandled, set the menus."""
    if isinstance(app.update_queue, JournaledQueue):
        app.update_queue.requeue_unhandled(app.bot)
    runtime_of(app.bot_data).service.warm_up()
    await set_commands(app)


async def set_commands(app: BotApp) -> None:
    """Command menus: the public list for everyone, plus /reload in each admin's private chat.
    A failure (an admin who never started the bot gives "chat not found") is only logged."""
    bot: Bot = app.bot
    menus: list[tuple[tuple[BotCommand, ...], Any]] = [(PUBLIC_COMMANDS, BotCommandScopeDefault())]
    admins = sorted(runtime_of(app.bot_data).settings.admin_ids)
    menus += [(ADMIN_COMMANDS, BotCommandScopeChat(admin)) for admin in admins]
    for commands, scope in menus:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:
            log.warning("could not set the command menu for %s: %s", _scope_name(scope), exc)
    log.info("serving @%s", bot.username)


async def start_up_reloading_on_sighup(app: BotApp) -> None:
    """`start_up`, and from then on SIGHUP reloads the knowledge base as /reload does: the way
    for an operator, or a deploy script, to reload every instance of a bot behind a webhook,
    where an admin's /reload reaches only the one instance that received it."""
    await start_up(app)
    if hasattr(signal, "SIGHUP"):  # not on Windows
        service = runtime_of(app.bot_data).service
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGHUP, lambda: app.create_task(reload_on_signal(service)))


async def reload_on_signal(service: KnowledgeService) -> None:
    log.info("SIGHUP: reloading the knowledge base")
    try:
        await asyncio.to_thread(service.reload)  # off the loop, as /reload does
    except KnowledgeError as exc:
        log.error("reload on SIGHUP failed, still serving the previous knowledge base: %s", exc)


def _scope_name(scope: Any) -> str:
    return f"admin {scope.chat_id}" if isinstance(scope, BotCommandScopeChat) else "everyone"


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what a handler could not handle; the bot goes on with the next update."""
    where = f"update {update.update_id}" if isinstance(update, Update) else "a background task"
    error = context.error
    if isinstance(error, NetworkError | Forbidden):  # Telegram or the network, not our bug
        log.warning("Telegram call failed while handling %s: %s", where, error)
    else:
        log.error("unexpected error while handling %s", where, exc_info=error)


@dataclass(frozen=True, slots=True)
class Webhook:
    """Arguments for `run_webhook` / `Updater.start_webhook`."""

    listen: str
    port: int
    url_path: str
    webhook_url: str
    secret_token: str


def webhook_options(settings: Settings) -> Webhook:
    """Listen on the path of BOT_WEBHOOK_URL; require Telegram to echo the secret token."""
    if settings.webhook_url is None:
        raise ValueError("BOT_WEBHOOK_URL is not set")
    if settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()
    else:
        # Without a secret anyone who finds the URL could post fake updates to it.
        secret = secrets.token_urlsafe(32)
        log.info("BOT_WEBHOOK_SECRET is not set: generated a random one for this run")
    hide_secret(secret)
    path = urlsplit(settings.webhook_url).path.strip("/")
    return Webhook(settings.listen, settings.port, path, settings.webhook_url, secret)


def run(settings: Settings) -> int:
    """Serve Telegram until SIGINT/SIGTERM; the exit code for `python -m bot`.

    On a stop signal PTB stops fetching, then `Application.stop` joins the update queue, whose
    items are marked done only when their handlers return: answers in flight are sent first.
    After a crash the update journal (in BOT_STATE_DIR) gives back what was received but not
    answered.
    """
    try:
        service = KnowledgeService.from_settings(settings)
    except KnowledgeError as exc:
        print(f"Cannot load the knowledge base: {exc}", file=sys.stderr)
        return 1
    path = journal_path(settings)
    if path is not None:
        try:  # here, to say what is wrong; PTB would only log a traceback
            journal = UpdateJournal(path)
            journal.open()
            journal.close()
        except (OSError, sqlite3.Error) as exc:
            print(f"Cannot open the update journal {path}: {exc}. Make BOT_STATE_DIR a writable "
                  "folder, or set it blank to run without a journal.", file=sys.stderr)
            return 1
    # Opt in to PTB 23's timedelta durations now; otherwise PTB 22 warns on every flood wait.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    app = build_application(settings, service, reload_on_sighup=True)
    try:
        if settings.webhook_url:
            hook = webhook_options(settings)
            app.run_webhook(listen=hook.listen, port=hook.port, url_path=hook.url_path,
                            webhook_url=hook.webhook_url, secret_token=hook.secret_token,
                            allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        else:
            app.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
    except TelegramError as exc:  # a revoked token (getMe answers 401), no network, ...
        # PTB's InvalidToken message quotes the token itself.
        reason = redact(str(exc)).rstrip(".")
        print(f"Cannot start the bot: {reason}. Check BOT_TOKEN and BOT_API_BASE_URL.",
              file=sys.stderr)
        return 1
    return 0


def file_url(api_base_url: str) -> str:
    """The file download URL that goes with a Bot API URL: .../bot -> .../file/bot."""
    return re.sub(r"/bot(\{token\})?/?$", r"/file/bot\1", api_base_url)
