"""Admin features end to end: /reload and the command menus."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, validate_telegram_html

from bot.serving import ReloadReport
from bot.telegram_bot.addressing import ANONYMOUS_ADMIN_ID
from bot.telegram_bot.admin import summary_html
from bot.telegram_bot.runtime import runtime_of

ADMIN = 42
NEW_ARTICLE = """---
title: Volcanoes of Iceland
---

## Magma chambers

Basalt magma collects in shallow chambers under the Reykjanes peninsula before an eruption.
"""
NEW_QUESTION = "Where does basalt magma collect?"


@pytest.fixture
async def admin_bot(api: FakeBotApi, start_bot: Any) -> Any:
    api.private_chat(ADMIN, "Ada")
    api.private_chat(7, "Bob")
    return await start_bot(admin_ids=frozenset({ADMIN}))


async def test_reload_picks_up_a_new_article(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    api.send_user_message(ADMIN, NEW_QUESTION)
    [before] = await api.wait_for_messages(1)
    assert "<blockquote" not in before.raw_text  # not in the knowledge base yet
    (knowledge_dir / "volcanoes.md").write_text(NEW_ARTICLE)
    api.send_user_message(ADMIN, "/reload")
    summary = (await api.wait_for_messages(2))[1]
    assert "Added: volcanoes" in summary.text
    assert "2 documents" in summary.text
    api.send_user_message(ADMIN, NEW_QUESTION)
    after = (await api.wait_for_messages(3))[2]
    assert "Basalt magma collects" in after.text
    assert "Volcanoes of Iceland" in after.text


async def test_reload_with_nothing_changed_says_so(api: FakeBotApi, admin_bot: Any) -> None:
    api.send_user_message(ADMIN, "/reload")
    [summary] = await api.wait_for_messages(1)
    assert "nothing changed" in summary.text


async def test_non_admins_are_refused_and_logged(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (knowledge_dir / "volcanoes.md").write_text(NEW_ARTICLE)
    api.send_user_message(7, "/reload")
    api.group_chat(-100, "Readers")
    api.send_user_message(-100, "/reload@ThisBot", from_user=8)
    private, group = await api.wait_for_messages(2)
    assert "only the bot's admins" in private.text
    assert "only the bot's admins" in group.text
    assert "user 7" in caplog.text
    assert "user 8" in caplog.text
    api.send_user_message(7, NEW_QUESTION)  # the index was not reloaded
    assert "<blockquote" not in (await api.wait_for_messages(3))[2].raw_text


async def test_anonymous_admins_are_sent_to_a_private_chat(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    api.group_chat(-100, "Readers")
    (knowledge_dir / "volcanoes.md").write_text(NEW_ARTICLE)
    anonymous = {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group",
                 "username": "GroupAnonymousBot"}
    api.send_user_message(-100, "/reload", from_user=anonymous,
                          extra={"sender_chat": api.chat(-100)})
    [refusal] = await api.wait_for_messages(1)
    assert "private chat" in refusal.text
    assert len(runtime_of(admin_bot.bot_data).service.index.knowledge.documents) == 1


async def test_a_broken_folder_keeps_the_old_index_serving(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    (knowledge_dir / "volcanoes.md").write_text(NEW_ARTICLE)
    (knowledge_dir / "scan<1>.txt").write_bytes(b"\x89PNG\x00\x00binary")
    api.send_user_message(ADMIN, "/reload")
    [failure] = await api.wait_for_messages(1)
    assert "Reload failed" in failure.text
    assert "scan<1>.txt" in failure.text
    assert "scan&lt;1&gt;.txt" in failure.raw_text  # escaped: the name is not taken for a tag
    api.send_user_message(ADMIN, "What was the spy balloon incident?")
    api.send_user_message(ADMIN, NEW_QUESTION)
    _, old, new = await api.wait_for_messages(3)
    assert "balloon" in old.text
    assert "<blockquote>" in old.raw_text
    assert "<blockquote" not in new.raw_text  # nothing of the half-read folder is served


def nest(folder: Path, depth: int) -> Callable[[], None]:
    """`depth` folders inside each other, an article at the bottom: deeper than Python's
    recursion limit, as a runaway script can make them. Returns what removes them again (one at
    a time: mkdir(parents=True) and shutil.rmtree recurse, and would fail on them)."""
    chain = [folder]
    for _ in range(depth):
        chain.append(chain[-1] / "d")
        chain[-1].mkdir()
    (chain[-1] / "deep.md").write_text(NEW_ARTICLE)

    def remove() -> None:
        (chain[-1] / "deep.md").unlink()
        for path in reversed(chain[1:]):
            path.rmdir()

    return remove


def non_utf8_name(folder: Path) -> None:
    """A file whose name is not UTF-8 (Latin-1 "é"): Python reads it with a lone surrogate."""
    fd = os.open(os.fsencode(folder) + b"/caf\xe9.md", os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, NEW_ARTICLE.encode())
    os.close(fd)


@pytest.mark.parametrize("breakage", [nest, non_utf8_name],
                         ids=["nested-1000-deep", "non-utf8-name"])
async def test_any_failure_of_a_reload_is_a_short_reply_and_the_old_index_serves(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path, breakage: Any,
    request: pytest.FixtureRequest,
) -> None:
    if breakage is nest:
        request.addfinalizer(nest(knowledge_dir, 1000))
    else:
        non_utf8_name(knowledge_dir)
    api.send_user_message(ADMIN, "/reload")
    [failure] = await api.wait_for_messages(1, timeout=60)
    assert failure.text.startswith("Reload failed")
    said = failure.text.lower()  # the file, or the cause, in the loader's words or the adapter's
    causes = ("deep", "nested", "recursion") if breakage is nest else ("caf", "utf-8")
    assert any(word in said for word in causes), failure.text
    assert len(failure.text) < 600  # the cause in a line, not a traceback
    assert "Traceback" not in failure.text
    api.send_user_message(ADMIN, "What was the spy balloon incident?")
    api.send_user_message(ADMIN, NEW_QUESTION)
    _, old, new = await api.wait_for_messages(3)
    assert "balloon" in old.text
    assert "<blockquote" not in new.raw_text  # still the previous index


async def test_concurrent_reloads_both_reply(
    api: FakeBotApi, start_bot: Any, knowledge_dir: Path
) -> None:
    api.private_chat(ADMIN)
    api.private_chat(43)
    await start_bot(admin_ids=frozenset({ADMIN, 43}))
    (knowledge_dir / "volcanoes.md").write_text(NEW_ARTICLE)
    api.send_user_message(ADMIN, "/reload")
    api.send_user_message(43, "/reload")
    sent = await api.wait_for_messages(2)
    assert {m.chat_id for m in sent} == {ADMIN, 43}
    assert all(m.text.startswith("Reloaded") for m in sent)
    # They ran one after the other: exactly one of them saw the new article arrive.
    assert sum("Added: volcanoes" in m.text for m in sent) == 1


async def test_questions_are_answered_while_a_reload_runs(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    # Enough text that reading and indexing it takes a noticeable time.
    sentence = "Basalt magma collects in shallow chambers under the Reykjanes peninsula. "
    paragraphs = "\n\n".join(f"Survey {i}. " + sentence * 8 for i in range(4000))
    (knowledge_dir / "volcanoes.md").write_text("# Volcanoes\n\n" + paragraphs)
    api.send_user_message(ADMIN, "/reload")
    await api.wait_for_calls("sendChatAction")  # the reload has started
    api.send_user_message(7, "What was the spy balloon incident?")
    api.send_user_message(7, NEW_QUESTION)
    sent = await api.wait_for_messages(3, timeout=60)
    answers = [m for m in sent if m.chat_id == 7]
    assert sent[-1].chat_id == ADMIN
    assert "Added: volcanoes" in sent[-1].text
    assert "balloon" in answers[0].text
    assert "<blockquote" not in answers[1].raw_text  # answered from the old index


async def test_command_menus_public_and_per_admin(
    api: FakeBotApi, start_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api.private_chat(ADMIN)
    # Admin 5 never started the bot: Telegram answers "chat not found" for its menu. Menus are
    # set for everyone first, then per admin in id order; a 0 s stall lets the first one pass.
    api.stall_next("setMyCommands", seconds=0)
    api.fail_next("setMyCommands", error_code=400, description="Bad Request: chat not found")
    await start_bot(admin_ids=frozenset({ADMIN, 5}))
    public = [c["command"] for c in api.my_commands()]
    admin = [c["command"] for c in api.my_commands({"type": "chat", "chat_id": ADMIN})]
    assert public == ["start", "help", "ask", "id"]
    assert admin == ["start", "help", "ask", "id", "reload", "docs", "remove", "stats"]
    assert api.my_commands({"type": "chat", "chat_id": 5}) == []
    assert "menu for admin 5" in caplog.text
    assert "not found" in caplog.text.lower()
    # Start-up touched only what it needs.
    assert {method for method, _ in api.calls} <= {
        "getMe", "deleteWebhook", "setMyCommands", "getUpdates"}
    api.send_user_message(ADMIN, "What was the spy balloon incident?")
    await api.wait_for_messages(1)  # and the bot serves anyway


async def test_a_server_error_on_the_menu_is_retried(api: FakeBotApi, start_bot: Any) -> None:
    api.fail_next("setMyCommands", error_code=500)
    await start_bot()
    assert [c["command"] for c in api.my_commands()] == ["start", "help", "ask", "id"]
    assert len(api.calls_of("setMyCommands")) == 2


async def test_a_failing_public_menu_does_not_stop_start_up(
    api: FakeBotApi, start_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail_next("setMyCommands", error_code=403, description="Forbidden: bot was blocked")
    api.private_chat(7)
    await start_bot()
    assert "could not set the command menu for everyone" in caplog.text
    api.send_user_message(7, "What was the spy balloon incident?")
    [answer] = await api.wait_for_messages(1)
    assert "balloon" in answer.text


async def test_admin_ids_are_checked_on_every_call(
    api: FakeBotApi, admin_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(2):
        api.send_user_message(7, "/reload")
        api.send_user_message(ADMIN, "/reload")
    sent = await api.wait_for_messages(4)
    assert sorted(m.chat_id for m in sent) == [7, 7, ADMIN, ADMIN]
    assert all(("Reloaded" in m.text) == (m.chat_id == ADMIN) for m in sent)
    assert caplog.text.count("refused /reload from user 7") == 2


def test_summary_of_a_huge_reload_fits_one_message() -> None:
    ids = tuple(f"article-{n:05}<x>" for n in range(5000))
    report = ReloadReport(ids, (), ("old",), 90000, 3, 1, 5001, 90010, 1.5)
    html = summary_html(report)
    text = validate_telegram_html(html)
    assert "5001 documents" in text
    assert "and 4990 more" in text
    assert "article-00000<x>" in text


async def test_the_reload_summary_lists_the_files_it_does_not_read(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    (knowledge_dir / "essay.docx").write_bytes(b"PK\x03\x04")
    (knowledge_dir / "photo <1>.jpg").write_bytes(b"\xff\xd8\xff")
    api.send_user_message(ADMIN, "/reload")
    [summary] = await api.wait_for_messages(1)
    assert summary.text.splitlines()[1:] == [
        "Not read (2):",
        "• essay.docx is a word-processor document (.docx), which is not read; save it as PDF, "
        "or paste its text into a .md file",
        "• photo <1>.jpg is an image (.jpg), which is not read; put the article's text into a "
        ".md or .txt file",
    ]
    assert "photo &lt;1&gt;.jpg" in summary.raw_text
