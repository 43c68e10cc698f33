"""Reloads under load: the knowledge folder flips between two versions whose documents say which
version they are, 20 times while questions are answered; every answer quotes one version only."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import KNOWLEDGE
from fake_bot_api import FakeBotApi

from bot.serving import KnowledgeService

ADMIN = 7
RELOADS = 20
VERSION = re.compile(r"Version ([AB]), part")
_EVAL = (KNOWLEDGE.parent / "tests" / "eval" / "questions.jsonl").read_text().splitlines()
QUESTIONS = [row["question"] for row in map(json.loads, filter(None, _EVAL))
             if not row.get("previous")]


@pytest.fixture
def flip(tmp_path: Path) -> tuple[Path, Any]:
    """An `articles` link to version A or B of the article, split into three documents titled
    "Version X, part n", and `flip()`, which points it at the other version atomically."""
    [article] = [p for p in KNOWLEDGE.glob("*.txt") if p.name != "synonyms.txt"]  # an article
    paragraphs = [p for p in article.read_text().split("\n", 1)[1].split("\n\n") if p.strip()]
    size = -(-len(paragraphs) // 3)
    for version in "AB":
        folder = tmp_path / version
        folder.mkdir()
        for n in range(3):
            text = "\n\n".join(paragraphs[n * size:(n + 1) * size])
            (folder / f"part{n + 1}.txt").write_text(f"Version {version}, part {n + 1}\n\n{text}\n")
    link = tmp_path / "articles"
    link.symlink_to(tmp_path / "A")
    current = ["A"]

    def flip() -> None:
        current[0] = "B" if current[0] == "A" else "A"
        fresh = tmp_path / "articles.new"
        fresh.symlink_to(tmp_path / current[0])
        os.replace(fresh, link)  # a rename: a reload sees one folder or the other, never a mix

    return link, flip


def versions(text: str) -> set[str]:
    return set(VERSION.findall(text))


def test_a_thousand_questions_during_twenty_reloads_each_quote_one_version(
    make_settings: Any, flip: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    link, flip_link = flip
    service = KnowledgeService.from_settings(make_settings(knowledge_dir=link))
    errors: list[BaseException] = []

    def reload_repeatedly() -> None:
        try:
            for _ in range(RELOADS):
                flip_link()
                service.reload()
        except BaseException as exc:  # reported by the asking thread
            errors.append(exc)

    reloader = threading.Thread(target=reload_repeatedly)
    reloader.start()
    seen: list[set[str]] = []
    while reloader.is_alive() or len(seen) < 1000:
        answer = service.ask(QUESTIONS[len(seen) % len(QUESTIONS)])
        seen.append({c.title.split(",")[0][-1] for c in answer.citations})
    reloader.join()
    assert not errors
    assert all(len(found) <= 1 for found in seen)
    assert {"A"} in seen
    assert {"B"} in seen
    assert sum(1 for found in seen if found) > len(seen) / 2  # most questions were answered
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_reloads_by_an_admin_while_chats_ask_never_mix_versions(
    api: FakeBotApi, start_bot: Any, flip: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    link, flip_link = flip
    await start_bot(knowledge_dir=link, admin_ids=frozenset({ADMIN}))
    chats = [4000 + n for n in range(10)]
    for chat in [*chats, ADMIN]:
        api.private_chat(chat)
    asked = 0
    for round_ in range(RELOADS):
        for chat in chats:
            api.send_user_message(chat, QUESTIONS[(round_ * len(chats) + chat) % len(QUESTIONS)])
            asked += 1
        await api.wait_for_messages(asked + round_, timeout=30)
        flip_link()
        api.send_user_message(ADMIN, "/reload")  # answered while the next round is asked
    await api.wait_for_messages(asked + RELOADS, timeout=30)
    await asyncio.sleep(0.3)
    reloads = api.messages_in(ADMIN)
    assert len(reloads) == RELOADS
    assert all(m.text.startswith("Reloaded") for m in reloads)
    answers = [m for chat in chats for m in api.messages_in(chat)]
    assert len(answers) == asked
    assert all(len(versions(m.text)) <= 1 for m in answers)
    assert {v for m in answers for v in versions(m.text)} == {"A", "B"}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
