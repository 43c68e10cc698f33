"""What every admin action shares: who counts as an admin (checked on every message and every
button press, against the sender, never the chat), the knowledge folder's `Library`, `/reload`,
and the replies that say what a reload changed, which files it does not read, or why it failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes, filters

from bot.knowledge import KnowledgeError
from bot.library import Library, Person
from bot.serving import ReloadReport
from bot.telegram_bot import journal
from bot.telegram_bot.addressing import is_anonymous_admin
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import reply, send_typing, with_retries

log = logging.getLogger(__name__)
LIBRARY_KEY = "library"
_SHOWN_IDS = 10  # a reload that adds thousands of files must still fit in one message
_SHOWN_SKIPPED = 10
_SHOWN_ERROR_CHARS = 3000
# Refusals, for the command and what it does ("reload the knowledge base").
NOT_ADMIN = "Sorry, only the bot's admins can {what}."
ANONYMOUS = ("I can't tell which admin you are while you post anonymously, so I can't {what} "
             "from here. Send /{command} to me in a private chat instead.")
AS_CHAT = ("I can't tell who you are while you post on behalf of a channel, so I can't {what} "
           "from here. Send /{command} to me in a private chat instead.")
PRIVATE_ONLY = "Admins {what} in a private chat with me: send /{command} to me there."
BUTTON_NOT_ADMIN = "Sorry, only the bot's admins can do that."
RELOAD = "reload the knowledge base"


class AdminInPrivate(filters.MessageFilter):
    """Messages an admin (a user id in BOT_ADMIN_IDS) sent in their private chat with the bot,
    as themselves: where a document or a link is an admin's addition, not a question."""

    def __init__(self, admin_ids: frozenset[int]) -> None:
        super().__init__(name="AdminInPrivate")
        self.admin_ids = admin_ids

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return (message.chat.type == ChatType.PRIVATE and message.sender_chat is None
                and user is not None and user.id in self.admin_ids)


def refusal(message: Message, admin_ids: frozenset[int], command: str, what: str, *,
            private_only: bool = False) -> str | None:
    """None when the sender of `message` may run /`command`, else the reply that refuses (and
    a log line). Anonymous group admins and posts on behalf of a channel cannot be identified."""
    user = message.from_user
    texts = {"command": command, "what": what}
    if is_anonymous_admin(message):
        log.warning("refused /%s from an anonymous admin of chat %d", command, message.chat_id)
        return ANONYMOUS.format(**texts)
    if message.sender_chat is not None or user is None:
        # Sent on behalf of a channel: `from_user` is then a stand-in (Channel_Bot), not the
        # person, so no user id in it may count.
        log.warning("refused /%s sent on behalf of a channel in chat %d", command,
                    message.chat_id)
        return AS_CHAT.format(**texts)
    if user.id not in admin_ids:
        log.warning("refused /%s from user %d in chat %d: not in BOT_ADMIN_IDS", command,
                    user.id, message.chat_id)
        return NOT_ADMIN.format(**texts)
    if private_only and message.chat.type != ChatType.PRIVATE:
        return PRIVATE_ONLY.format(**texts)
    log.info("user %d sent /%s in chat %d", user.id, command, message.chat_id)
    return None


async def admitted(update: Update, context: ContextTypes.DEFAULT_TYPE, command: str, what: str,
                   *, private_only: bool = False) -> Message | None:
    """The message of a command an admin may run here; for anyone else, None, once the refusal
    (see `refusal`) has been sent."""
    message = update.effective_message
    if message is None:
        return None
    refused = refusal(message, admin_ids_of(context.bot_data), command, what,
                      private_only=private_only)
    if refused:
        await reply(context.bot, message, [refused])
        return None
    return message


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE
                  ) -> tuple[CallbackQuery, str, str] | None:
    """(query, action, argument) of a button an admin pressed ("kb:action:argument"); for
    anyone else, None, once the press has been answered with a refusal (every press is answered
    once: Telegram's client spins until then)."""
    query = update.callback_query
    if query is None:
        return None
    if query.from_user.id not in admin_ids_of(context.bot_data):
        log.warning("refused a button press (%s) from user %d: not in BOT_ADMIN_IDS",
                    (query.data or "")[:16], query.from_user.id)
        with journal.waiting():
            await with_retries(lambda: query.answer(BUTTON_NOT_ADMIN, show_alert=True),
                               "answerCallbackQuery")
        journal.answered()
        return None
    action, _, argument = (query.data or "").removeprefix("kb:").partition(":")
    return query, action, argument


def library_of(bot_data: MutableMapping[Any, Any]) -> Library:
    """The knowledge folder's `Library`, made once per Application (at start-up, by the
    watcher's start, or on the first admin action)."""
    library = bot_data.get(LIBRARY_KEY)
    if not isinstance(library, Library):
        runtime = runtime_of(bot_data)
        library = Library(runtime.service, state_dir=runtime.settings.state_dir,
                          max_upload_bytes=runtime.settings.max_upload_bytes())
        bot_data[LIBRARY_KEY] = library
    return library


def person(user: User) -> Person:
    """Who an admin is, as /docs names them."""
    name = user.full_name + (f" (@{user.username})" if user.username else "")
    return Person(user.id, name)


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reload for admins in BOT_ADMIN_IDS, checked on every call; refuse everyone else."""
    message = await admitted(update, context, "reload", RELOAD)
    if message is None:
        return
    await send_typing(context.bot, message)
    library = library_of(context.bot_data)
    try:
        # Off the event loop: questions keep being answered from the old index meanwhile.
        report = await asyncio.to_thread(library.reload)
    except Exception as exc:  # any failure (a bad file, a failed worker, a bug): the old index
        # keeps serving, and the admin hears why in one line rather than nothing.
        log.warning("reload failed, still serving the previous knowledge base: %s",
                    describe_failure(exc))
        await reply(context.bot, message, [failure_html(exc)])
        return
    await reply(context.bot, message, [summary_html(report, library.skipped())])


def summary_html(report: ReloadReport, skipped: Sequence[tuple[str, str]] = ()) -> str:
    """What a reload changed, and the files it does not read, for the admin who asked for it."""
    totals = (f"{count(report.documents, 'document')}, {count(report.passages, 'passage')}, "
              f"read in {report.seconds:.2f} s")
    if not report.changed_anything:
        lines = [f"<b>Reloaded</b>: nothing changed ({totals})."]
    else:
        lines = [f"<b>Reloaded</b> ({totals})."]
        for label, ids in (("Added", report.documents_added),
                           ("Removed", report.documents_removed),
                           ("Changed", report.documents_changed)):
            if ids:
                lines.append(f"{label}: {_ids(ids)}")
        lines.append(f"Passages: {report.passages_added} added, {report.passages_removed} "
                     f"removed, {report.passages_changed} changed.")
    return "\n".join([*lines, *skipped_lines(skipped)])


def skipped_lines(skipped: Sequence[tuple[str, str]]) -> list[str]:
    """The files of the folder that are not read, each with what to do (at most ten)."""
    if not skipped:
        return []
    lines = [f"Not read ({len(skipped)}):"]
    lines += [f"• <code>{escape(sendable(name))}</code> {escape(sendable(why))}"
              for name, why in skipped[:_SHOWN_SKIPPED]]
    if len(skipped) > _SHOWN_SKIPPED:
        lines.append(f"… and {len(skipped) - _SHOWN_SKIPPED} more (listed in the log)")
    return lines


def failure_html(error: BaseException, head: str = "<b>Reload failed</b>") -> str:
    text = describe_failure(error)
    if len(text) > _SHOWN_ERROR_CHARS:
        text = text[:_SHOWN_ERROR_CHARS] + "…"
    return (f"{head}; I'm still answering from the previous knowledge base.\n"
            f"<code>{escape(text)}</code>")


def describe_failure(error: BaseException) -> str:
    """What went wrong, on one line that can be sent and logged: the loader's own message (which
    names the file), or the kind of error and its message for anything else. A file name that is
    not UTF-8 reaches Python as lone surrogates, which cannot be sent: they are shown escaped."""
    text = str(error) if isinstance(error, KnowledgeError) else _unexpected(error)
    return sendable(" ".join(text.split()) or type(error).__name__)


def sendable(text: str) -> str:
    """`text` with lone surrogates (how Python reads a file name that is not UTF-8) escaped, so
    that it can be sent to Telegram and logged."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def admin_ids_of(bot_data: Mapping[Any, Any]) -> frozenset[int]:
    return runtime_of(bot_data).settings.admin_ids


async def ask(bot: Bot, message: Message, html: str, buttons: InlineKeyboardMarkup) -> None:
    """Reply to `message` with a question and its buttons."""
    quote = ReplyParameters(message.message_id, allow_sending_without_reply=True)
    with journal.waiting():
        await with_retries(
            lambda: bot.send_message(message.chat_id, html, reply_markup=buttons,
                                     reply_parameters=quote),
            f"sendMessage to chat {message.chat_id}")
    journal.answered()


async def settle(query: CallbackQuery, html: str, note: str) -> None:
    """Answer a button press with `note` and turn its question into `html`, without buttons
    (a second press of the same question then finds nothing to press)."""
    with journal.waiting():
        await with_retries(lambda: query.answer(note[:200]), "answerCallbackQuery")
        if isinstance(query.message, Message):
            try:
                await with_retries(lambda: query.edit_message_text(html, reply_markup=None),
                                   "editMessageText")
            except BadRequest as exc:  # pressed twice, or the question is gone
                log.info("could not edit the question of a button: %s", exc.message)
    journal.answered()


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press of an admin button no handler knows (one from an older version of the bot):
    answered all the same, so that the client stops waiting."""
    query = update.callback_query
    if query is not None:
        with journal.waiting():
            await with_retries(lambda: query.answer("This button no longer works."),
                               "answerCallbackQuery")
        journal.answered()


async def reask(query: CallbackQuery, html: str, buttons: InlineKeyboardMarkup) -> None:
    """Answer a button press by turning its question into the next one."""
    with journal.waiting():
        await with_retries(query.answer, "answerCallbackQuery")
        if isinstance(query.message, Message):
            await with_retries(lambda: query.edit_message_text(html, reply_markup=buttons),
                               "editMessageText")
    journal.answered()


def date_text(timestamp: float) -> str:
    """A moment as /docs shows it: "2026-01-05 10:11 UTC"."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _unexpected(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return ("the knowledge folder is nested too deep to read (RecursionError): flatten "
                "its sub-folders")
    if isinstance(error, UnicodeError):
        return ("a file name in the knowledge folder is not UTF-8: rename it "
                f"({type(error).__name__}: {error})")
    return f"{type(error).__name__}: {error}"


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(f"<code>{escape(sendable(i))}</code>" for i in ids[:_SHOWN_IDS])
    more = len(ids) - _SHOWN_IDS
    return shown + (f" and {more} more" if more > 0 else "")

