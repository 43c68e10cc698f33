"""The question log as CSV: one row per question, oldest first, for a spreadsheet. People
appear only as the start of their salted hash."""

from __future__ import annotations

import csv
import datetime as dtm
import sqlite3
from itertools import groupby
from typing import TextIO

CSV_COLUMNS = ("time", "chat", "asker", "question", "outcome", "reason", "score", "passages",
               "quoted", "up", "down")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def place(title: str, paragraph: int) -> str:
    """Where a quoted passage stands: "Title, paragraph 6"."""
    return f"{title}, paragraph {paragraph}" if title else f"paragraph {paragraph}"


def write_csv(db: sqlite3.Connection, out: TextIO, since: float | None = None) -> int:
    """Every question kept (asked at or after `since`), oldest first, one row each, in
    `CSV_COLUMNS`; how many rows. People appear only as the start of their salted hash."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = db.execute(
        "SELECT q.id, q.asked, q.chat, q.asker, q.question, q.answered, q.reason, q.score, "
        "(SELECT COUNT(*) FROM votes v WHERE v.question = q.id AND v.vote = 1), "
        "(SELECT COUNT(*) FROM votes v WHERE v.question = q.id AND v.vote = -1), "
        "c.passage, c.title, c.paragraph FROM questions q "
        "LEFT JOIN citations c ON c.question = q.id WHERE q.asked >= ? "
        "ORDER BY q.asked, q.id, c.rank", (since if since is not None else float("-inf"),))
    written = 0
    for _, cited in groupby(rows, key=lambda row: row[0]):
        first, *more = list(cited)
        citations = [row for row in (first, *more) if row[10] is not None]
        _, asked, chat, asker, question, answered, reason, score, up, down = first[:10]
        writer.writerow([
            dtm.datetime.fromtimestamp(asked, dtm.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            chat, asker[:12], _safe_cell(question), "answered" if answered else "refused",
            reason, "" if score is None else f"{score:.3f}",
            " ".join(row[10] for row in citations),
            " | ".join(place(row[11], row[12]) for row in citations), up, down])
        written += 1
    return written


def _safe_cell(text: str) -> str:
    """A question as a spreadsheet shows it, not as a formula it would run ("=HYPERLINK(…)")."""
    return "'" + text if text.startswith(_FORMULA_START) else text
