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
            # Off unless a test watches: an edit a test makes must reach the bot by its /reload.
            "watch_knowledge": False,
        }
        return load_settings(**(values | overrides))

    return make


@contextlib.asynccontextmanager
async def polling(settings: Settings, allowed_updates: Sequence[str] | None = None,
                  **build: Any) -> AsyncIterator[Any]:
    """The bot as `python -m bot` runs it by long polling, minus the signal handling."""
    from bot.telegram_bot.app import build_application
    from bot.telegram_bot.running import serving

    app = build_application(settings, KnowledgeService.from_settings(settings), **build)
    async with serving(app, settings, allowed_updates):
        yield app


@contextlib.asynccontextmanager
async def webhook(settings: Settings, **build: Any) -> AsyncIterator[tuple[Any, Any]]:
    """The bot as `python -m bot` runs it with a webhook, minus the signal handling:
    (app, webhook options), the server listening on `settings.port`."""
    from bot.telegram_bot.app import build_application
    from bot.telegram_bot.running import serving

    app = build_application(settings, KnowledgeService.from_settings(settings), **build)
    async with serving(app, settings) as server:
        yield app, server.options


@pytest.fixture
async def start_bot(make_settings: Callable[..., Settings]
                    ) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """`await start_bot(**settings)` starts a polling bot, stopped when the test ends."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(allowed_updates: Sequence[str] | None = None, *,
                        build: dict[str, Any] | None = None, **overrides: Any) -> Any:
            """`build`: keyword arguments for build_application (a limiter, slots)."""
            return await stack.enter_async_context(
                polling(make_settings(**overrides), allowed_updates, **(build or {})))

        yield start


@pytest.fixture
async def bot(start_bot: Callable[..., Awaitable[Any]]) -> Any:
    return await start_bot()


@pytest.fixture
async def site() -> AsyncIterator[Any]:
    """A small web site on loopback (tests/sites.py), for links an admin sends."""
    from sites import Site

    web_site = Site()
    await web_site.start()
    yield web_site
    await web_site.stop()


@pytest.fixture(autouse=True)
def _private_state_dir(_clean_environ: None, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's bot journals its updates in its own folder, not in the project's .state/."""
    monkeypatch.setenv("BOT_STATE_DIR", str(tmp_path / "state"))


# ---- no secret in any log line of the whole run (tests/test_security.py) -------------------

import logging  # noqa: E402  (kept with the code that needs them: this section was appended)
import sys  # noqa: E402
from collections.abc import Iterable, Iterator  # noqa: E402

# Every token and webhook secret the tests use. At the end of the run the secrets the bot was
# told to hide (bot.telegram_bot.logs: webhook secrets derived from tokens among them) are
# checked too.
KNOWN_SECRETS = (
    TOKEN,
    "123456:TEST-fake-token",  # fake_bot_api.DEFAULT_TOKEN
    "123456:SECRET-never-shown", "hush-hush",  # tests/test_settings.py
    "s3cret_-X",  # tests/test_webhook.py
    "999:WRONG-token-that-telegram-refuses",  # tests/test_process.py
    "777:unit-test-secret-value",  # tests/test_security.py logs it, to see it hidden
)


class EveryLogLine(logging.Handler):
    """Every record of the run at every level, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a bad format string: its parts may still hold a secret
            self.lines.append(f"{record.msg!r} % {record.args!r}")


EVERY_LOG_LINE = EveryLogLine()
# DEBUG for the whole run: PTB logs every request's parameters (setWebhook's secret_token
# among them) at DEBUG, which is where a secret would slip out. A test's caplog.set_level
# still works and is undone after it.
logging.getLogger().addHandler(EVERY_LOG_LINE)
logging.getLogger().setLevel(logging.DEBUG)


def leaked_lines(lines: Sequence[str], secrets: Iterable[str]) -> list[str]:
    wanted = [s for s in secrets if s]
    return [line for line in lines if any(s in line for s in wanted)]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from bot.telegram_bot.logs import hidden_secrets

    leaks = leaked_lines(EVERY_LOG_LINE.lines, {*KNOWN_SECRETS, *hidden_secrets()})
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\n\nA SECRET REACHED {len(leaks)} LOG LINE(S), e.g.:\n{leaks[0][:2000]}",
              file=sys.stderr)


# ---- files opened, seen through Python's "open" audit event --------------------------------

class FileOpens:
    """The files a test's code opened, in any thread, and actions run at the moment a given
    file is opened: a test can change the folder at an exact point of a reload."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.errors: list[BaseException] = []
        self._actions: dict[str, Callable[[], object]] = {}

    def when_opened(self, path: Path, action: Callable[[], object]) -> None:
        """Run `action` once, just before `path` is opened."""
        self._actions[str(path)] = action

    def opened(self, raw: object) -> None:
        if isinstance(raw, bytes):
            raw = os.fsdecode(raw)
        if not isinstance(raw, str | os.PathLike):
            return  # a file descriptor
        path = os.fspath(raw)
        self.paths.append(str(path))
        action = self._actions.pop(str(path), None)
        if action is not None:
            try:
                action()
            except Exception as exc:  # an audit hook must not fail the open it watches
                self.errors.append(exc)


_watching: list[FileOpens] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _watching:
        _watching[-1].opened(args[0])


@pytest.fixture
def file_opens() -> Iterator[FileOpens]:
    if not getattr(sys, "_bot_tests_audit_hook", False):
        sys.addaudithook(_audit)  # hooks cannot be removed: one for the run, idle between uses
        sys._bot_tests_audit_hook = True  # type: ignore[attr-defined]
    watcher = FileOpens()
    _watching.append(watcher)
    try:
        yield watcher
    finally:
        _watching.remove(watcher)
    assert not watcher.errors, watcher.errors
