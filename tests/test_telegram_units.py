"""The adapter's pure pieces, without a server: addressing, text splitting, retry decisions,
the reload summary and per-chat ordering."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from fake_bot_api import validate_telegram_html
from telegram import Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.serving import KnowledgeService, ReloadReport
from bot.settings import load_settings
from bot.telegram_bot.addressing import addressed_question, command_question, topic_of
from bot.telegram_bot.admin import summary_html
from bot.telegram_bot.logs import hide_secret
from bot.telegram_bot.ordering import ChatOrderedProcessor
from bot.telegram_bot.replies import Examples
from bot.telegram_bot.sending import html_to_text, retry_after_seconds, safe_to_retry, split_text

BOT = 4242


def message(text: str, entities: list[dict[str, Any]] | None = None, **fields: Any) -> Message:
    data = {"message_id": 5, "date": 0, "chat": {"id": -100, "type": "supergroup"},
            "from": {"id": 1, "is_bot": False, "first_name": "Ann"}, "text": text,
            "entities": entities or []} | fields
    return Message.de_json(data, None)


def mention(text: str, name: str) -> dict[str, Any]:
    offset = len(text[: text.index(name)].encode("utf-16-le")) // 2
    return {"type": "mention", "offset": offset, "length": len(name)}


def test_mentions_are_cut_at_utf16_offsets() -> None:
    text = "🎈🎈 @ThisBot, where was the balloon?"
    question = addressed_question(message(text, [mention(text, "@ThisBot")]), "ThisBot", BOT)
    assert question == "🎈🎈 where was the balloon?"


def test_other_mentions_and_plain_chatter_do_not_address_the_bot() -> None:
    text = "@OtherBot where was the balloon?"
    assert addressed_question(message(text, [mention(text, "@OtherBot")]), "ThisBot", BOT) is None
    assert addressed_question(message("where was the balloon?"), "ThisBot", BOT) is None
    assert addressed_question(message("@ThisBot", [mention("@ThisBot", "@ThisBot")]),
                              "ThisBot", BOT) == ""


def test_a_reply_to_a_topic_creation_is_not_a_reply_to_the_bot() -> None:
    created = {"message_id": 3, "date": 0, "chat": {"id": -100, "type": "supergroup"},
               "from": {"id": BOT, "is_bot": True, "first_name": "Bot"},
               "forum_topic_created": {"name": "T", "icon_color": 1}}
    in_topic = message("hello", reply_to_message=created, message_thread_id=3,
                       is_topic_message=True)
    assert addressed_question(in_topic, "ThisBot", BOT) is None
    assert topic_of(in_topic) == 3


def test_ask_command_keeps_the_question_and_drops_the_command() -> None:
    text = "/ask@ThisBot  where was\nthe balloon?"
    command = {"type": "bot_command", "offset": 0, "length": 12}
    assert command_question(message(text, [command]), "ThisBot", BOT) == "where was the balloon?"


def test_split_text_counts_utf16_units_and_cuts_at_spaces() -> None:
    text = " ".join(["🎈🎈🎈"] * 3000)  # 6 UTF-16 units a word, 7 with its space
    pieces = split_text(text)
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in pieces)
    assert " ".join(pieces) == text
    assert len(pieces) == 6
    assert split_text("x" * 5000, 4096) == ["x" * 4096, "x" * 904]


def test_html_to_text_is_what_the_user_would_see() -> None:
    html = "<blockquote>a &lt;b&gt; &amp; “c”</blockquote>\n— <i>Title, paragraph 2</i>"
    assert html_to_text(html) == validate_telegram_html(html)


@pytest.mark.parametrize(("error", "cause", "retry"), [
    (NetworkError("Bad Gateway"), None, True),  # Telegram answered 5xx: it sent nothing
    (NetworkError("Bad Gateway. Parsing failed"), TelegramError("Invalid server response"), True),
    (TimedOut("Timed out connecting"), aiohttp.ConnectionTimeoutError("no connection"), True),
    (TimedOut(), aiohttp.SocketTimeoutError("slow"), False),  # it may have been delivered
    (TimedOut(), TimeoutError(), False),  # the request's whole time ran out
    (NetworkError("aiohttp.ServerDisconnectedError"), aiohttp.ServerDisconnectedError(), False),
    (BadRequest("Chat not found"), None, False),
])
def test_only_failures_that_cannot_have_delivered_are_retried(
    error: NetworkError, cause: Exception | None, retry: bool
) -> None:
    error.__cause__ = cause
    assert safe_to_retry(error) is retry


@pytest.mark.parametrize("timedelta", [True, False])
def test_retry_after_seconds_either_way(monkeypatch: pytest.MonkeyPatch, timedelta: bool) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    error = RetryAfter(3)
    monkeypatch.setenv("PTB_TIMEDELTA", "true" if timedelta else "false")
    assert retry_after_seconds(error) == 3.0


def test_summary_of_a_huge_reload_fits_one_message() -> None:
    ids = tuple(f"article-{n:05}<x>" for n in range(5000))
    report = ReloadReport(ids, (), ("old",), 90000, 3, 1, 5001, 90010, 1.5)
    html = summary_html(report)
    text = validate_telegram_html(html)
    assert "5001 documents" in text
    assert "and 4990 more" in text
    assert "article-00000<x>" in text


async def test_chat_order_locks_are_forgotten_when_idle() -> None:
    processor = ChatOrderedProcessor(8)
    order: list[int] = []

    async def job(n: int) -> None:
        await asyncio.sleep(0.01 * (3 - n))  # later updates are quicker: order must still hold
        order.append(n)

    update = Update.de_json({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 9, "type": "private"}, "text": "x"}}, None)
    await asyncio.gather(*(processor.process_update(update, job(n)) for n in range(3)))
    assert order == [0, 1, 2]
    assert processor._locks == {}


def test_examples_are_worked_out_once_per_index(knowledge_dir: Any) -> None:
    service = KnowledgeService.from_settings(
        load_settings(_env_file=None, knowledge_dir=knowledge_dir, cache_dir=None))
    examples = Examples()
    first = examples.of(service)
    assert first
    assert examples.of(service) is first
    service.reload()
    again = examples.of(service)
    assert again is not first
    assert again == first  # same folder, same examples


def test_secrets_are_scrubbed_from_any_logger_and_from_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "777:unit-test-secret-value"
    hide_secret(secret)
    log = logging.getLogger("some.library")
    try:
        raise ValueError(f"the token `{secret}` was rejected")
    except ValueError:
        log.exception("calling http://api/bot%s/getMe failed", secret)
    assert secret not in caplog.text
    assert caplog.text.count("<hidden>") == 2
