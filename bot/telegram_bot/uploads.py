"""Admins add documents in their private chat with the bot: a file sent as a document, or a link
sent as a message of its own. The file is checked and added by the `Library` (nothing changes
when anything is wrong); a document that would replace one the knowledge base has is added only
after the admin presses "Replace"."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.library import FetchError, FetchPolicy, Library, LibraryError, Outcome, Upload, fetch
from bot.telegram_bot import admin
from bot.telegram_bot.admin import count, library_of, person, sendable
from bot.telegram_bot.logs import redact
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import reply, send_typing, with_retries

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
BUTTONS = r"^kb:(replace|keep):"
PENDING_KEY = "pending_uploads"
TOO_BIG_FOR_TELEGRAM = ("<b>Not added</b>: Telegram lets bots download files of at most 20 MB. "
                        "Split the document, or put it on a web site and send me the link.")
_SHOWN_URL_CHARS = 200


async def document_upload(update: Update, context: Context) -> None:
    """An admin's file: checked from what Telegram says of it, downloaded, then added."""
    message = update.effective_message
    if message is None or message.document is None or message.from_user is None:
        return
    document = message.document
    library = library_of(context.bot_data)
    try:
        library.check_size(document.file_size, document.file_name)
    except LibraryError as exc:
        await reply(context.bot, message, [_not_added(exc)])
        return
    await send_typing(context.bot, message)
    try:
        file = await with_retries(document.get_file, "getFile")
        data = bytes(await file.download_as_bytearray())
    except BadRequest as exc:
        if "too big" not in exc.message.lower():
            raise
        await reply(context.bot, message, [TOO_BIG_FOR_TELEGRAM])
        return
    except TelegramError as exc:
        log.warning("could not download a document from Telegram: %s", exc)
        why = escape(sendable(redact(str(exc))))
        await reply(context.bot, message, [f"<b>Not added</b>: the file could not be downloaded "
                                           f"from Telegram ({why}); send it again."])
        return
    by = person(message.from_user)
    await _offer(context, message,
                 lambda: library.prepare(data, document.file_name or None, by=by))


async def link(update: Update, context: Context) -> None:
    """An admin's message that is a link and nothing else: the page (or PDF) is downloaded
    and added, its link kept as the document's link."""
    message = update.effective_message
    if message is None or not message.text or message.from_user is None:
        return
    url = message.text.strip()
    settings = runtime_of(context.bot_data).settings
    library = library_of(context.bot_data)
    policy = FetchPolicy(max_bytes=library.max_upload_bytes, timeout=settings.fetch_timeout,
                         allow_hosts=settings.fetch_allow_hosts)
    await send_typing(context.bot, message)
    try:
        fetched = await fetch(url, policy)
    except FetchError as exc:
        await reply(context.bot, message, [f"<b>Not added</b>: <code>{escape(_short(url))}</code>"
                                           f": {escape(sendable(str(exc)))}."])
        return
    by = person(message.from_user)
    await _offer(context, message, lambda: library.prepare(
        fetched.data, fetched.file_name, by=by, url=fetched.url))


async def button(update: Update, context: Context) -> None:
    """"Replace" or "Keep" under a question about replacing a document."""
    found = await admin.pressed(update, context)
    if found is None:
        return
    query, action, token = found
    upload = _pending(context.bot_data).take(token)
    if upload is None:
        await admin.settle(query, "This question has expired; send the document again.",
                           "Expired")
    elif action == "keep":
        await admin.settle(query, f"Kept the current <code>{_name(upload.name)}</code>; "
                                  "nothing changed.", "Kept")
    else:
        html = await _add(library_of(context.bot_data), upload)
        await admin.settle(query, html, "Done")


async def _offer(context: Context, message: Message, prepare: Callable[[], Upload]) -> None:
    """Check the document (off the event loop: a PDF may take seconds to read); add it, or
    ask first when it would replace a document."""
    library = library_of(context.bot_data)
    try:
        upload = await asyncio.to_thread(prepare)
    except LibraryError as exc:
        await reply(context.bot, message, [_not_added(exc)])
        return
    except Exception as exc:  # a reader's bug or a library's: the admin hears of it all the same
        log.exception("checking a document failed")
        await reply(context.bot, message, [
            f"<b>Not added</b>: checking the file failed ({escape(admin.describe_failure(exc))})"
            "; nothing changed. The log has the details."])
        return
    if upload.unchanged:
        await reply(context.bot, message, [
            f"<code>{_name(upload.name)}</code> is already in the knowledge base with exactly "
            "this content; nothing changed."])
        return
    if upload.replaces:
        token = _pending(context.bot_data).put(upload)
        buttons = InlineKeyboardMarkup([[
            InlineKeyboardButton("Replace", callback_data=f"kb:replace:{token}"),
            InlineKeyboardButton("Keep the current one", callback_data=f"kb:keep:{token}")]])
        question = await asyncio.to_thread(_replace_question, library, upload)
        await admin.ask(context.bot, message, question, buttons)
        return
    await reply(context.bot, message, [await _add(library, upload)])


async def _add(library: Library, upload: Upload) -> str:
    try:
        outcome = await asyncio.to_thread(library.add, upload)
    except LibraryError as exc:
        return _not_added(exc)
    except Exception as exc:  # the reload failed: the folder is as it was, the old index serves
        log.warning("adding %s failed, nothing changed: %s", upload.name,
                    admin.describe_failure(exc))
        return admin.failure_html(exc, head=f"<b>Not added</b> (<code>{_name(upload.name)}"
                                            "</code>); nothing changed")
    return added_html(upload, outcome)


def added_html(upload: Upload, outcome: Outcome) -> str:
    """What an addition did: the document's title, sections and passages, the file's name,
    what it replaced, the knowledge base's new size and the files it does not read."""
    name = f"<code>{_name(upload.name)}</code>"
    if upload.vocabulary:
        lines = [f"<b>Vocabulary updated</b>: {name}, {count(upload.passages, 'rule')}."]
    else:
        entry = outcome.entry
        passages = entry.passages if entry else upload.passages
        sections = entry.sections if entry else upload.sections
        title = entry.document.title if entry else upload.title
        verb = "Replaced" if upload.replaces else "Added"
        lines = [f"<b>{verb}</b> “{escape(sendable(title))}” as {name}: "
                 f"{count(sections, 'section')}, {count(passages, 'passage')}."]
        if entry is not None and entry.document.url:
            lines.append(f"Cited with the link {escape(sendable(entry.document.url))}")
    if upload.sent_as:
        lines.append(f"Saved as {name}, not <code>{_name(upload.sent_as)}</code>: the name "
                     "now says what the file holds.")
    others = [other for other in upload.replaces if other != upload.name]
    if others:
        lines.append("It takes the place of " + ", ".join(
            f"<code>{_name(other)}</code>" for other in others) + " (the same document name).")
    report = outcome.report
    lines.append(f"Now {count(report.documents, 'document')}, "
                 f"{count(report.passages, 'passage')}.")
    return "\n".join([*lines, *admin.skipped_lines(outcome.skipped)])


def _replace_question(library: Library, upload: Upload) -> str:
    current = {entry.name: entry for entry in library.entries()}
    described = []
    for name in upload.replaces:
        entry = current.get(name)
        about = ""
        if entry is not None:
            added = (f"added {admin.date_text(entry.record.added_at)} by "
                     f"{escape(entry.record.added_by_name)}" if entry.record
                     else "added on disk")
            about = (f" (“{escape(sendable(entry.document.title))}”, "
                     f"{count(entry.passages, 'passage')}, {added})")
        described.append(f"<code>{_name(name)}</code>{about}")
    new = (f"{count(upload.passages, 'rule')}" if upload.vocabulary else
           f"“{escape(sendable(upload.title))}”, {count(upload.passages, 'passage')}")
    same = ("" if upload.replaces == (upload.name,) else
            f", the same document as <code>{_name(upload.name)}</code>")
    return (f"The knowledge base already has {' and '.join(described)}{same}. Replace it with "
            f"the file you sent ({new})?")


def _not_added(error: LibraryError) -> str:
    return f"<b>Not added</b>: {escape(sendable(str(error)))}"


def _name(name: str) -> str:
    return escape(sendable(name))


def _short(url: str) -> str:
    return url if len(url) <= _SHOWN_URL_CHARS else url[:_SHOWN_URL_CHARS] + "…"


class PendingUploads:
    """Documents waiting for an admin's "Replace", by a short token (callback data holds at most
    64 bytes). Kept in memory for a while, and only so many bytes of them: a restart, or a
    question left unanswered, means sending the document again."""

    def __init__(self, ttl: float = 900.0, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._waiting: OrderedDict[str, tuple[float, Upload]] = OrderedDict()

    def put(self, upload: Upload) -> str:
        token = secrets.token_urlsafe(9)
        self._waiting[token] = (time.monotonic(), upload)
        self._forget()
        return token

    def take(self, token: str) -> Upload | None:
        self._forget()
        found = self._waiting.pop(token, None)
        return found[1] if found else None

    def _forget(self) -> None:
        """Drop the expired ones, and the oldest while they hold too much."""
        now = time.monotonic()
        held = sum(len(upload.data) for _, upload in self._waiting.values())
        while self._waiting:
            since, oldest = next(iter(self._waiting.values()))
            if now - since <= self.ttl and held <= self.max_bytes:
                break
            self._waiting.popitem(last=False)
            held -= len(oldest.data)


def _pending(bot_data: MutableMapping[Any, Any]) -> PendingUploads:
    pending = bot_data.get(PENDING_KEY)
    if not isinstance(pending, PendingUploads):
        pending = bot_data[PENDING_KEY] = PendingUploads()
    return pending
