"""The aiohttp transport against the fake Bot API: what Telegram receives (form fields, multipart
uploads), the answers and errors PTB makes of its replies, and how each transport failure
(refused, pool timeout, read timeout, dropped connection, proxy) is raised and judged for a
retry."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from fake_bot_api import FakeBotApi
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.serving import KnowledgeService
from bot.settings import load_settings
from bot.telegram_bot.app import build_application
from bot.telegram_bot.logs import hide_secret
from bot.telegram_bot.sending import safe_to_retry
from bot.telegram_bot.transport import AiohttpRequest, may_arrive_late, never_sent

TOKEN = "4242:TRANSPORT-token"


@pytest.fixture(autouse=True)
def _token_hidden() -> None:
    """As the bot does before it makes a request: PTB logs URLs, with the token, at DEBUG."""
    hide_secret(TOKEN)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN, bot_username="ThisBot") as fake:
        yield fake


async def make_bot(base_url: str, request: AiohttpRequest | None = None) -> Bot:
    bot = Bot(TOKEN, base_url=base_url, request=request or AiohttpRequest(read_timeout=1.0))
    await bot.initialize()  # getMe: also proves a plain request round trip
    return bot


async def test_messages_reach_telegram_as_form_fields_and_come_back_parsed(
    api: FakeBotApi
) -> None:
    api.private_chat(42)
    bot = await make_bot(api.base_url)
    try:
        assert bot.username == "ThisBot"
        await bot.send_chat_action(42, "typing")
        sent = await bot.send_message(42, "<b>“Quoted” &amp; cited</b>", parse_mode="HTML")
    finally:
        await bot.shutdown()
    assert sent.text == "“Quoted” & cited"
    assert api.calls_of("sendChatAction")[0]["action"] == "typing"
    [message] = api.sent_messages
    assert message.chat_id == 42
    assert message.text == "“Quoted” & cited"


async def test_files_go_as_multipart_with_the_other_fields(api: FakeBotApi) -> None:
    bot = await make_bot(api.base_url)
    try:
        with pytest.raises(InvalidToken):  # the fake has no sendDocument: 404, as PTB reads it
            await bot.send_document(42, b"line one\nline two\n", filename="notes.txt",
                                    caption="the notes")
    finally:
        await bot.shutdown()
    [params] = api.calls_of("sendDocument")
    assert params["document"] == {"file_name": "notes.txt", "size": 18}
    assert params["caption"] == "the notes"
    assert str(params["chat_id"]) == "42"


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
    assert "3" in str(flood.value)
    assert safe_to_retry(bad_gateway.value)  # Telegram's proxy answered: nothing was sent


async def test_a_refused_connection_was_never_sent() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as refused:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert isinstance(refused.value.__cause__, aiohttp.ClientConnectorError)
    assert safe_to_retry(refused.value)


async def test_a_pool_timeout_was_never_sent(api: FakeBotApi) -> None:
    api.private_chat(42)
    request = AiohttpRequest(connection_pool_size=1, read_timeout=3.0, connect_timeout=0.1,
                             pool_timeout=0.2)
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
    assert not safe_to_retry(dropped.value)
    assert not may_arrive_late(dropped.value.__cause__)
    assert [m.text for m in api.sent_messages] == (["dropped", "next"] if processed else ["next"])


def test_a_request_written_into_a_closing_connection_was_never_sent() -> None:
    # How aiohttp reports it: the body writer fails, and reading the response raises this.
    reset = aiohttp.ClientConnectionResetError("Cannot write to closing transport")
    failed = aiohttp.ClientOSError(None, "Can not write request body")
    failed.__cause__ = reset
    error = NetworkError("aiohttp.ClientOSError")
    error.__cause__ = failed
    assert never_sent(reset)
    assert safe_to_retry(error)
    assert not never_sent(aiohttp.ClientOSError(104, "Connection reset by peer"))


async def test_the_environments_proxy_is_used_unless_exempted(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a proxy that is not there
        probe.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as through_proxy:
            await request.post(f"{api.base_url}{TOKEN}/getMe")
        assert isinstance(through_proxy.value.__cause__, aiohttp.ClientProxyConnectionError)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        await request.shutdown()
        await request.initialize()  # proxies are looked up once per session and host
        assert (await request.post(f"{api.base_url}{TOKEN}/getMe"))["username"] == "ThisBot"
    finally:
        await request.shutdown()


async def test_requests_need_an_initialized_transport(api: FakeBotApi) -> None:
    request = AiohttpRequest()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{api.base_url}{TOKEN}/getMe")
    async with request:  # initialize ... shutdown, and again
        assert await request.post(f"{api.base_url}{TOKEN}/getMe")
    async with request:
        assert await request.post(f"{api.base_url}{TOKEN}/getMe")


def test_the_bot_polls_and_sends_over_aiohttp(knowledge_dir: Path) -> None:
    settings = load_settings(_env_file=None, token=TOKEN, api_base_url="http://127.0.0.1:9/bot",
                             knowledge_dir=knowledge_dir, cache_dir=None, state_dir=None,
                             webhook_url=None, admin_ids=frozenset())
    app = build_application(settings, KnowledgeService.from_settings(settings))
    get_updates, others = app.bot._request  # PTB keeps no public handle on the first
    assert isinstance(get_updates, AiohttpRequest)
    assert isinstance(others, AiohttpRequest)
