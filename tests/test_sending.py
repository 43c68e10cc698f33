"""Sending (bot/telegram_bot/sending.py): how each failure of python-telegram-bot's HTTPXRequest
is judged for a retry, produced for real against the fake Bot API (a refused connection, a pool
timeout, a read timeout, a dropped connection, a server error), and the plain-text fallback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from botprocess import free_port
from fake_bot_api import FakeBotApi, validate_telegram_html
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.render import split_units
from bot.serving import KnowledgeService
from bot.settings import load_settings
from bot.telegram_bot.app import READ_TIMEOUT, build_application
from bot.telegram_bot.logs import hide_secret
from bot.telegram_bot.sending import (
    html_to_text,
    may_arrive_late,
    never_sent,
    retry_after_seconds,
    safe_to_retry,
)

TOKEN = "4242:SENDING-token"


@pytest.fixture(autouse=True)
def _token_hidden() -> None:
    """As the bot does before it makes a request: PTB logs URLs, with the token, at DEBUG."""
    hide_secret(TOKEN)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN, bot_username="ThisBot") as fake:
        yield fake


async def make_bot(base_url: str, request: HTTPXRequest | None = None) -> Bot:
    bot = Bot(TOKEN, base_url=base_url, request=request or HTTPXRequest(read_timeout=1.0))
    await bot.initialize()  # getMe: also proves a plain request round trip
    return bot


async def test_flood_waits_and_server_errors_are_telegrams_answers(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as `run` does
    api.private_chat(42)
    bot = await make_bot(api.base_url)
    try:
        api.fail_next("sendMessage", error_code=429, retry_after=3)
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(42, "hi")
        api.fail_next("sendMessage", error_code=502)
        with pytest.raises(NetworkError) as bad_gateway:
            await bot.send_message(42, "hi")
    finally:
        await bot.shutdown()
    assert retry_after_seconds(flood.value) == 3.0
    assert safe_to_retry(bad_gateway.value)  # Telegram's proxy answered: nothing was sent


async def test_a_refused_connection_was_never_sent() -> None:
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/bot")  # nothing listens there
    with pytest.raises(NetworkError) as refused:
        await bot.initialize()
    await bot.shutdown()
    assert isinstance(refused.value.__cause__, httpx.ConnectError)
    assert safe_to_retry(refused.value)


async def test_a_pool_timeout_was_never_sent(api: FakeBotApi) -> None:
    api.private_chat(42)
    request = HTTPXRequest(connection_pool_size=1, read_timeout=3.0, pool_timeout=0.2)
    bot = await make_bot(api.base_url, request)
    try:
        api.stall_next("sendMessage", seconds=1.0)
        busy = asyncio.create_task(bot.send_message(42, "slow"))  # holds the only connection
        await api.wait_for_calls("sendMessage", 1)
        with pytest.raises(TimedOut) as waited:
            await bot.send_chat_action(42, "typing")
        await busy
    finally:
        await bot.shutdown()
    assert never_sent(waited.value.__cause__)
    assert not may_arrive_late(waited.value.__cause__)
    assert safe_to_retry(waited.value)
    assert not api.calls_of("sendChatAction")


async def test_a_read_timeout_may_still_deliver(api: FakeBotApi) -> None:
    api.private_chat(42)
    bot = await make_bot(api.base_url)  # read timeout 1 s
    try:
        api.stall_next("sendMessage", seconds=1.5)
        with pytest.raises(TimedOut) as late:
            await bot.send_message(42, "late")
        await api.wait_for_messages(1, timeout=5)  # the fake delivers it anyway
        assert (await bot.send_message(42, "next")).text == "next"  # the pool still works
    finally:
        await bot.shutdown()
    assert may_arrive_late(late.value.__cause__)
    assert not safe_to_retry(late.value)


@pytest.mark.parametrize("processed", [False, True])
async def test_a_dropped_connection_is_not_resent(api: FakeBotApi, processed: bool) -> None:
    api.private_chat(42)
    bot = await make_bot(api.base_url)
    try:
        api.drop_next("sendMessage", processed=processed)
        with pytest.raises(NetworkError) as dropped:
            await bot.send_message(42, "dropped")
        assert (await bot.send_message(42, "next")).text == "next"
    finally:
        await bot.shutdown()
    # Dropped before or after Telegram acted, it looks the same: resending could duplicate it.
    assert isinstance(dropped.value.__cause__, httpx.RemoteProtocolError)
    assert not safe_to_retry(dropped.value)
    assert not may_arrive_late(dropped.value.__cause__)
    assert [m.text for m in api.sent_messages] == (["dropped", "next"] if processed else ["next"])


@pytest.mark.parametrize(("error", "cause", "retry"), [
    (NetworkError("Bad Gateway"), None, True),  # Telegram answered 5xx: it sent nothing
    (NetworkError("Bad Gateway. Parsing failed"), TelegramError("Invalid server response"), True),
    (NetworkError("httpx.ConnectError"), httpx.ConnectError("refused"), True),
    (TimedOut(), httpx.ConnectTimeout("no connection"), True),
    (TimedOut("Pool timeout"), httpx.PoolTimeout("all busy"), True),
    (NetworkError("httpx.WriteError"), httpx.WriteError("broken pipe"), True),  # not out in full
    (TimedOut(), httpx.WriteTimeout("slow write"), True),
    (TimedOut(), httpx.ReadTimeout("slow"), False),  # it may have been delivered
    (NetworkError("httpx.ReadError"), httpx.ReadError("reset"), False),
    (NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("gone"), False),
    (BadRequest("Chat not found"), None, False),
])
def test_only_failures_that_cannot_have_delivered_are_retried(
    error: NetworkError, cause: Exception | None, retry: bool
) -> None:
    error.__cause__ = cause  # as PTB raises them: from the httpx error
    assert safe_to_retry(error) is retry
    assert may_arrive_late(cause) is isinstance(cause, httpx.ReadTimeout)


@pytest.mark.parametrize("timedelta", [True, False])
def test_retry_after_seconds_either_way(monkeypatch: pytest.MonkeyPatch, timedelta: bool) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    error = RetryAfter(3)
    monkeypatch.setenv("PTB_TIMEDELTA", "true" if timedelta else "false")
    assert retry_after_seconds(error) == 3.0


def test_the_plain_text_fallback_counts_utf16_units_and_cuts_at_spaces() -> None:
    text = " ".join(["🎈🎈🎈"] * 3000)  # 6 UTF-16 units a word, 7 with its space
    pieces = split_units(text)
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in pieces)
    assert " ".join(pieces) == text
    assert len(pieces) == 6
    assert split_units("x" * 5000, 4096) == ["x" * 4096, "x" * 904]
    assert split_units("  \n ") == []


def test_html_to_text_is_what_the_user_would_see() -> None:
    html = "<blockquote>a &lt;b&gt; &amp; “c”</blockquote>\n— <i>Title, paragraph 2</i>"
    assert html_to_text(html) == validate_telegram_html(html)


def test_the_bot_sends_and_polls_with_ptbs_httpx_request(knowledge_dir: Path) -> None:
    settings = load_settings(_env_file=None, token=TOKEN, api_base_url="http://127.0.0.1:9/bot",
                             knowledge_dir=knowledge_dir, cache_dir=None, state_dir=None,
                             webhook_url=None, admin_ids=frozenset())
    app = build_application(settings, KnowledgeService.from_settings(settings))
    assert isinstance(app.bot.request, HTTPXRequest)
    assert app.bot.request.read_timeout == READ_TIMEOUT
