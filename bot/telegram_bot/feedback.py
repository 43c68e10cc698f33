"""👍/👎 under answers, and the question log behind them: each answer's outcome is handed to the
log (`bot.question_log`, off the answer path) once it is sent, and a press of a button is a
vote on that answer, changed (not counted again) when the same person presses the other one.

Buttons go under answers and under refusals that say the articles do not answer (a 👎 there
says the knowledge base should), not under hints. By default only in private chats: in a group
a keyboard under every answer is clutter for everyone, and anyone may press it (BOT_FEEDBACK).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.answer import Answer
from bot.question_log import QuestionLog
from bot.question_store import VoteResult, delete_files, new_key
from bot.telegram_bot import journal
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import with_retries

log = logging.getLogger(__name__)

QUESTION_LOG_KEY = "question_log"  # in bot_data
CALLBACK_PATTERN = r"^fb:"  # every button of ours whose data starts so is a vote
UP, DOWN = "+", "-"
# Outcomes worth a vote: an answer, and a refusal that says the articles lack the answer.
RATED = frozenset({"answered", "not_covered", "no_fact"})
# How long a press waits to hear what became of its vote before it is thanked anyway: Telegram
# shows a spinner on the button until the answer to the press arrives.
VOTE_WAIT = 2.0
CHOSEN_MARK = " ✓"

THANKS_UP = "Thanks! Glad it helped."
THANKS_DOWN = "Thanks, noted: the bot's admins will see that this fell short."
CHANGED = "Changed to {vote}. Thanks!"
SAME = "You rated it {vote} already."
FORGOTTEN = "Thanks! This answer is too old to rate now."
NOT_KEPT = "Thanks! Ratings are not being recorded on this bot."
UNSAVED = "Thanks! Your rating could not be saved just now."
STALE = "This button no longer works."

BotApp = Application[Any, Any, Any, Any, Any, Any]


def question_log_of(bot_data: Mapping[Any, Any]) -> QuestionLog | None:
    """The running question log, or None when nothing is recorded."""
    found = bot_data.get(QUESTION_LOG_KEY)
    return found if isinstance(found, QuestionLog) and found.running else None


@dataclass(frozen=True, slots=True)
class Outcome:
    """An answer about to be sent: its buttons (None: none), and what records it once sent."""

    answer: Answer
    key: str
    user_id: int | None
    chat: str
    buttons: InlineKeyboardMarkup | None
    question_log: QuestionLog | None

    def record(self, sent: Sequence[Message]) -> None:
        """Hand the outcome to the question log, if the answer reached the chat; never waits."""
        if self.question_log is not None and sent:
            self.question_log.record(self.answer, key=self.key, user_id=self.user_id,
                                     chat=self.chat)


def outcome(context: ContextTypes.DEFAULT_TYPE, message: Message, answer: Answer) -> Outcome:
    """What an answer to `message` carries and records: call before sending it, then
    `record` what was sent."""
    question_log = question_log_of(context.bot_data)
    key = new_key()
    private = message.chat.type == ChatType.PRIVATE
    settings = runtime_of(context.bot_data).settings
    wanted = settings.feedback == "everywhere" or (settings.feedback == "private" and private)
    buttons = keyboard(key) if question_log and wanted and answer.reason in RATED else None
    person = message.from_user if message.sender_chat is None else None
    return Outcome(answer, key, person.id if person else None,
                   "private" if private else "group", buttons, question_log)


def keyboard(key: str, chosen: str | None = None) -> InlineKeyboardMarkup:
    """👍 and 👎 for answer `key`; the one `chosen` (UP or DOWN) is ticked."""
    def button(sign: str, label: str) -> InlineKeyboardButton:
        mark = CHOSEN_MARK if sign == chosen else ""
        return InlineKeyboardButton(label + mark, callback_data=f"fb:{sign}:{key}")
    return InlineKeyboardMarkup([[button(UP, "👍"), button(DOWN, "👎")]])


def parse(data: str | None) -> tuple[str, str] | None:
    """(UP or DOWN, answer key) from a button's callback data; None for anything else."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[1] not in (UP, DOWN) or not 0 < len(parts[2]) <= 32:
        return None
    return parts[1], parts[2]


async def vote_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A 👍 or 👎 was pressed: record the vote and always answer the press, with thanks."""
    query = update.callback_query
    if query is None:
        return
    pressed = parse(query.data)
    question_log = question_log_of(context.bot_data)
    if pressed is None:
        await answer_press(query, STALE)
        return
    if question_log is None:
        await answer_press(query, NOT_KEPT)
        return
    sign, key = pressed
    result = await _result(question_log.vote(key, query.from_user.id, 1 if sign == UP else -1))
    await answer_press(query, thanks(result, sign))
    message = query.message
    private = message is not None and message.chat.type == ChatType.PRIVATE
    if result in (VoteResult.RECORDED, VoteResult.CHANGED) and private:
        await _set_buttons(query, keyboard(key, chosen=sign))  # one voter: show the choice
    elif result is VoteResult.UNKNOWN:
        await _set_buttons(query, None)  # nobody can rate it any more


async def _result(future: concurrent.futures.Future[VoteResult]) -> VoteResult | None:
    """The vote's result, or None when the log has not written it within VOTE_WAIT."""
    waiting = asyncio.wrap_future(future)
    done, _ = await asyncio.wait({waiting}, timeout=VOTE_WAIT)  # not cancelled: it is written
    return waiting.result() if done else None


def thanks(result: VoteResult | None, sign: str) -> str:
    vote = "👍" if sign == UP else "👎"
    if result is VoteResult.CHANGED:
        return CHANGED.format(vote=vote)
    if result is VoteResult.SAME:
        return SAME.format(vote=vote)
    if result is VoteResult.UNKNOWN:
        return FORGOTTEN
    if result is VoteResult.NOT_RECORDED:
        return UNSAVED
    return THANKS_UP if sign == UP else THANKS_DOWN  # recorded, or still being written


async def answer_press(query: CallbackQuery, text: str, alert: bool = False) -> None:
    """Answer a button press (once: Telegram takes one answer per press). A press that cannot
    be answered any more (too old) costs only the notice."""
    try:
        with journal.waiting():
            await with_retries(lambda: query.answer(text, show_alert=alert),
                               "answerCallbackQuery")
    except TelegramError as exc:
        log.info("could not answer a button press: %s", exc)


async def _set_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    try:
        with journal.waiting():
            await with_retries(lambda: query.edit_message_reply_markup(reply_markup=markup),
                               "editMessageReplyMarkup")
    except TelegramError as exc:  # a message too old to edit keeps its buttons
        log.info("could not change an answer's buttons: %s", exc)


# ---- the log's life, with the Application's ------------------------------------------------

def open_question_log(app: BotApp) -> None:
    """At start-up: open the log (its writer first deletes what is past retention). A log that
    cannot be opened is logged and left off: answering matters more than recording."""
    settings = runtime_of(app.bot_data).settings
    question_log = app.bot_data.get(QUESTION_LOG_KEY)
    disabled = settings.state_dir is not None and settings.retention_days == 0
    if disabled and settings.state_dir is not None and delete_files(settings.state_dir):
        log.info("BOT_RETENTION_DAYS is 0: deleted the question log in %s",
                     settings.state_dir)
    if not isinstance(question_log, QuestionLog):
        return
    try:
        question_log.open()
    except (OSError, sqlite3.Error, ValueError) as exc:
        log.error("cannot open the question log %s (%s: %s); answering without recording "
                  "questions. Make BOT_STATE_DIR writable, or move the file away to start a "
                  "new log.", question_log.store.path, type(exc).__name__, exc)


async def close_question_log(app: BotApp) -> None:
    """At shutdown: write what is queued, then close the file."""
    question_log = app.bot_data.get(QUESTION_LOG_KEY)
    if isinstance(question_log, QuestionLog):
        await asyncio.to_thread(question_log.close)
