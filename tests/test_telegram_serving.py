"""Serving for real: webhook mode with its secret token, and `python -m bot` as a process that
polls the fake Bot API and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import TOKEN, webhook
from fake_bot_api import FakeBotApi

from bot.settings import Settings
from bot.telegram_bot.app import file_url, run, webhook_options

PROJECT = Path(__file__).resolve().parent.parent
SPY = "What was the spy balloon incident?"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def webhook_bot(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[tuple[Any, Any, int]]:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(webhook_url="https://bot.example.com/telegram/hook",
                             listen="127.0.0.1", port=free_port())
    async with webhook(settings) as (app, hook):
        yield app, hook, settings.port


async def test_webhook_requires_the_secret_token(
    api: FakeBotApi, webhook_bot: tuple[Any, Any, int], caplog: pytest.LogCaptureFixture
) -> None:
    _, hook, port = webhook_bot
    [registered] = api.calls_of("setWebhook")
    assert registered["url"] == "https://bot.example.com/telegram/hook"
    assert registered["secret_token"] == hook.secret_token
    assert len(hook.secret_token) >= 32
    setup_log = "\n".join(r.getMessage() for r in caplog.get_records("setup"))
    assert "generated a random one" in setup_log
    assert hook.secret_token not in setup_log
    api.private_chat(42)
    question_id = api.send_user_message(42, SPY)
    update = api.pending_updates[-1]  # Telegram would POST this instead of queueing it
    url = f"http://127.0.0.1:{port}/telegram/hook"
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


def test_file_url_follows_the_api_url() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
    assert file_url("https://x.test/bot{token}") == "https://x.test/file/bot{token}"


def test_run_reports_a_broken_knowledge_base(
    make_settings: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings: Settings = make_settings(knowledge_dir=tmp_path / "missing")
    assert run(settings) == 1
    assert "Cannot load the knowledge base" in capsys.readouterr().err


def bot_env(api: FakeBotApi, knowledge_dir: Path, tmp_path: Path, token: str) -> dict[str, str]:
    """`python -m bot`'s environment: blank values so a developer's .env cannot fill them."""
    return {
        "PATH": os.environ.get("PATH", ""), "BOT_TOKEN": token, "BOT_API_BASE_URL": api.base_url,
        "BOT_KNOWLEDGE_DIR": str(knowledge_dir), "BOT_CACHE_DIR": str(tmp_path / "cache"),
        "BOT_WEBHOOK_URL": "", "BOT_ADMIN_IDS": "", "BOT_LOG_LEVEL": "DEBUG",
        "BOT_STATE_DIR": str(tmp_path / "state"),
    }


@contextlib.asynccontextmanager
async def bot_process(env: dict[str, str], log: Path) -> AsyncIterator[Any]:
    """`python -m bot`, its log in a file (a pipe nobody reads would block it)."""
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=PROJECT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=sink)
        try:
            yield process
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def stop(process: Any, log: Path) -> None:
    """Stop the process as a host would (SIGTERM); it must exit cleanly."""
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0, read(log)[-3000:]


def read(log: Path) -> str:
    return log.read_text()


async def test_python_m_bot_with_a_refused_token_exits_with_a_message(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    wrong = "999:WRONG-token-that-telegram-refuses"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=PROJECT, env=bot_env(api, knowledge_dir, tmp_path, wrong),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == 1, log[-3000:]
    assert "Cannot start the bot" in log
    assert wrong not in log


async def test_python_m_bot_polls_answers_and_stops_cleanly_on_sigterm(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log_file = tmp_path / "bot.log"
    async with bot_process(bot_env(api, knowledge_dir, tmp_path, TOKEN), log_file) as process:
        api.private_chat(42)
        api.send_user_message(42, SPY)
        [answer] = await api.wait_for_messages(1, timeout=60)
        assert "balloon" in answer.text
        api.stall_next("sendMessage", seconds=1.0)  # an answer in flight when SIGTERM comes
        api.send_user_message(42, "Who will Blinken meet?")
        await api.wait_for_calls("sendMessage", 2)
        await stop(process, log_file)
    log = read(log_file)
    assert len(api.sent_messages) == 2
    assert "Xi Jinping" in api.sent_messages[1].text
    assert "serving @ThisBot" in log
    assert TOKEN not in log
    assert "SECRET-token" not in log


async def test_python_m_bot_serves_a_webhook_with_a_health_check_and_stops_on_sigterm(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    port, secret = free_port(), "webhook-secret-of-the-process-test"
    env = bot_env(api, knowledge_dir, tmp_path, TOKEN) | {
        "BOT_WEBHOOK_URL": "https://bot.example.com/tg/hook", "BOT_WEBHOOK_SECRET": secret,
        "BOT_LISTEN": "127.0.0.1", "BOT_PORT": str(port)}
    base = f"http://127.0.0.1:{port}"
    log_file = tmp_path / "bot.log"
    async with bot_process(env, log_file) as process, httpx.AsyncClient() as client:
        for _ in range(300):  # until the process listens and serves
            try:
                health = await client.get(base + "/healthz")
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["passages"] > 10
        assert api.calls_of("setWebhook")[-1]["url"] == "https://bot.example.com/tg/hook"
        api.private_chat(42)
        api.send_user_message(42, SPY)
        posted = await client.post(base + "/tg/hook", json=api.pending_updates[-1],
                                   headers={"X-Telegram-Bot-Api-Secret-Token": secret})
        assert posted.status_code == 200
        [answer] = await api.wait_for_messages(1, timeout=60)
        assert "balloon" in answer.text
        await stop(process, log_file)
    log = read(log_file)
    assert secret not in log
    assert TOKEN not in log


async def test_sighup_reloads_the_knowledge_base_and_a_broken_one_is_not_served(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    from test_telegram_admin import NEW_ARTICLE, NEW_QUESTION

    log_file = tmp_path / "bot.log"
    async with bot_process(bot_env(api, knowledge_dir, tmp_path, TOKEN), log_file) as process:
        api.private_chat(42)
        api.send_user_message(42, NEW_QUESTION)
        [before] = await api.wait_for_messages(1, timeout=60)
        assert "<blockquote" not in before.raw_text  # not in the knowledge base yet
        (knowledge_dir / "volcanoes.md").write_text(NEW_ARTICLE)
        process.send_signal(signal.SIGHUP)
        for _ in range(300):
            if "reloaded" in read(log_file):
                break
            await asyncio.sleep(0.1)
        api.send_user_message(42, NEW_QUESTION)
        after = (await api.wait_for_messages(2, timeout=60))[1]
        assert "Basalt magma collects" in after.text
        (knowledge_dir / "broken.txt").write_bytes(b"Title\n\nNUL \x00 inside")
        process.send_signal(signal.SIGHUP)
        for _ in range(300):
            if "reload on SIGHUP failed" in read(log_file):
                break
            await asyncio.sleep(0.1)
        assert "broken.txt" in read(log_file)
        api.send_user_message(42, NEW_QUESTION)  # still served from the last good index
        last = (await api.wait_for_messages(3, timeout=60))[2]
        assert "Basalt magma collects" in last.text
        await stop(process, log_file)
