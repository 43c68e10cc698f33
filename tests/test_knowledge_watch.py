"""The knowledge folder watched for edits on disk, end to end through the real Application: an
edit is served without a /reload; a broken edit keeps the old index and tells every admin once
(however many writes the editor made, and not again for the same error); a fix is announced;
the bot's own changes and hidden files cause no second reload; admins the bot cannot write to
are logged; and BOT_WATCH_KNOWLEDGE=false turns it all off."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi

from bot.telegram_bot.runtime import runtime_of

ADMINS = (42, 43)
DEBOUNCE = 0.3  # the test's bursts of writes are a few milliseconds apart
ARTICLE = b"""# Volcanoes of Iceland

Basalt magma collects in shallow chambers under the Reykjanes peninsula before an eruption.
"""
BROKEN = b"---\ntitle: [unclosed\n---\n\nBasalt magma collects in shallow chambers.\n"


@pytest.fixture
async def watched_bot(api: FakeBotApi, start_bot: Any, caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.INFO)
    for admin in ADMINS:
        api.private_chat(admin, f"Admin {admin}")
    return await start_bot(admin_ids=frozenset(ADMINS), watch_knowledge=True,
                           watch_debounce=DEBOUNCE)


def served(app: Any) -> list[str]:
    return [d.id for d in runtime_of(app.bot_data).service.index.knowledge.documents]


async def eventually(predicate: Callable[[], bool], timeout: float = 15.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


async def quiet(seconds: float = 5 * DEBOUNCE) -> None:
    """Long enough for a watcher that was going to react to have done so."""
    await asyncio.sleep(seconds)


async def save_in_bursts(path: Path, data: bytes, pieces: int = 5) -> None:
    """Write `data` as an editor might: truncated first, then in pieces, quickly."""
    step = max(len(data) // pieces, 1)
    with open(path, "wb") as file:  # noqa: ASYNC230  (the burst is the point)
        for start in range(0, len(data), step):
            file.write(data[start : start + step])
            file.flush()
            await asyncio.sleep(0.01)


def reloads(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.name == "bot.serving" and r.getMessage().startswith("reloaded")
               for r in caplog.records)


def failures(caplog: pytest.LogCaptureFixture) -> int:
    return sum("changed on disk but cannot be loaded" in r.getMessage() for r in caplog.records)


async def test_an_edit_on_disk_is_served_without_a_reload_command(
    api: FakeBotApi, watched_bot: Any, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await save_in_bursts(knowledge_dir / "volcanoes.md", ARTICLE)
    await eventually(lambda: "volcanoes" in served(watched_bot))
    await quiet()
    assert reloads(caplog) == 1  # one burst of writes, one reload
    assert api.sent_messages == []  # a good edit is logged, not announced
    api.send_user_message(ADMINS[0], "Where does basalt magma collect?")
    [answer] = await api.wait_for_messages(1)
    assert "Reykjanes" in answer.text


async def test_a_broken_edit_keeps_the_old_index_and_tells_each_admin_once(
    api: FakeBotApi, watched_bot: Any, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = runtime_of(watched_bot.bot_data).service.index
    await save_in_bursts(knowledge_dir / "volcanoes.md", BROKEN)
    await api.wait_for_messages(2, timeout=15)
    await quiet()
    assert failures(caplog) == 1
    assert sorted(m.chat_id for m in api.sent_messages) == list(ADMINS)  # one each
    for message in api.sent_messages:
        assert message.text.startswith("An edit in the knowledge folder cannot be loaded; I'm "
                                       "still answering from the previous knowledge base.")
        assert "volcanoes.md: broken front matter at line 2" in message.text
    assert runtime_of(watched_bot.bot_data).service.index is before
    # Saved again with the same mistake: the error is the same, so nobody is told again.
    await save_in_bursts(knowledge_dir / "volcanoes.md", BROKEN + b"\nMore text.\n")
    await eventually(lambda: failures(caplog) == 2)
    await quiet()
    assert len(api.sent_messages) == 2
    # Fixed: the admins hear that it loads again, and it is served.
    await save_in_bursts(knowledge_dir / "volcanoes.md", ARTICLE)
    await api.wait_for_messages(4, timeout=15)
    fixed = api.sent_messages[2:]
    assert sorted(m.chat_id for m in fixed) == list(ADMINS)
    assert all(m.text.startswith("The knowledge folder loads again after the edit on disk.\n"
                                 "Reloaded (2 documents") for m in fixed)
    assert "volcanoes" in served(watched_bot)


async def test_the_bot_s_own_changes_are_not_reloaded_twice(
    api: FakeBotApi, watched_bot: Any, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api.send_user_document(ADMINS[0], ARTICLE, "volcanoes.md")
    [added] = await api.wait_for_messages(1, timeout=15)
    assert added.text.startswith("Added")
    await quiet()
    assert reloads(caplog) == 1  # the upload's own reload only
    assert len(api.sent_messages) == 1
    # A failed upload, taken back, is no edit either.
    api.send_user_document(ADMINS[0], ARTICLE.replace(b"# Volcanoes", b"# Lava"), "volcanoes.md")
    await api.wait_for_messages(2, timeout=15)  # the question whether to replace it
    await quiet()
    assert reloads(caplog) == 1
    assert failures(caplog) == 0


async def test_hidden_files_and_editor_leftovers_cause_no_reload(
    api: FakeBotApi, watched_bot: Any, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (knowledge_dir / ".volcanoes.md.swp").write_bytes(b"\x00swap")
    (knowledge_dir / "volcanoes.md~").write_bytes(ARTICLE)
    (knowledge_dir / ".cache").mkdir()
    (knowledge_dir / ".cache" / "entry.md").write_bytes(ARTICLE)
    await quiet()
    assert reloads(caplog) == 0


async def test_admins_without_a_private_chat_are_logged_not_retried(
    api: FakeBotApi, start_bot: Any, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api.private_chat(42)  # 99 never started the bot: Telegram answers "chat not found"
    app = await start_bot(admin_ids=frozenset({42, 99}), watch_knowledge=True,
                          watch_debounce=DEBOUNCE)
    await save_in_bursts(knowledge_dir / "volcanoes.md", BROKEN)
    await api.wait_for_messages(1, timeout=15)
    await eventually(lambda: "could not tell admin 99" in caplog.text)
    await quiet()
    to_99 = [p for p in api.calls_of("sendMessage") if p["chat_id"] == "99"]
    assert len(to_99) == 1
    assert "they must start a private chat with the bot" in caplog.text
    assert served(app) == ["000_29f201e5e6a39567"]


async def test_watching_can_be_turned_off(
    api: FakeBotApi, start_bot: Any, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api.private_chat(42)
    app = await start_bot(admin_ids=frozenset({42}), watch_knowledge=False)
    (knowledge_dir / "volcanoes.md").write_bytes(ARTICLE)
    await quiet()
    assert served(app) == ["000_29f201e5e6a39567"]
    api.send_user_message(42, "/reload")
    [summary] = await api.wait_for_messages(1)
    assert "Added: volcanoes" in summary.text  # the edit was left for /reload
