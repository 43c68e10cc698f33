"""Admin commands: `/reload` re-reads the knowledge folder while questions keep being answered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from html import escape

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.knowledge import KnowledgeError
from bot.serving import ReloadReport
from bot.telegram_bot import replies
from bot.telegram_bot.addressing import is_anonymous_admin
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import reply, send_typing

log = logging.getLogger(__name__)
_SHOWN_IDS = 10  # a reload that adds thousands of files must still fit in one message
_SHOWN_ERROR_CHARS = 3000


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reload for admins in BOT_ADMIN_IDS, checked on every call; refuse everyone else."""
    message = update.effective_message
    if message is None:
        return
    if not _may_reload(message, runtime_of(context.bot_data).settings.admin_ids):
        await reply(context.bot, message, [_refusal(message)])
        return
    await send_typing(context.bot, message)
    service = runtime_of(context.bot_data).service
    try:
        # Off the event loop: questions keep being answered from the old index meanwhile.
        report = await asyncio.to_thread(service.reload)
    except Exception as exc:  # any failure (a bad file, a failed worker, a bug): the old index
        # keeps serving, and the admin hears why in one line rather than nothing.
        log.warning("reload failed, still serving the previous knowledge base: %s",
                    describe_failure(exc))
        await reply(context.bot, message, [failure_html(exc)])
        return
    await reply(context.bot, message, [summary_html(report)])


def _may_reload(message: Message, admin_ids: frozenset[int]) -> bool:
    user = message.from_user
    if is_anonymous_admin(message):
        # The sender is GroupAnonymousBot: which admin wrote it cannot be known.
        log.warning("refused /reload from an anonymous admin of chat %d", message.chat_id)
        return False
    if message.sender_chat is not None or user is None:
        # Sent on behalf of a channel: `from_user` is then a stand-in (Channel_Bot), not the
        # person, so no user id in it may count.
        log.warning("refused /reload sent on behalf of a channel in chat %d", message.chat_id)
        return False
    if user.id not in admin_ids:
        log.warning("refused /reload from user %d in chat %d: not in BOT_ADMIN_IDS",
                    user.id, message.chat_id)
        return False
    log.info("user %d asked for a reload in chat %d", user.id, message.chat_id)
    return True


def _refusal(message: Message) -> str:
    if is_anonymous_admin(message):
        return replies.ANONYMOUS_ADMIN
    if message.sender_chat is not None:
        return replies.SENT_AS_CHAT
    return replies.NOT_ADMIN


def summary_html(report: ReloadReport) -> str:
    """What a reload changed, for the admin who asked for it."""
    totals = (f"{_count(report.documents, 'document')}, {_count(report.passages, 'passage')}, "
              f"read in {report.seconds:.2f} s")
    if not report.changed_anything:
        return f"<b>Reloaded</b>: nothing changed ({totals})."
    lines = [f"<b>Reloaded</b> ({totals})."]
    for label, ids in (("Added", report.documents_added), ("Removed", report.documents_removed),
                       ("Changed", report.documents_changed)):
        if ids:
            lines.append(f"{label}: {_ids(ids)}")
    lines.append(f"Passages: {report.passages_added} added, {report.passages_removed} removed, "
                 f"{report.passages_changed} changed.")
    return "\n".join(lines)


def failure_html(error: BaseException) -> str:
    text = describe_failure(error)
    if len(text) > _SHOWN_ERROR_CHARS:
        text = text[:_SHOWN_ERROR_CHARS] + "…"
    return ("<b>Reload failed</b>; I'm still answering from the previous knowledge base.\n"
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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
