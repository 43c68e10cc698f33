"""`python -m bot` as a process in the tests: its environment, starting it with its log in a file,
stopping it as a host would, and a free port for webhook mode."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fake_bot_api import FakeBotApi

PROJECT = Path(__file__).resolve().parent.parent
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    return log.read_text(errors="backslashreplace")


async def until(predicate: Callable[[], bool], seconds: float = 30.0, what: str = "it") -> None:
    """Wait until `predicate()` holds, checking every 0.1 s: for a process's log or state."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{what} did not happen within {seconds}s")
        await asyncio.sleep(0.1)
