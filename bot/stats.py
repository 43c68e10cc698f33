"""What people ask, from the question log: questions asked, answered and refused (by kind of
refusal), the 👍/👎 they got, the refused questions asked most and the answers with the most 👎
(near-duplicates counted together). Read-only: `/stats` on Telegram and `python -m bot stats`
give the same report (and the same CSV, from `bot.question_csv`).
"""

from __future__ import annotations

import contextlib
import datetime as dtm
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.question_csv import place, write_csv
from bot.question_groups import group
from bot.question_store import DAY, FILE_NAME

# What each kind of refusal (`Answer.reason`) means, for people reading the report.
REASONS = {
    "not_covered": "not in the articles",
    "no_fact": "the fact asked is not given",
    "no_more": "nothing more to tell",
    "empty": "no question in it",
}
# The refusals that say the knowledge base lacks an answer: what an admin can fix.
GAPS = ("not_covered", "no_fact")
TOP = 10


class NoLog(Exception):
    """There is no question log to read; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Counts:
    """The questions of one period."""

    label: str  # "24 hours", "7 days"
    asked: int
    answered: int
    refused: tuple[tuple[str, int], ...]  # (reason, questions), the most frequent first
    up: int
    down: int
    people: int

    @property
    def refused_total(self) -> int:
        return sum(n for _, n in self.refused)


@dataclass(frozen=True, slots=True)
class Refused:
    """Refused questions that ask the same thing."""

    question: str  # the wording asked most
    count: int
    people: int
    down: int  # 👎 on the refusals: people saying the knowledge base should answer it
    reason: str


@dataclass(frozen=True, slots=True)
class Disliked:
    """Answered questions that ask the same thing and got 👎."""

    question: str
    down: int
    up: int
    count: int
    quoted: tuple[str, ...]  # "Title, paragraph 6": the passages quoted, most often first


@dataclass(frozen=True, slots=True)
class Report:
    now: float
    days: int  # the lists' period
    periods: tuple[Counts, ...]
    refused: tuple[Refused, ...]
    disliked: tuple[Disliked, ...]
    kept: int  # questions in the log
    oldest: float | None  # when the oldest of them was asked
    retention_days: int | None = None

    @property
    def lists_label(self) -> str:
        return period_label(self.days)


def log_path(state_dir: Path | None) -> Path:
    """The question log's file in BOT_STATE_DIR; raises `NoLog` when there is none."""
    if state_dir is None:
        raise NoLog("Nothing is recorded: BOT_STATE_DIR is blank, so the bot keeps no question "
                    "log. Set BOT_STATE_DIR (default .state) to keep one.")
    path = state_dir / FILE_NAME
    if not path.is_file():
        raise NoLog(f"No question has been recorded yet: {path} does not exist. The bot "
                    "records the questions it answers on Telegram there.")
    return path


@contextlib.contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that reads the log without ever creating or changing it."""
    uri = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=rw", uri=True, timeout=30.0)
    except sqlite3.OperationalError:  # a read-only folder: the file can still be read
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30.0)
    try:
        db.execute("PRAGMA query_only=ON")
        yield db
    finally:
        db.close()


def report(db: sqlite3.Connection, now: float, days: int = 7, top: int = TOP,
           retention_days: int | None = None) -> Report:
    """The report at `now`: counts for the last day and week (and `days`), and the lists over
    the last `days` days."""
    spans = sorted({1, 7, days})
    since = now - days * DAY
    kept, oldest = db.execute("SELECT COUNT(*), MIN(asked) FROM questions").fetchone()
    return Report(now, days, tuple(_counts(db, now - n * DAY, period_label(n)) for n in spans),
                  _refused(db, since, top), _disliked(db, since, top), kept, oldest,
                  retention_days)


def period_label(days: int) -> str:
    """"24 hours", "7 days"."""
    return "24 hours" if days == 1 else f"{days} days"


def _counts(db: sqlite3.Connection, since: float, label: str) -> Counts:
    asked, answered, people = db.execute(
        "SELECT COUNT(*), TOTAL(answered), COUNT(DISTINCT NULLIF(asker, '')) FROM questions "
        "WHERE asked >= ?", (since,)).fetchone()
    refused = db.execute(
        "SELECT reason, COUNT(*) AS n FROM questions WHERE asked >= ? AND answered = 0 "
        "GROUP BY reason ORDER BY n DESC, reason", (since,)).fetchall()
    up, down = db.execute(
        "SELECT TOTAL(v.vote = 1), TOTAL(v.vote = -1) FROM votes v "
        "JOIN questions q ON q.id = v.question WHERE q.asked >= ?", (since,)).fetchone()
    return Counts(label, asked, int(answered), tuple((r, n) for r, n in refused), int(up),
                  int(down), people)


def _refused(db: sqlite3.Connection, since: float, top: int) -> tuple[Refused, ...]:
    rows = db.execute(
        "SELECT q.question, q.asker, q.reason, "
        "(SELECT COUNT(*) FROM votes v WHERE v.question = q.id AND v.vote = -1) "
        f"FROM questions q WHERE q.asked >= ? AND q.answered = 0 "
        f"AND q.reason IN ({', '.join('?' * len(GAPS))}) ORDER BY q.asked",
        (since, *GAPS)).fetchall()
    found = []
    for g in group([row[0] for row in rows]):
        members = [rows[i] for i in g.members]
        reason = Counter(row[2] for row in members).most_common(1)[0][0]
        found.append(Refused(g.representative, g.count, _people(row[1] for row in members),
                             sum(row[3] for row in members), reason))
    found.sort(key=lambda r: (-r.count, -r.people, -r.down))
    return tuple(found[:top])


def _disliked(db: sqlite3.Connection, since: float, top: int) -> tuple[Disliked, ...]:
    rows = db.execute(
        "SELECT q.id, q.question, TOTAL(v.vote = -1), TOTAL(v.vote = 1) FROM questions q "
        "JOIN votes v ON v.question = q.id WHERE q.asked >= ? AND q.answered = 1 "
        "GROUP BY q.id HAVING TOTAL(v.vote = -1) > 0 ORDER BY q.asked", (since,)).fetchall()
    quoted = _quoted(db, [row[0] for row in rows])
    found = []
    for g in group([row[1] for row in rows]):
        members = [rows[i] for i in g.members]
        places: Counter[str] = Counter(p for row in members for p in quoted.get(row[0], ()))
        found.append(Disliked(g.representative, int(sum(row[2] for row in members)),
                              int(sum(row[3] for row in members)), g.count,
                              tuple(p for p, _ in places.most_common(3))))
    found.sort(key=lambda d: (-d.down, -d.count, d.up))
    return tuple(found[:top])


def _quoted(db: sqlite3.Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each question's quoted passages as "Title, paragraph N", best first."""
    quoted: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
        chunk = ids[start : start + 500]
        for question, title, paragraph in db.execute(
                f"SELECT question, title, paragraph FROM citations WHERE question IN "
                f"({', '.join('?' * len(chunk))}) ORDER BY question, rank", chunk):
            quoted.setdefault(question, []).append(place(_short(title, 60), paragraph))
    return quoted


def _people(askers: Iterator[str] | Sequence[str]) -> int:
    return len({a for a in askers if a})


def reason_label(reason: str) -> str:
    return REASONS.get(reason, reason.replace("_", " "))


# ---- plain text ----------------------------------------------------------------------------

def render_text(report: Report) -> str:
    """The report for a terminal: a table of counts, then the two lists."""
    lines = [heading(report), ""]
    lines += table(report)
    lines += ["", f"Most frequent refused questions, last {report.lists_label}:"]
    lines += [f"  {i}. {line}" for i, line in enumerate(refused_lines(report), 1)] or \
        ["  none"]
    lines += ["", f"Answers with the most 👎, last {report.lists_label}:"]
    lines += [f"  {i}. {line}" for i, line in enumerate(disliked_lines(report), 1)] or \
        ["  none"]
    return "\n".join(lines)


def heading(report: Report) -> str:
    kept = f"{report.kept} question{'' if report.kept == 1 else 's'} in the log"
    if report.oldest is not None:
        kept += f", the oldest asked {_date(report.oldest)}"
    if report.retention_days is not None:
        kept += f"; each is kept {report.retention_days} days"
    return f"Questions asked ({kept})"


def table(report: Report) -> list[str]:
    """The counts as aligned lines: a row per measure, a column per period."""
    reasons = list(dict.fromkeys(r for c in report.periods for r, _ in c.refused))
    rows: list[tuple[str, list[int]]] = [
        ("asked", [c.asked for c in report.periods]),
        ("answered", [c.answered for c in report.periods]),
        ("refused", [c.refused_total for c in report.periods]),
        *((f"  {reason_label(r)}", [dict(c.refused).get(r, 0) for c in report.periods])
          for r in reasons),
        ("👍", [c.up for c in report.periods]),
        ("👎", [c.down for c in report.periods]),
        ("people", [c.people for c in report.periods]),
    ]
    width = max(len(name) for name, _ in rows) + 2
    columns = [max(len(c.label), 6) for c in report.periods]
    head = " " * width + "  ".join(c.label.rjust(w) for c, w in zip(report.periods, columns,
                                                                     strict=True))
    body = [name.ljust(width - (1 if name in ("👍", "👎") else 0))
            + "  ".join(str(v).rjust(w) for v, w in zip(values, columns, strict=True))
            for name, values in rows]
    return [head, *body]


def refused_lines(report: Report) -> list[str]:
    return [f"“{_short(r.question)}” ×{r.count} ({_count(r.people, 'person', 'people')}"
            + (f", 👎 {r.down}" if r.down else "") + f"): {reason_label(r.reason)}"
            for r in report.refused]


def disliked_lines(report: Report) -> list[str]:
    return [f"“{_short(d.question)}” 👎 {d.down}" + (f" 👍 {d.up}" if d.up else "")
            + (f" (asked {d.count}×)" if d.count > 1 else "")
            + (f"; quoted {'; '.join(d.quoted)}" if d.quoted else "")
            for d in report.disliked]


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _date(moment: float) -> str:
    return dtm.datetime.fromtimestamp(moment, dtm.UTC).strftime("%Y-%m-%d %H:%M UTC")


# ---- the command line: python -m bot stats -------------------------------------------------

def print_report(state_dir: Path | None, *, as_csv: bool, days: int | None,
                 retention_days: int | None, out: TextIO, now: float) -> None:
    """`python -m bot stats`: the report (the lists over `days`, by default 7), or with
    `as_csv` the log as CSV (only the last `days` when given). Raises `NoLog`, or
    `sqlite3.Error` for a file that cannot be read."""
    if retention_days == 0:
        raise NoLog("Nothing is recorded: BOT_RETENTION_DAYS is 0, so the bot keeps no "
                    "questions. Set it to the days to keep them (default 30).")
    with reading(log_path(state_dir)) as db:
        if as_csv:
            write_csv(db, out, now - days * DAY if days else None)
        else:
            print(render_text(report(db, now, days or 7, retention_days=retention_days)),
                  file=out)
