"""Webhook mode (bot/telegram_bot/webhook.py): the secret token, checked before the body is read;
oversized bodies refused unread; a secret every instance of a bot agrees on; the health check; and
a stop that turns new POSTs away while the answers in flight are sent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from botprocess import SECRET_HEADER, bot_env, bot_process, free_port, stop
from conftest import TOKEN, webhook
from fake_bot_api import FakeBotApi

from bot.serving import KnowledgeService
from bot.telegram_bot.app import build_application
from bot.telegram_bot.running import serving
from bot.telegram_bot.webhook import webhook_options, webhook_secret

SPY = "What was the spy balloon incident?"
HOOK = "https://bot.example.com/telegram/hook"
MB = 1 << 20


@pytest.fixture
async def webhook_bot(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[tuple[Any, Any, str]]:
    """A bot serving by webhook on a free port, its secret derived from the token: (app, webhook
    options, the webhook's local URL)."""
    caplog.set_level(logging.DEBUG)
    settings = make_settings(webhook_url=HOOK, listen="127.0.0.1", port=free_port())
    async with webhook(settings) as (app, hook):
        yield app, hook, f"http://127.0.0.1:{settings.port}/telegram/hook"


def queued_update(api: FakeBotApi, question: str = SPY) -> dict[str, Any]:
    """An update as Telegram would POST it (the fake queues it; nobody polls in webhook mode)."""
    api.private_chat(42)
    api.send_user_message(42, question)
    return api.pending_updates[-1]


async def test_webhook_requires_the_secret_token(
    api: FakeBotApi, webhook_bot: tuple[Any, Any, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, hook, url = webhook_bot
    [registered] = api.calls_of("setWebhook")
    assert registered["url"] == HOOK
    assert registered["secret_token"] == hook.secret_token
    assert registered["allowed_updates"] == ["message", "callback_query"]
    assert len(hook.secret_token) >= 32
    setup_log = "\n".join(r.getMessage() for r in caplog.get_records("setup"))
    assert "derived from the token" in setup_log
    assert hook.secret_token not in setup_log
    update = queued_update(api)
    question_id = update["message"]["message_id"]
    async with httpx.AsyncClient() as client:
        missing = await client.post(url, json=update)
        wrong = await client.post(url, json=update, headers={SECRET_HEADER: "guess"})
        assert (missing.status_code, wrong.status_code) == (403, 403)
        accepted = await client.post(url, json=update, headers={SECRET_HEADER: hook.secret_token})
        assert accepted.status_code == 200
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == question_id
    assert "balloon" in answer.text
    await asyncio.sleep(0.2)
    assert len(api.sent_messages) == 1  # the refused posts were not answered
    assert hook.secret_token not in caplog.text


def test_webhook_options_use_the_configured_secret_and_url_path(make_settings: Any) -> None:
    settings = make_settings(webhook_url="https://example.org/a/b/", webhook_secret="s3cret_-X",
                             port=9000)
    hook = webhook_options(settings)
    assert (hook.url_path, hook.secret_token, hook.port) == ("a/b", "s3cret_-X", 9000)
    assert webhook_options(make_settings(webhook_url="https://example.org")).url_path == ""


def test_instances_of_one_bot_derive_the_same_secret_and_other_bots_another(
    make_settings: Any,
) -> None:
    first = webhook_secret(make_settings(webhook_url=HOOK))
    second = webhook_secret(make_settings(webhook_url=HOOK, port=9001))  # another instance
    other_bot = webhook_secret(make_settings(webhook_url=HOOK, token="4343:ANOTHER-bot-token"))
    assert first == second
    assert first != other_bot
    assert TOKEN.split(":")[1] not in first
    assert len(first) == 64
    assert all(c in "0123456789abcdef" for c in first)  # within Telegram's allowed characters


async def test_two_instances_accept_each_others_secret_and_not_another_bots(
    api: FakeBotApi, make_settings: Any
) -> None:
    ports = [free_port(), free_port()]
    other_secret = webhook_secret(make_settings(webhook_url=HOOK, token="4343:ANOTHER-token"))
    async with contextlib.AsyncExitStack() as stack:
        hooks = [(await stack.enter_async_context(webhook(make_settings(
            webhook_url=HOOK, listen="127.0.0.1", port=port, state_dir=None))))[1]
            for port in ports]
        assert hooks[0].secret_token == hooks[1].secret_token
        async with httpx.AsyncClient() as client:
            for port, question in zip(ports, (SPY, "Who will Blinken meet?"), strict=True):
                update = queued_update(api, question)
                url = f"http://127.0.0.1:{port}/telegram/hook"
                refused = await client.post(url, json=update, headers={SECRET_HEADER: other_secret})
                assert refused.status_code == 403
                # Telegram sends the one secret the last setWebhook gave it, to either instance.
                sent = api.calls_of("setWebhook")[-1]["secret_token"]
                accepted = await client.post(url, json=update, headers={SECRET_HEADER: sent})
                assert accepted.status_code == 200
        answers = await api.wait_for_messages(2)
    assert {"balloon" in answers[0].text, "Xi Jinping" in answers[1].text} == {True}


async def raw_post(port: int, headers: dict[str, str], body_sent: int = 0) -> str:
    """POST headers (and `body_sent` bytes of the body they announce) over a bare socket, and
    return the status line the server answers with."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = ["POST /telegram/hook HTTP/1.1", "Host: 127.0.0.1",
             *(f"{k}: {v}" for k, v in headers.items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + b"{" * body_sent)
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    return status.decode().strip()


async def test_posts_are_judged_by_their_headers_before_the_body_is_read(
    api: FakeBotApi, make_settings: Any
) -> None:
    settings = make_settings(webhook_url=HOOK, listen="127.0.0.1", port=free_port(),
                             webhook_max_bytes=64 * 1024)
    async with webhook(settings) as (_, hook):
        huge = {"Content-Type": "application/json", "Content-Length": str(95 * MB)}
        # The server answers although not a byte of the 95 MB it was promised has come.
        assert await raw_post(settings.port, huge) == "HTTP/1.1 403 Forbidden"
        with_secret = huge | {SECRET_HEADER: hook.secret_token}
        assert await raw_post(settings.port, with_secret) == "HTTP/1.1 413 Request Entity Too Large"
        chunked = {"Content-Type": "application/json", "Transfer-Encoding": "chunked",
                   SECRET_HEADER: hook.secret_token}
        url = f"http://127.0.0.1:{settings.port}/telegram/hook"
        secret = {SECRET_HEADER: hook.secret_token}
        async with httpx.AsyncClient() as client:
            async def body() -> AsyncIterator[bytes]:
                for _ in range(1000):
                    yield b" " * 1024

            # A body of no stated size is read up to the limit, then refused: the bot hangs up
            # on the rest, so the client may see the 413 or only the closed connection.
            statuses = []
            with contextlib.suppress(httpx.TransportError):
                statuses.append((await client.post(url, content=body(), headers=chunked))
                                .status_code)
            not_json = await client.post(url, content=b"[1, 2", headers=secret)
            not_update = await client.post(url, json=[1, 2], headers=secret)
            update = await client.post(url, json=queued_update(api), headers=secret)
    assert statuses in ([], [413])
    assert (not_json.status_code, not_update.status_code, update.status_code) == (400, 400, 200)
    [answer] = await api.wait_for_messages(1)  # only the real update was answered
    assert "balloon" in answer.text


async def test_ten_95_mb_posts_without_the_secret_cost_the_bot_no_memory(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    """The attack of issue #12: anyone who finds the webhook's URL posts huge bodies. Measured on
    `python -m bot` itself: its memory moves by less than 50 MB."""
    port = free_port()
    env = bot_env(api, knowledge_dir, tmp_path, TOKEN) | {
        "BOT_WEBHOOK_URL": HOOK, "BOT_LISTEN": "127.0.0.1", "BOT_PORT": str(port),
        "BOT_LOG_LEVEL": "INFO"}
    base = f"http://127.0.0.1:{port}"
    chunk = b"x" * MB

    async def body() -> AsyncIterator[bytes]:
        for _ in range(95):
            yield chunk

    log_file = tmp_path / "bot.log"
    async with bot_process(env, log_file) as process, httpx.AsyncClient(timeout=30) as client:
        await until_healthy(client, base)
        bot = psutil.Process(process.pid)
        before = bot.memory_info().rss
        peak = before
        for _ in range(10):
            with contextlib.suppress(httpx.TransportError):  # the bot may hang up mid-body
                refused = await client.post(base + "/telegram/hook", content=body(), headers={
                    "Content-Type": "application/json", "Content-Length": str(95 * MB)})
                assert refused.status_code == 403
            peak = max(peak, bot.memory_info().rss)
        api.private_chat(42)
        api.send_user_message(42, SPY)
        secret = api.calls_of("setWebhook")[-1]["secret_token"]
        posted = await client.post(base + "/telegram/hook", json=api.pending_updates[-1],
                                   headers={SECRET_HEADER: secret})
        assert posted.status_code == 200  # and the bot still serves
        await api.wait_for_messages(1, timeout=30)
        await stop(process, log_file)
    assert peak - before < 50 * MB, f"{(peak - before) / MB:.0f} MB"


async def until_healthy(client: httpx.AsyncClient, base: str) -> None:
    for _ in range(300):  # until the process listens and serves
        with contextlib.suppress(httpx.TransportError):
            if (await client.get(base + "/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise TimeoutError("the bot never became healthy")


async def test_a_stopping_bot_turns_new_posts_away_and_finishes_its_answers(
    api: FakeBotApi, make_settings: Any
) -> None:
    settings = make_settings(webhook_url=HOOK, listen="127.0.0.1", port=free_port())
    app = build_application(settings, KnowledgeService.from_settings(settings))
    base = f"http://127.0.0.1:{settings.port}"
    async with httpx.AsyncClient() as client:
        async with serving(app, settings) as server:
            assert server is not None
            secret = {SECRET_HEADER: server.options.secret_token}
            assert (await client.get(base + "/healthz")).status_code == 200
            api.stall_next("sendMessage", seconds=1.0)  # an answer in flight at the stop
            first = await client.post(base + "/telegram/hook", json=queued_update(api),
                                      headers=secret)
            assert first.status_code == 200
            await api.wait_for_calls("sendMessage")
            server.stopping()  # what leaving the block does first, as SIGTERM does
            health = await client.get(base + "/healthz")
            late = await client.post(base + "/telegram/hook",
                                     json=queued_update(api, "Who will Blinken meet?"),
                                     headers=secret)
        assert (health.status_code, late.status_code) == (503, 503)
    assert len(api.sent_messages) == 1  # the answer in flight was sent before the exit
    assert "balloon" in api.sent_messages[0].text
