"""Telegram realities end to end: flood limits, server errors, lost connections, HTML that
Telegram refuses, many chats at once, and stopping with an answer in flight."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from botprocess import until
from fake_bot_api import FakeBotApi, validate_telegram_html

from bot.render import render_html, render_text
from bot.telegram_bot.limits import FloodLimiter
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import ATTEMPTS

SPY = "What was the spy balloon incident?"
PARSE_ERROR = "Bad Request: can't parse entities: unsupported start tag \"blockquote\" at byte 0"


def service(app: Any) -> Any:
    return runtime_of(app.bot_data).service


@pytest.mark.parametrize("rate_limit", [True, False])
async def test_flood_wait_is_honoured_and_the_answer_sent_once(
    api: FakeBotApi, start_bot: Any, rate_limit: bool
) -> None:
    await start_bot(rate_limit=rate_limit)
    api.private_chat(42)
    api.fail_next("sendMessage", error_code=429, retry_after=1)
    question_id = api.send_user_message(42, SPY)
    [answer] = await api.wait_for_messages(1)
    calls = api.calls_of("sendMessage")
    assert len(calls) == 2
    assert answer.time - _arrival(api, "sendMessage", 0) >= 1.0  # waited as told
    await asyncio.sleep(0.3)
    assert [m.reply_to_message_id for m in api.sent_messages] == [question_id]


@pytest.mark.parametrize("error_code", [500, 502])
async def test_server_errors_are_retried_and_the_answer_sent_once(
    api: FakeBotApi, bot: Any, error_code: int
) -> None:
    api.private_chat(42)
    api.fail_next("sendMessage", error_code=error_code, times=2)
    question_id = api.send_user_message(42, SPY)
    [answer] = await api.wait_for_messages(1)
    assert "balloon" in answer.text
    assert len(api.calls_of("sendMessage")) == 3
    await asyncio.sleep(0.3)
    assert [m.reply_to_message_id for m in api.sent_messages] == [question_id]


@pytest.mark.parametrize("rate_limit", [True, False])
async def test_a_flood_wait_that_outlasts_every_retry_is_logged_and_serving_goes_on(
    api: FakeBotApi, start_bot: Any, caplog: pytest.LogCaptureFixture, rate_limit: bool
) -> None:
    await start_bot(rate_limit=rate_limit, build={"limiter": FloodLimiter(chat_spacing=0.01)})
    api.private_chat(42)
    api.fail_next("sendMessage", error_code=429, retry_after=1, times=ATTEMPTS)
    api.send_user_message(42, SPY)  # its answer meets nothing but flood waits
    await until(lambda: "Telegram kept asking to wait" in caplog.text, what="the log line")
    later = api.send_user_message(42, "Who will Blinken meet?")
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == later
    assert "Xi Jinping" in answer.text
    assert len(api.calls_of("sendMessage")) == ATTEMPTS + 1  # each attempt once, none twice
    await asyncio.sleep(0.3)
    assert len(api.sent_messages) == 1
    [record] = [r for r in caplog.records if "Telegram kept asking to wait" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None  # one line, no traceback


async def test_a_lost_response_is_not_retried_into_a_duplicate(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api.private_chat(42)
    api.drop_next("sendMessage", processed=True)  # delivered, but the bot never hears so
    api.send_user_message(42, SPY)
    api.send_user_message(42, "Who will Blinken meet?")
    sent = await api.wait_for_messages(2)
    assert len(api.calls_of("sendMessage")) == 2  # one per answer: no blind resend
    assert "balloon" in sent[0].text
    assert "Xi Jinping" in sent[1].text
    assert "Server disconnected" in caplog.text  # logged by the error handler, then served on


async def test_refused_html_is_resent_as_plain_text(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    api.fail_next("sendMessage", error_code=400, description=PARSE_ERROR)
    question_id = api.send_user_message(42, SPY)
    [answer] = await api.wait_for_messages(1)
    assert answer.parse_mode is None
    assert answer.entities == []
    assert answer.text == render_text(service(bot).ask(SPY))
    assert answer.reply_to_message_id == question_id


async def test_refused_html_in_a_later_part_sends_the_rest_as_text(
    api: FakeBotApi, start_bot: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    text = " ".join(f"Survey {i}: the glacier observatory measured the ice flow at station {i}."
                    for i in range(60))
    (folder / "glaciers.md").write_text(f"# Glaciers\n\n{text}\n\n{text} Again.\n")
    app = await start_bot(knowledge_dir=folder, max_quote_chars=3000)
    parts = render_html(service(app).ask("What did the glacier observatory measure?"))
    assert len(parts) >= 2
    api.private_chat(42)
    api.stall_next("sendMessage", seconds=0)  # the first part goes through
    api.fail_next("sendMessage", error_code=400, description=PARSE_ERROR)
    api.send_user_message(42, "What did the glacier observatory measure?")
    sent = await api.wait_for_messages(len(parts))
    await asyncio.sleep(0.3)
    assert len(api.sent_messages) == len(parts)
    assert sent[0].parse_mode == "HTML"
    assert sent[0].raw_text == parts[0]
    for message, part in zip(sent[1:], parts[1:], strict=True):
        assert message.parse_mode is None
        assert message.text == validate_telegram_html(part)


async def test_other_bad_requests_are_logged_not_retried(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api.private_chat(42)
    api.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    api.send_user_message(42, SPY)
    second = api.send_user_message(42, "Who will Blinken meet?")
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == second
    assert len(api.calls_of("sendMessage")) == 2
    assert "Chat not found" in caplog.text


async def test_flood_of_questions_from_many_chats_with_flood_waits(
    api: FakeBotApi, start_bot: Any
) -> None:
    await start_bot(rate_limit=True)
    api.set_fault_rate("sendMessage", rate=0.04, kinds=("429",), seed=11)
    questions = [SPY, "When was it?", "Who will Blinken meet?", "What about fentanyl?",
                 "What is the recipe for banana bread?"]
    chats = [1000 + n for n in range(20)]
    asked: dict[int, list[int]] = defaultdict(list)
    for chat in chats:
        api.private_chat(chat)
    for question in questions:  # interleaved across chats, as real traffic is
        for chat in chats:
            asked[chat].append(api.send_user_message(chat, question))
    await api.wait_for_messages(100, timeout=90)
    await asyncio.sleep(0.3)
    assert any(e.status == 429 for e in api.log), "the test should have hit flood waits"
    answered: dict[int, list[int | None]] = defaultdict(list)
    for message in api.sent_messages:
        answered[message.chat_id].append(message.reply_to_message_id)
    assert answered == asked  # every question once, in the order asked, in every chat


async def test_stopping_waits_for_an_answer_in_flight(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    api.stall_next("sendMessage", seconds=1.0)
    api.send_user_message(42, SPY)
    await api.wait_for_calls("sendMessage")
    await bot.updater.stop()
    await bot.stop()  # what run_polling does on SIGTERM
    assert len(api.sent_messages) == 1
    assert not [e for e in api.log if e.method == "sendMessage" and e.status is None]


def _arrival(api: FakeBotApi, method: str, index: int) -> float:
    return [e.time for e in api.log if e.kind == "call" and e.method == method][index]


async def test_error_handler_logs_unexpected_errors_and_serving_goes_on(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A bug in a handler: a knowledge base whose respond() raises for one question.
    class Exploding:
        def __init__(self, inner: Any) -> None:
            self.inner, self.options, self.index = inner, inner.options, inner.index

        def respond(self, question: str, turn: Any = None) -> Any:
            if "explode" in question:
                raise RuntimeError("boom")
            return self.inner.respond(question, turn)

    runtime = runtime_of(bot.bot_data)
    bot.bot_data["runtime"] = type(runtime)(runtime.settings, Exploding(runtime.service),
                                            runtime.conversations)
    api.private_chat(42)
    api.send_user_message(42, "please explode")
    second = api.send_user_message(42, SPY)
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == second
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None
    assert "boom" in str(record.exc_info[1])
