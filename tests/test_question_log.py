"""The question log: its SQLite file and salt (`bot.question_store`) and its writer thread
(`bot.question_log`), on real files."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers import make_citation

from bot.answer import Answer
from bot.question_log import QuestionLog
from bot.question_store import (
    DAY,
    FILE_NAME,
    SALT_NAME,
    QuestionStore,
    VoteResult,
    delete_files,
    new_key,
)

ANSWER = Answer("Why was the visit postponed?", True,
                (make_citation(passage_id="doc#6", paragraph=6, score=0.8),
                 make_citation(passage_id="doc#7", paragraph=7, score=0.5)),
                answerable=0.9)
REFUSAL = Answer("What is the recipe for banana bread?", False, reason="not_covered",
                 answerable=0.01)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def rows(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(folder / FILE_NAME)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


@pytest.fixture
def opened(tmp_path: Path) -> Any:
    logs: list[QuestionLog] = []

    def make(store: QuestionStore | None = None, **options: Any) -> QuestionLog:
        question_log = QuestionLog(store or QuestionStore(tmp_path, 30), **options)
        question_log.open()
        logs.append(question_log)
        return question_log

    yield make
    for question_log in logs:
        question_log.close()


def test_questions_votes_and_their_results(opened: Any, tmp_path: Path) -> None:
    question_log = opened()
    key, other = new_key(), new_key()
    question_log.record(ANSWER, key=key, user_id=7, chat="private")
    question_log.record(REFUSAL, key=other, user_id=8, chat="group")
    assert question_log.vote(key, 7, 1).result(5) is VoteResult.RECORDED
    assert question_log.vote(key, 7, 1).result(5) is VoteResult.SAME
    assert question_log.vote(key, 7, -1).result(5) is VoteResult.CHANGED
    assert question_log.vote(key, 8, 1).result(5) is VoteResult.RECORDED  # another voter
    assert question_log.vote("no-such-key", 7, 1).result(5) is VoteResult.UNKNOWN
    question_log.flushed().result(5)
    assert rows(tmp_path, "SELECT question, chat, answered, reason, score FROM questions "
                          "ORDER BY id") == [
        (ANSWER.question, "private", 1, "answered", 0.9),
        (REFUSAL.question, "group", 0, "not_covered", 0.01)]
    assert rows(tmp_path, "SELECT rank, passage, paragraph, score FROM citations") == [
        (1, "doc#6", 6, 0.8), (2, "doc#7", 7, 0.5)]
    assert sorted(rows(tmp_path, "SELECT vote FROM votes")) == [(-1,), (1,)]
    assert len(new_key()) == 12
    assert new_key() != new_key()


def test_a_message_of_several_questions_is_one_row_citing_each_answer(
    opened: Any, tmp_path: Path
) -> None:
    question_log = opened()
    first = replace(REFUSAL, question="Who won?")
    second = replace(ANSWER, question="And when?")
    message = replace(first, question="Who won? And when?", parts=(first, second))
    question_log.record(message, key=new_key(), user_id=7, chat="private")
    question_log.flushed().result(5)
    # Answered, because one of its questions was, though the first was not.
    assert rows(tmp_path, "SELECT question, answered FROM questions") == [
        ("Who won? And when?", 1)]
    assert rows(tmp_path, "SELECT rank, passage FROM citations ORDER BY rank") == [
        (rank, c.passage_id) for rank, c in enumerate(second.citations, 1)]


def test_a_full_queue_drops_records_instead_of_waiting(
    opened: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    entered, release = threading.Event(), threading.Event()

    class StuckStore(QuestionStore):
        def write(self, items: Any) -> Any:
            entered.set()
            release.wait(10)
            return super().write(items)

    question_log = opened(StuckStore(tmp_path, 30), capacity=3)
    question_log.record(ANSWER, key=new_key(), user_id=1, chat="private")
    assert entered.wait(5)  # the writer holds the first record; the disk is stuck
    started = time.perf_counter()
    for n in range(10):
        question_log.record(ANSWER, key=new_key(), user_id=n, chat="private")
    vote = question_log.vote(new_key(), 1, 1)
    assert time.perf_counter() - started < 0.5  # nothing waited for the disk
    assert vote.result(0) is VoteResult.NOT_RECORDED  # answered at once
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1
    assert dropped[0].levelno == logging.WARNING
    release.set()
    question_log.close()
    assert rows(tmp_path, "SELECT COUNT(*) FROM questions") == [(4,)]  # 1 held + 3 queued


def test_close_writes_everything_queued(opened: Any, tmp_path: Path) -> None:
    class SlowStore(QuestionStore):
        def write(self, items: Any) -> Any:
            time.sleep(0.05)
            return super().write(items)

    question_log = opened(SlowStore(tmp_path, 30))
    for n in range(200):
        question_log.record(REFUSAL, key=new_key(), user_id=n, chat="private")
    question_log.close()
    assert not question_log.running
    assert rows(tmp_path, "SELECT COUNT(*), COUNT(DISTINCT asker) FROM questions") == [(200, 200)]
    question_log.record(REFUSAL, key=new_key(), user_id=1, chat="private")  # closed: ignored


def test_questions_past_retention_are_deleted_at_start_and_then_daily(
    opened: Any, tmp_path: Path
) -> None:
    clock = Clock()
    first = opened(clock=clock)
    old, recent = new_key(), new_key()
    first.record(ANSWER, key=old, user_id=1, chat="private")
    clock.now += 20 * DAY
    first.record(REFUSAL, key=recent, user_id=2, chat="private")
    assert first.vote(old, 2, -1).result(5) is VoteResult.RECORDED
    first.close()
    clock.now += 11 * DAY  # the first question is now 31 days old, the second 11
    second = opened(clock=clock)  # a restart
    second.flushed().result(5)
    assert rows(tmp_path, "SELECT question FROM questions") == [(REFUSAL.question,)]
    assert rows(tmp_path, "SELECT COUNT(*) FROM citations") == [(0,)]  # its passages went too
    assert rows(tmp_path, "SELECT COUNT(*) FROM votes") == [(0,)]  # and its vote
    assert second.vote(old, 2, 1).result(5) is VoteResult.UNKNOWN
    clock.now += 20 * DAY  # a day passes, and more: the running writer cleans up too
    second.record(ANSWER, key=new_key(), user_id=3, chat="private")
    second.flushed().result(5)
    assert rows(tmp_path, "SELECT question FROM questions") == [(ANSWER.question,)]


def test_a_failing_disk_costs_the_records_and_one_log_line_a_minute(
    opened: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenStore(QuestionStore):
        def write(self, items: Any) -> Any:
            raise sqlite3.OperationalError("disk I/O error")

    question_log = opened(BrokenStore(tmp_path, 30))
    key = new_key()
    question_log.record(ANSWER, key=key, user_id=1, chat="private")
    assert question_log.vote(key, 1, 1).result(5) is VoteResult.NOT_RECORDED
    for _ in range(5):
        question_log.record(ANSWER, key=new_key(), user_id=1, chat="private")
        question_log.flushed().result(5)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "disk I/O error" in errors[0].getMessage()
    assert str(tmp_path / FILE_NAME) in errors[0].getMessage()
    assert question_log.running  # it goes on: the disk may come back


def test_people_are_salted_hashes_stable_within_an_installation(tmp_path: Path) -> None:
    store = QuestionStore(tmp_path / "a", 30)
    store.open()
    first = store.pseudonym(123456789)
    store.close()
    if os.name == "posix":
        for name in (FILE_NAME, SALT_NAME):
            assert stat.S_IMODE((tmp_path / "a" / name).stat().st_mode) == 0o600
    again = QuestionStore(tmp_path / "a", 30)
    again.open()
    assert again.pseudonym(123456789) == first  # the same person, recognised after a restart
    assert again.pseudonym(123456780) != first
    assert again.pseudonym(None) == ""
    again.close()
    elsewhere = QuestionStore(tmp_path / "b", 30)  # another installation, another salt
    elsewhere.open()
    assert elsewhere.pseudonym(123456789) != first
    elsewhere.close()
    assert "123456789" not in first
    assert len(first) == 32


def test_a_damaged_salt_is_replaced_and_a_readable_one_made_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / SALT_NAME).write_text("not hex at all")
    store = QuestionStore(tmp_path, 30)
    store.open()
    store.close()
    assert "damaged" in caplog.text
    assert len(bytes.fromhex((tmp_path / SALT_NAME).read_text())) == 32
    if os.name == "posix":
        os.chmod(tmp_path / SALT_NAME, 0o644)
        store.open()
        store.close()
        assert stat.S_IMODE((tmp_path / SALT_NAME).stat().st_mode) == 0o600


def test_a_log_from_a_newer_bot_or_not_a_database_is_refused(tmp_path: Path) -> None:
    store = QuestionStore(tmp_path, 30)
    store.open()
    store.db.execute("PRAGMA user_version = 99")
    store.close()
    with pytest.raises(sqlite3.DatabaseError, match="newer version of the bot"):
        QuestionLog(QuestionStore(tmp_path, 30)).open()
    (tmp_path / FILE_NAME).write_bytes(b"this is not a database" * 100)
    question_log = QuestionLog(QuestionStore(tmp_path, 30))
    with pytest.raises(sqlite3.DatabaseError):
        question_log.open()
    assert not question_log.running
    question_log.record(ANSWER, key=new_key(), user_id=1, chat="private")  # ignored
    assert question_log.vote("x", 1, 1).result(0) is VoteResult.NOT_RECORDED


def test_delete_files_forgets_everything(opened: Any, tmp_path: Path) -> None:
    question_log = opened()
    question_log.record(ANSWER, key=new_key(), user_id=1, chat="private")
    question_log.close()
    assert delete_files(tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("questions",))]
    assert not delete_files(tmp_path)
