"""Building the Application from `Settings`, and `run`, which serves it for `python -m bot`.

The one place that wires the bot: requests (python-telegram-bot's `HTTPXRequest`), flood limits,
the update queue and processor (journaled when BOT_STATE_DIR is set), handlers and menus. A new
command is a handler in `handlers` (or `admin`) plus a line in `add_handlers` and the menu.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import sys
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
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.conversation import Conversations
from bot.question_log import QuestionLog
from bot.serving import KnowledgeService
from bot.settings import Settings
from bot.telegram_bot import admin, catalog, feedback, handlers, inline, uploads, watching
from bot.telegram_bot.addressing import FROM_PEOPLE
from bot.telegram_bot.admin import AdminInPrivate, describe_failure, reload_command
from bot.telegram_bot.journal import JournaledProcessor, JournaledQueue, UpdateJournal
from bot.telegram_bot.limits import FloodLimiter
from bot.telegram_bot.logs import hide_secret, redact
from bot.telegram_bot.ordering import MAX_CONCURRENT_UPDATES, ChatOrderedProcessor, UpdateQueue
from bot.telegram_bot.runtime import RUNTIME_KEY, Runtime, runtime_of
from bot.telegram_bot.sending import with_retries
from bot.telegram_bot.stats_command import CALLBACK_PATTERN as STATS_PATTERN
from bot.telegram_bot.stats_command import csv_pressed, stats_command

log = logging.getLogger(__name__)

BotApp = Application[Any, Any, Any, Any, Any, Any]
# Connections to the Bot API. Few: httpx's pool looks at every connection each time a request
# starts or ends, and at Telegram's 30 messages a second (plus as many "typing…" actions) a
# request that takes 100 ms keeps about 6 busy. Measured in benchmarks/load.py.
CONNECTIONS = 16
# Under load requests wait their turn for a connection; a wait that times out was never sent, and
# is retried, but a bound this long is only reached when Telegram itself is stuck.
POOL_TIMEOUT = 10.0
READ_TIMEOUT = 5.0  # getUpdates adds its long-poll time to this
PUBLIC_COMMANDS = (
    BotCommand("start", "What I can answer, with examples"),
    BotCommand("help", "How to ask, in private and in groups"),
    BotCommand("ask", "Ask a question (in groups: /ask your question)"),
    BotCommand("id", "Your user id and this chat's id (for BOT_ADMIN_IDS)"),
)
ADMIN_COMMANDS = (
    *PUBLIC_COMMANDS,
    BotCommand("reload", "Re-read the articles (admins)"),
    BotCommand("docs", "The documents I answer from, and who added them (admins)"),
    BotCommand("remove", "Remove a document, after you confirm (admins)"),
    BotCommand("stats", "What people ask, and what goes unanswered (admins)"),
)
# An admin's message that is a link and nothing else adds the page behind it.
LINK = filters.Regex(r"(?i)^\s*https?://\S+\s*$")


def build_application(settings: Settings, service: KnowledgeService, *,
                      limiter: FloodLimiter | None = None,
                      slots: int = MAX_CONCURRENT_UPDATES,
                      question_log: QuestionLog | None = None) -> BotApp:
    """An Application wired to `service`, not yet initialized; `run` or a test starts it.
    With BOT_RATE_LIMIT the bot's messages go through `limiter` (Telegram's limits by default);
    `slots` updates are handled at once; questions are recorded in `question_log` (by default
    the one in BOT_STATE_DIR, if any)."""
    if settings.token is None:
        raise ValueError("BOT_TOKEN is not set: put the token from @BotFather in .env")
    hide_secret(settings.token.get_secret_value())
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.api_base_url)
        .base_file_url(file_url(settings.api_base_url))
        # Both of PTB's HTTPXRequests: one for the bot's requests, one for getUpdates.
        .connection_pool_size(CONNECTIONS).pool_timeout(POOL_TIMEOUT).read_timeout(READ_TIMEOUT)
        .get_updates_read_timeout(READ_TIMEOUT)
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(start_up)
        .post_stop(watching.stop)
        .post_shutdown(shut_down)
    )
    path = journal_path(settings)
    if path is None:
        builder = (builder.update_queue(UpdateQueue())
                   .concurrent_updates(ChatOrderedProcessor(slots)))
    else:
        # Opened and closed with the Application (by the processor's initialize and shutdown).
        journal = UpdateJournal(path)
        builder = (builder.update_queue(JournaledQueue(journal))
                   .concurrent_updates(JournaledProcessor(journal, slots)))
    if settings.rate_limit:
        builder = builder.rate_limiter(limiter or FloodLimiter())
    app: BotApp = builder.build()
    app.bot_data[RUNTIME_KEY] = Runtime(settings, service, Conversations(ttl=settings.context_ttl))
    app.bot_data[feedback.QUESTION_LOG_KEY] = (
        question_log if question_log is not None else QuestionLog.from_settings(settings))
    add_handlers(app)
    return app


def add_handlers(app: BotApp) -> None:
    # New messages from people only: edits, channel posts and other bots never get an answer.
    people = filters.UpdateType.MESSAGE & FROM_PEOPLE
    text = people & filters.TEXT & ~filters.COMMAND
    # Documents and links from admins in their private chat are additions; from anyone else
    # (and from admins elsewhere) they are what they always are: a question, or a hint.
    admins = people & AdminInPrivate(runtime_of(app.bot_data).settings.admin_ids)
    # A photo, file or sticker instead of text: its caption is the question, if it has one.
    media = people & ~filters.TEXT & (filters.CAPTION | filters.ATTACHMENT)
    app.add_handlers([
        CommandHandler("start", handlers.start, filters=people),
        CommandHandler("help", handlers.help_command, filters=people),
        CommandHandler("ask", handlers.ask_command, filters=people),
        CommandHandler(["id", "whoami"], handlers.id_command, filters=people),
        CommandHandler("reload", reload_command, filters=people),
        CommandHandler("stats", stats_command, filters=people),
        # Each kind of button by its own prefix, so that no handler takes another's presses.
        CallbackQueryHandler(feedback.vote_pressed, pattern=feedback.CALLBACK_PATTERN),
        CallbackQueryHandler(csv_pressed, pattern=STATS_PATTERN),
        CommandHandler("docs", catalog.docs_command, filters=people),
        CommandHandler("remove", catalog.remove_command, filters=people),
        MessageHandler(admins & filters.Document.ALL, uploads.document_upload),
        MessageHandler(admins & text & LINK, uploads.link),
        CallbackQueryHandler(catalog.button, pattern=catalog.BUTTONS),
        CallbackQueryHandler(uploads.button, pattern=uploads.BUTTONS),
        CallbackQueryHandler(admin.stale_button, pattern=r"^kb:"),
        MessageHandler(people & filters.COMMAND & filters.ChatType.PRIVATE,
                       handlers.unknown_command),
        MessageHandler((text | media) & filters.ChatType.PRIVATE, handlers.private_question),
        MessageHandler((text | (media & filters.CAPTION)) & filters.ChatType.GROUPS,
                       handlers.group_message),
        InlineQueryHandler(inline.inline_query),
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
    feedback.open_question_log(app)
    await watching.start(app)
    await set_commands(app)


async def shut_down(app: BotApp) -> None:
    """After the last update is handled: write the question log's queue out and close it."""
    await feedback.close_question_log(app)


async def set_commands(app: BotApp) -> None:
    """Command menus: the public list for everyone, plus /reload in each admin's private chat.
    A failure (an admin who never started the bot gives "chat not found") is only logged."""
    bot: Bot = app.bot
    menus: list[tuple[tuple[BotCommand, ...], Any]] = [(PUBLIC_COMMANDS, BotCommandScopeDefault())]
    admins = sorted(runtime_of(app.bot_data).settings.admin_ids)
    menus += [(ADMIN_COMMANDS, BotCommandScopeChat(admin)) for admin in admins]
    for commands, scope in menus:
        try:
            await _set_menu(bot, commands, scope)
        except TelegramError as exc:
            log.warning("could not set the command menu for %s: %s", _scope_name(scope), exc)
    log.info("serving @%s", bot.username)


async def _set_menu(bot: Bot, commands: tuple[BotCommand, ...], scope: Any) -> None:
    await with_retries(lambda: bot.set_my_commands(commands, scope=scope),
                       f"setMyCommands for {_scope_name(scope)}")


def _scope_name(scope: Any) -> str:
    return f"admin {scope.chat_id}" if isinstance(scope, BotCommandScopeChat) else "everyone"


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what a handler could not handle; the bot goes on with the next update."""
    where = f"update {update.update_id}" if isinstance(update, Update) else "a background task"
    error = context.error
    if isinstance(error, RetryAfter):  # every retry met another flood wait
        log.warning("gave up answering %s: Telegram kept asking to wait (%s)", where, error)
    elif isinstance(error, NetworkError | Forbidden):  # Telegram or the network, not our bug
        log.warning("Telegram call failed while handling %s: %s", where, error)
    else:
        log.error("unexpected error while handling %s", where, exc_info=error)


def run(settings: Settings) -> int:
    """Serve Telegram until SIGINT/SIGTERM; the exit code for `python -m bot`. Whatever stops the
    start (the knowledge base, the journal, the token, the network, the port) is one line on
    stderr and exit code 1, not a traceback."""
    from bot.telegram_bot.running import serve  # it imports the webhook server (aiohttp)

    try:
        service = KnowledgeService.from_settings(settings)
    except Exception as exc:  # a broken folder, or anything else: say what, not a traceback
        log.debug("loading the knowledge base failed", exc_info=exc)
        print(f"Cannot load the knowledge base: {describe_failure(exc)}", file=sys.stderr)
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
    app = build_application(settings, service)
    try:
        asyncio.run(serve(app, settings))
    except (TelegramError, OSError) as exc:
        print(f"Cannot start the bot: {start_failure(exc, settings)}", file=sys.stderr)
        return 1
    return 0


def start_failure(error: Exception, settings: Settings) -> str:
    """Why the bot could not start, in one line that says what to check."""
    if isinstance(error, InvalidToken):
        return "Telegram refused the token. Check BOT_TOKEN (from @BotFather)."
    if isinstance(error, NetworkError):
        host = urlsplit(settings.api_base_url).netloc or settings.api_base_url
        reason = redact(str(error)).rstrip(".")
        return (f"the Bot API at {host} cannot be reached ({reason}). Check the network "
                "connection, or BOT_API_BASE_URL.")
    if isinstance(error, OSError):  # binding the webhook's port
        return (f"cannot listen on {settings.listen}:{settings.port} ({error.strerror or error})."
                " Set BOT_PORT to a free port.")
    return f"{redact(str(error)).rstrip('.')}. Check BOT_TOKEN and BOT_API_BASE_URL."


def file_url(api_base_url: str) -> str:
    """The file download URL that goes with a Bot API URL: .../bot -> .../file/bot."""
    return re.sub(r"/bot(\{token\})?/?$", r"/file/bot\1", api_base_url)
