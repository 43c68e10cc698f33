"""`python -m bot` as a process against the fake Bot API: polling and webhook mode, a clean stop on
SIGTERM with an answer in flight, SIGHUP reloads, and one clear line when it cannot start."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from botprocess import PROJECT, bot_env, bot_process, free_port, read, stop
from conftest import TOKEN
from fake_bot_api import FakeBotApi

from bot.settings import Settings
from bot.telegram_bot.app import file_url, run

SPY = "What was the spy balloon incident?"


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


async def test_python_m_bot_without_a_network_says_so_in_one_line(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens: connection refused
    env = bot_env(api, knowledge_dir, tmp_path, TOKEN) | {
        "BOT_API_BASE_URL": unreachable, "BOT_LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=PROJECT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 1
    assert len(lines) == 1, lines
    [line] = lines
    assert line.startswith("Cannot start the bot: the Bot API at 127.0.0.1:")
    assert "cannot be reached" in line
    assert "BOT_API_BASE_URL" in line
    assert TOKEN not in line
