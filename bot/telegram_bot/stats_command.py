"""`/stats` for admins, in a private chat: what people asked, what went unanswered, and the
👍/👎 (the report of `bot.stats`); `/stats csv`, or the button under the report, sends the
question log as a CSV file. Everyone else is refused, through the button too.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import logging
import time
from html import escape
from pathlib import Path

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import stats
from bot.question_csv import write_csv
from bot.question_store import DAY
from bot.render import MAX_MESSAGE_CHARS, tg_len
from bot.settings import Settings
from bot.telegram_bot import admin, journal
from bot.telegram_bot.feedback import answer_press, question_log_of
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import reply, with_retries

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

CALLBACK_PATTERN = r"^st:"
MAX_DAYS = 3650
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # what the Bot API takes from a bot
FLUSH_WAIT = 2.0  # seconds the report waits for the questions just asked to be written
# The report lists what people asked: in a group, everyone there would read it.
WHAT = "see what people ask"
NOT_ADMIN = admin.NOT_ADMIN.format(command="stats", what=WHAT)
IN_PRIVATE = admin.PRIVATE_ONLY.format(command="stats", what=WHAT)
USAGE = ("Usage: <code>/stats</code> (the last 7 days), <code>/stats 30</code> (the last 30 "
         "days), <code>/stats csv</code> (every question kept, as a CSV file), "
         "<code>/stats csv 7</code>.")


async def stats_command(update: Update, context: Context) -> None:
    """/stats [days], /stats csv [days]: the report or the CSV file, for admins only."""
    message = update.effective_message
    if message is None:
        return
    settings = runtime_of(context.bot_data).settings
    refusal = admin.refusal(message, settings.admin_ids, "stats", WHAT, private_only=True)
    if refusal is not None:
        await reply(context.bot, message, [refusal])
        return
    request = _request(context.args or [])
    if request is None:
        await reply(context.bot, message, [USAGE])
        return
    as_csv, days = request
    if as_csv:
        await _send_csv(context, message, settings, days)
    else:
        await _send_report(context, message, settings, days or 7)


async def csv_pressed(update: Update, context: Context) -> None:
    """The CSV button under a report: checked like /stats itself, whoever presses it."""
    query = update.callback_query
    if query is None:
        return
    settings = runtime_of(context.bot_data).settings
    message = query.message
    allowed = (isinstance(message, Message) and message.chat.type == ChatType.PRIVATE
               and query.from_user.id in settings.admin_ids)
    days = _days(query.data or "")
    if not allowed or days is None:
        log.warning("refused a CSV button pressed by user %d: not an admin in a private chat",
                    query.from_user.id)
        await answer_press(query, NOT_ADMIN, alert=True)
        return
    assert isinstance(message, Message)
    await answer_press(query, "Sending the CSV file…")
    await _send_csv(context, message, settings, days or None)


def _request(args: list[str]) -> tuple[bool, int | None] | None:
    """(as CSV, days or None for all kept) from the command's words; None when they are not
    understood."""
    words = [a.lower() for a in args]
    as_csv = bool(words) and words[0] == "csv"
    rest = words[1:] if as_csv else words
    if not rest:
        return as_csv, None
    if len(rest) == 1 and rest[0].isdigit() and 1 <= int(rest[0]) <= MAX_DAYS:
        return as_csv, int(rest[0])
    return None


def _days(data: str) -> int | None:
    """The days of a CSV button ("st:csv:7"; 0 is every question kept)."""
    parts = data.split(":")
    if len(parts) == 3 and parts[1] == "csv" and parts[2].isdigit():
        days = int(parts[2])
        return days if days <= MAX_DAYS else None
    return None


async def _flushed(context: Context) -> None:
    """Wait (a little) for the questions just asked to reach the file, so the report has them."""
    question_log = question_log_of(context.bot_data)
    if question_log is not None:
        await asyncio.wait({asyncio.wrap_future(question_log.flushed())}, timeout=FLUSH_WAIT)


async def _send_report(context: Context, message: Message, settings: Settings,
                       days: int) -> None:
    await _flushed(context)
    try:
        text = await asyncio.to_thread(_build_report, settings, days)
    except stats.NoLog as exc:
        await reply(context.bot, message, [escape(str(exc))])
        return
    button = InlineKeyboardButton(f"📄 CSV of the last {stats.period_label(days)}",
                                  callback_data=f"st:csv:{days}")
    await reply(context.bot, message, [text], keyboard=InlineKeyboardMarkup([[button]]))


def _build_report(settings: Settings, days: int) -> str:
    path = stats.log_path(_state_dir(settings))
    with stats.reading(path) as db:
        found = stats.report(db, time.time(), days, retention_days=settings.retention_days)
    return report_html(found)


def _state_dir(settings: Settings) -> Path | None:
    if settings.retention_days == 0:
        raise stats.NoLog("Nothing is recorded: BOT_RETENTION_DAYS is 0, so the bot keeps no "
                          "questions. Set it to the days to keep them (default 30).")
    return settings.state_dir


def report_html(report: stats.Report, limit: int = MAX_MESSAGE_CHARS) -> str:
    """The report as one Telegram HTML message: the counts in a fixed-width table, then the
    lists; when they would not fit in `limit`, their last items are left to the CSV file."""
    refused = [escape(line) for line in stats.refused_lines(report)]
    disliked = [escape(line) for line in stats.disliked_lines(report)]
    cut = False
    while True:
        text = _report_html(report, refused, disliked, cut)
        if tg_len(text) <= limit or not (refused or disliked):
            return text
        (refused if len(refused) >= len(disliked) else disliked).pop()
        cut = True


def _report_html(report: stats.Report, refused: list[str], disliked: list[str],
                 cut: bool) -> str:
    lines = [f"<b>{escape(stats.heading(report))}</b>",
             "<pre>" + escape("\n".join(stats.table(report))) + "</pre>",
             f"<b>Most frequent refused questions</b>, last {report.lists_label}:"]
    lines += [f"{i}. {line}" for i, line in enumerate(refused, 1)] or ["none"]
    lines += ["", f"<b>Answers with the most 👎</b>, last {report.lists_label}:"]
    lines += [f"{i}. {line}" for i, line in enumerate(disliked, 1)] or ["none"]
    if cut:
        lines += ["", "<i>More in the CSV file.</i>"]
    return "\n".join(lines)


async def _send_csv(context: Context, message: Message, settings: Settings,
                    days: int | None) -> None:
    await _flushed(context)
    try:
        data, rows = await asyncio.to_thread(_csv_bytes, settings, days)
    except stats.NoLog as exc:
        await reply(context.bot, message, [escape(str(exc))])
        return
    if len(data) > MAX_UPLOAD_BYTES:
        await reply(context.bot, message, [
            f"The CSV file would be {len(data) // 2**20} MB, more than Telegram lets a bot send."
            " Ask for fewer days (<code>/stats csv 7</code>), or run <code>python -m bot stats "
            "--csv</code> on the server."])
        return
    today = dtm.datetime.now(dtm.UTC).strftime("%Y-%m-%d")
    period = f"the last {stats.period_label(days)}" if days else "every question kept"
    caption = f"{rows} question{'' if rows == 1 else 's'}, {period}."
    with journal.waiting():
        await with_retries(lambda: context.bot.send_document(
            message.chat_id, InputFile(io.BytesIO(data), filename=f"questions-{today}.csv"),
            caption=caption, reply_parameters=ReplyParameters(
                message.message_id, allow_sending_without_reply=True)),
            f"sendDocument to chat {message.chat_id}")
    journal.answered()


def _csv_bytes(settings: Settings, days: int | None) -> tuple[bytes, int]:
    path = stats.log_path(_state_dir(settings))
    out = io.StringIO()
    with stats.reading(path) as db:
        rows = write_csv(db, out, time.time() - days * DAY if days else None)
    # With a byte-order mark, so that spreadsheets (Excel) read the UTF-8 as UTF-8.
    return out.getvalue().encode("utf-8-sig"), rows
