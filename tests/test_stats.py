"""The question log's report and CSV (`bot.stats`) on a log of made-up questions, and
`python -m bot stats`."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli_env, make_citation

from bot.answer import Answer
from bot.question_csv import CSV_COLUMNS, write_csv
from bot.question_log import QuestionLog
from bot.question_store import DAY, FILE_NAME, QuestionStore, new_key
from bot.stats import (
    NoLog,
    log_path,
    print_report,
    reading,
    render_text,
    report,
)

NOW = 1_800_000_000.0


def answered(question: str, paragraph: int = 6) -> Answer:
    citation = make_citation(passage_id=f"doc#{paragraph}", title="Glaciers",
                             paragraph=paragraph, score=0.7)
    return Answer(question, True, (citation,), answerable=0.8)


def refused(question: str, reason: str = "not_covered") -> Answer:
    return Answer(question, False, reason=reason, answerable=0.02)


@pytest.fixture
def log_folder(tmp_path: Path) -> Path:
    """A log: questions of the last hour, of three days ago and of twenty days ago, on several
    subjects, with votes."""
    clock = [NOW - 20 * DAY]
    question_log = QuestionLog(QuestionStore(tmp_path, 30), clock=lambda: clock[0])
    question_log.open()

    def ask(answer: Answer, user: int, vote: int = 0) -> None:
        key = new_key()
        question_log.record(answer, key=key, user_id=user, chat="private")
        if vote:
            question_log.vote(key, user, vote)

    ask(refused("Who built the railway?"), 1)  # twenty days ago
    ask(refused("Who built the railway"), 2)
    clock[0] = NOW - 3 * DAY
    ask(refused("What does the vaccine contain?"), 3, vote=-1)
    ask(refused("what does the vaccine contain"), 4)
    ask(answered("How fast does the glacier move?"), 5, vote=-1)
    ask(refused("When was the harvest?", "no_fact"), 5)
    clock[0] = NOW - 600
    ask(refused("What's in the vaccine?"), 6)
    ask(answered("How fast do glaciers move?", 7), 7, vote=-1)
    ask(answered("Where is the observatory?"), 8, vote=1)
    ask(refused("tell me more", "no_more"), 8)
    ask(refused("???", "empty"), 9)
    question_log.close()
    return tmp_path


def test_the_report_counts_each_period_and_groups_the_lists(log_folder: Path) -> None:
    with reading(log_folder / FILE_NAME) as db:
        found = report(db, NOW, 7, retention_days=30)
    day, week = found.periods
    assert (day.label, day.asked, day.answered, day.refused_total) == ("24 hours", 5, 2, 3)
    assert dict(day.refused) == {"not_covered": 1, "no_more": 1, "empty": 1}
    assert (day.up, day.down, day.people) == (1, 1, 4)
    assert (week.label, week.asked, week.answered) == ("7 days", 9, 3)
    assert dict(week.refused) == {"not_covered": 3, "no_fact": 1, "no_more": 1, "empty": 1}
    assert (week.up, week.down, week.people) == (1, 3, 7)
    assert found.kept == 11
    assert found.oldest == NOW - 20 * DAY
    # Refusals that show a gap in the knowledge base, the week's only, near-duplicates together.
    assert [(r.question, r.count, r.people, r.down, r.reason) for r in found.refused] == [
        ("What does the vaccine contain?", 3, 3, 1, "not_covered"),
        ("When was the harvest?", 1, 1, 0, "no_fact")]
    [disliked] = found.disliked
    assert (disliked.count, disliked.down, disliked.up) == (2, 2, 0)
    assert disliked.quoted == ("Glaciers, paragraph 6", "Glaciers, paragraph 7")


def test_a_longer_period_reaches_older_questions(log_folder: Path) -> None:
    with reading(log_folder / FILE_NAME) as db:
        found = report(db, NOW, 30)
    assert [c.label for c in found.periods] == ["24 hours", "7 days", "30 days"]
    assert found.periods[-1].asked == 11
    assert found.refused[0].question == "What does the vaccine contain?"
    assert ("Who built the railway?", 2) in [(r.question, r.count) for r in found.refused]


def test_the_text_report(log_folder: Path) -> None:
    with reading(log_folder / FILE_NAME) as db:
        text = render_text(report(db, NOW, retention_days=30))
    lines = text.split("\n")
    assert lines[0] == ("Questions asked (11 questions in the log, the oldest asked 2026-12-26 "
                        "08:00 UTC; each is kept 30 days)")
    table = lines[2:lines.index("", 2)]
    assert table[0].split() == ["24", "hours", "7", "days"]
    assert [row.split()[-2:] for row in table[1:4]] == [["5", "9"], ["2", "3"], ["3", "6"]]
    assert {len(row.rstrip()) for row in table if not row.startswith(("👍", "👎"))} == \
        {len(table[0])}  # aligned columns
    assert "  not in the articles" in text
    assert "  the fact asked is not given" in text
    assert "1. “What does the vaccine contain?” ×3 (3 people, 👎 1): not in the articles" in text
    assert "1. “How fast does the glacier move?” 👎 2 (asked 2×); quoted Glaciers, " \
           "paragraph 6; Glaciers, paragraph 7" in text


def test_an_empty_log_reports_zeros(tmp_path: Path) -> None:
    store = QuestionStore(tmp_path, 30)
    store.open()  # creates the file
    store.close()
    with reading(tmp_path / FILE_NAME) as db:
        text = render_text(report(db, NOW))
    assert "0 questions in the log" in text
    assert text.count("  none") == 2


def test_the_csv_has_a_row_per_question_and_no_formula(log_folder: Path) -> None:
    clock = [NOW]
    question_log = QuestionLog(QuestionStore(log_folder, 30), clock=lambda: clock[0])
    question_log.open()
    question_log.record(refused('=HYPERLINK("http://x.example","click")'), key=new_key(),
                        user_id=1, chat="group")
    question_log.close()
    out = io.StringIO()
    with reading(log_folder / FILE_NAME) as db:
        assert write_csv(db, out) == 12
        recent = io.StringIO()
        assert write_csv(db, recent, since=NOW - DAY) == 6
    found = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(found[0]) == CSV_COLUMNS
    assert found[0]["question"] == "Who built the railway?"  # oldest first
    assert found[0]["time"].endswith("Z")
    glacier = next(r for r in found if r["question"] == "How fast does the glacier move?")
    assert (glacier["outcome"], glacier["passages"], glacier["quoted"]) == \
        ("answered", "doc#6", "Glaciers, paragraph 6")
    assert (glacier["up"], glacier["down"], glacier["score"]) == ("0", "1", "0.800")
    assert found[-1]["question"] == '\'=HYPERLINK("http://x.example","click")'
    assert found[-1]["chat"] == "group"
    assert all(len(r["asker"]) == 12 for r in found)


def test_nothing_to_report_says_why(tmp_path: Path) -> None:
    with pytest.raises(NoLog, match="BOT_STATE_DIR is blank"):
        log_path(None)
    with pytest.raises(NoLog, match="No question has been recorded yet"):
        log_path(tmp_path)
    with pytest.raises(NoLog, match="BOT_RETENTION_DAYS is 0"):
        print_report(tmp_path, as_csv=False, days=None, retention_days=0, out=io.StringIO(),
                     now=NOW)


def test_reading_never_creates_or_changes_the_log(log_folder: Path, tmp_path: Path) -> None:
    before = (log_folder / FILE_NAME).read_bytes()
    with reading(log_folder / FILE_NAME) as db, pytest.raises(sqlite3.OperationalError):
        db.execute("DELETE FROM questions")
    assert (log_folder / FILE_NAME).read_bytes() == before
    with pytest.raises(sqlite3.OperationalError), reading(tmp_path / "missing" / FILE_NAME):
        pass
    assert not (tmp_path / "missing").exists()


def run_stats(state: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "stats", *args], capture_output=True,
                          text=True, timeout=60,
                          env=cli_env(tmp_path / "cache", BOT_STATE_DIR=str(state)))


def test_the_command_line_report_and_its_errors(log_folder: Path, tmp_path: Path) -> None:
    shown = run_stats(log_folder, tmp_path, "--days", "30")
    assert shown.returncode == 0, shown.stderr
    assert "Most frequent refused questions, last 30 days:" in shown.stdout
    assert "“Who built the railway?” ×2" in shown.stdout
    as_csv = run_stats(log_folder, tmp_path, "--csv")
    assert as_csv.returncode == 0
    assert len(list(csv.reader(io.StringIO(as_csv.stdout)))) == 12  # header and 11 rows
    missing = run_stats(tmp_path / "nowhere", tmp_path)
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert "No question has been recorded yet" in missing.stderr
    assert run_stats(log_folder, tmp_path, "--days", "0").returncode == 2
    (log_folder / FILE_NAME).write_bytes(b"garbage" * 1000)
    for name in (FILE_NAME + "-wal", FILE_NAME + "-shm"):
        (log_folder / name).unlink(missing_ok=True)
    broken = run_stats(log_folder, tmp_path)
    assert broken.returncode == 1
    assert broken.stderr.startswith("Cannot read the question log")
    assert "Traceback" not in broken.stderr
    assert len(broken.stderr.splitlines()) == 1
