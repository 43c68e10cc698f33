"""`/docs` lists the documents the bot answers from, with who added each and when; `/remove`
takes one out after the admin confirms with a button. Both in an admin's private chat only.

Buttons carry a short key of the document's file name (callback data holds at most 64 bytes),
found again among the documents when pressed: a question stays valid across restarts, and a
document removed meanwhile is reported gone rather than guessed at."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.knowledge import shown
from bot.library import Entry, Library, LibraryError
from bot.library.records import Record
from bot.render import MAX_MESSAGE_CHARS, tg_len
from bot.telegram_bot import admin
from bot.telegram_bot.admin import count, date_text, library_of, sendable
from bot.telegram_bot.sending import reply

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
BUTTONS = r"^kb:(pick|rm|cancel):"
# /remove without a name offers a button per document up to this many.
MAX_PICK = 20
_TITLE_CHARS, _NAME_CHARS, _URL_CHARS, _WHO_CHARS = 150, 120, 150, 80


async def docs_command(update: Update, context: Context) -> None:
    message = await admin.admitted(update, context, "docs", "list the documents",
                                   private_only=True)
    if message is None:
        return
    library = library_of(context.bot_data)
    lines = await asyncio.to_thread(docs_lines, library)
    await reply(context.bot, message, pack(lines))


async def remove_command(update: Update, context: Context) -> None:
    message = await admin.admitted(update, context, "remove", "remove documents",
                                   private_only=True)
    if message is None:
        return
    library = library_of(context.bot_data)
    wanted = " ".join(context.args or [])
    entries = await asyncio.to_thread(library.find, wanted) if wanted else (
        await asyncio.to_thread(library.entries))
    if len(library.service.index.knowledge.documents) == 1 and entries:
        await reply(context.bot, message, [_only_one(entries[0])])
    elif not wanted and len(entries) > MAX_PICK:
        await reply(context.bot, message, [
            "Send <code>/remove</code> followed by the document's name (its file name, as "
            "/docs lists them), e.g. <code>/remove harbour</code>."])
    elif not wanted:
        await admin.ask(context.bot, message, "Which document should I remove?", _pick(entries))
    elif not entries:
        await reply(context.bot, message, [
            f"No document is named <code>{escape(_cut(wanted, _NAME_CHARS))}</code>. /docs "
            "lists them."])
    elif len(entries) > 1:
        await reply(context.bot, message, [
            "Several documents have that title: send <code>/remove</code> with the file name "
            "of the one to remove: " + ", ".join(_code(e.name) for e in entries[:MAX_PICK])])
    else:
        await admin.ask(context.bot, message, _confirmation(entries[0]), _confirm(entries[0]))


async def button(update: Update, context: Context) -> None:
    """A document picked, "Remove" or "Cancel" pressed."""
    found = await admin.pressed(update, context)
    if found is None:
        return
    query, action, key = found
    library = library_of(context.bot_data)
    entry = next((e for e in await asyncio.to_thread(library.entries) if _key(e.name) == key),
                 None)
    if action == "cancel":
        kept = f" “{escape(_title(entry))}”" if entry else ""
        await admin.settle(query, f"Kept{kept}; nothing was removed.", "Cancelled")
    elif entry is None:
        await admin.settle(query, "That document is no longer in the knowledge base; /docs "
                                  "lists what is.", "Gone")
    elif action == "pick":
        await admin.reask(query, _confirmation(entry), _confirm(entry))
    else:
        await admin.settle(query, await _remove(library, entry), "Done")


async def _remove(library: Library, entry: Entry) -> str:
    try:
        outcome = await asyncio.to_thread(library.remove, entry.name)
    except LibraryError as exc:
        return f"<b>Not removed</b>: {escape(sendable(str(exc)))}"
    except Exception as exc:  # the reload failed: the file is back, the old index serves
        log.warning("removing %s failed, nothing changed: %s", entry.name,
                    admin.describe_failure(exc))
        return admin.failure_html(exc, head=f"<b>Not removed</b> ({_code(entry.name)}); "
                                            "nothing changed")
    report = outcome.report
    return "\n".join([
        f"<b>Removed</b> “{escape(_title(entry))}” ({_code(entry.name)}). Now "
        f"{count(report.documents, 'document')}, {count(report.passages, 'passage')}.",
        *admin.skipped_lines(outcome.skipped)])


def docs_lines(library: Library) -> list[str]:
    """/docs as lines of HTML, each far shorter than a message."""
    entries = library.entries()
    passages = sum(e.passages for e in entries)
    lines = [f"<b>{count(len(entries), 'document')}</b>, {count(passages, 'passage')}, in "
             f"{_code(shown(library.folder.name))}:"]
    lines += [_entry_line(entry) for entry in entries]
    vocabulary = library.vocabulary()
    if vocabulary is not None:
        modified, record = vocabulary
        lines.append(f"Vocabulary: {_code('synonyms.txt')}, {_added(record, modified)}.")
    lines += admin.skipped_lines(library.skipped())
    lines.append("Send a file or a link to add a document; /remove takes one out.")
    return lines


def pack(lines: list[str], limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Whole lines into as few messages as fit `limit` UTF-16 units each (the HTML's length,
    which is never less than the text Telegram counts): no tag is ever cut."""
    messages: list[str] = []
    current = ""
    for line in lines:
        joined = f"{current}\n{line}" if current else line
        if current and tg_len(joined) > limit:
            messages.append(current)
            joined = line
        current = joined
    return [*messages, current] if current else messages


def _entry_line(entry: Entry) -> str:
    line = (f"• <b>{escape(_title(entry))}</b> — {_code(entry.name)}, "
            f"{count(entry.passages, 'passage')}; {_added(entry.record, entry.modified)}")
    if entry.record is not None and entry.record.url:
        line += f", from {escape(_cut(sendable(entry.record.url), _URL_CHARS))}"
    if entry.edited_on_disk:
        line += f"; edited on disk since ({date_text(entry.modified)})"
    return line


def _added(record: Record | None, modified: float) -> str:
    if record is None:
        return f"added on disk (file of {date_text(modified)})" if modified else "added on disk"
    who = _cut(sendable(record.added_by_name), _WHO_CHARS)
    return f"added {date_text(record.added_at)} by {escape(who)} ({record.added_by})"


def _confirmation(entry: Entry) -> str:
    return (f"Remove “{escape(_title(entry))}” ({_code(entry.name)}, "
            f"{count(entry.passages, 'passage')}, {_added(entry.record, entry.modified)})? "
            "People will no longer get answers from it.")


def _confirm(entry: Entry) -> InlineKeyboardMarkup:
    key = _key(entry.name)
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("Remove", callback_data=f"kb:rm:{key}"),
        InlineKeyboardButton("Cancel", callback_data=f"kb:cancel:{key}")]])


def _pick(entries: list[Entry]) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(_cut(f"{_title(e)} ({e.name})", 60),
                                  callback_data=f"kb:pick:{_key(e.name)}")] for e in entries]
    rows.append([InlineKeyboardButton("Cancel", callback_data="kb:cancel:-")])
    return InlineKeyboardMarkup(rows)


def _only_one(entry: Entry) -> str:
    return (f"{_code(entry.name)} is the only document, and a knowledge base without documents "
            "cannot be served: add another document first, then remove this one.")


def _key(name: str) -> str:
    """A short key of a file's name, for callback data."""
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _title(entry: Entry | None) -> str:
    return _cut(sendable(entry.document.title), _TITLE_CHARS) if entry else ""


def _code(name: str) -> str:
    return f"<code>{escape(_cut(sendable(name), _NAME_CHARS))}</code>"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
