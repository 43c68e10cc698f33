"""Shared fixtures. No BOT_* variable from the developer's shell reaches a test, and the Telegram
tests run the real Application against the fake Bot API in tests/fake_bot_api.py."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi

from bot.serving import KnowledgeService
from bot.settings import Settings, load_settings

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
TOKEN = "4242:SECRET-token-never-logged"
BOT_ID = 4242
BOT_USERNAME = "ThisBot"


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real token (or webhook, or admin list) in the environment must never reach a test."""
    for name in list(os.environ):
        if name.startswith("BOT_") or name == "PORT":
            monkeypatch.delenv(name)


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """A copy of the project's articles that a test may change."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for path in KNOWLEDGE.glob("*.txt"):
        shutil.copy(path, folder)
    return folder


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN, bot_username=BOT_USERNAME) as fake:
        yield fake


@pytest.fixture
def make_settings(
    api: FakeBotApi, knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Settings]:
    """Settings for the fake, ignoring .env files (a developer's .env holds a real token)."""
    # As run() does: without it PTB 22 warns inside every RetryAfter, an error under pytest.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "_env_file": None, "token": TOKEN, "api_base_url": api.base_url,
            "knowledge_dir": knowledge_dir, "cache_dir": None, "rate_limit": False,
            "admin_ids": frozenset(), "webhook_url": None,
        }
        return load_settings(**(values | overrides))

    return make


@contextlib.asynccontextmanager
async def polling(settings: Settings, allowed_updates: Sequence[str] | None = None
                  ) -> AsyncIterator[Any]:
    """The bot as `run_polling` runs it (post_init included), stopped and shut down after."""
    from bot.telegram_bot.app import ALLOWED_UPDATES, build_application

    app = build_application(settings, KnowledgeService.from_settings(settings))
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1,
                                    allowed_updates=allowed_updates or ALLOWED_UPDATES)
    try:
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


@pytest.fixture
async def start_bot(make_settings: Callable[..., Settings]
                    ) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """`await start_bot(**settings)` starts a polling bot, stopped when the test ends."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(allowed_updates: Sequence[str] | None = None, **overrides: Any) -> Any:
            return await stack.enter_async_context(
                polling(make_settings(**overrides), allowed_updates))

        yield start


@pytest.fixture
async def bot(start_bot: Callable[..., Awaitable[Any]]) -> Any:
    return await start_bot()
