"""Who added which document to the knowledge folder, and when: a small SQLite table in the state
folder (BOT_STATE_DIR), written when an admin adds or removes a document from Telegram. Files
put into the folder by hand have no record; /docs shows them as added on disk."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "knowledge.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    folder TEXT NOT NULL,          -- the knowledge folder (one state folder may serve several)
    name TEXT NOT NULL,            -- the file's path inside it
    added_at REAL NOT NULL,        -- Unix time
    added_by INTEGER NOT NULL,     -- the admin's Telegram user id
    added_by_name TEXT NOT NULL,   -- their name as Telegram showed it then
    url TEXT,                      -- the link it was downloaded from, if any
    digest TEXT NOT NULL,          -- SHA-256 of the file as added: a later edit on disk shows
    PRIMARY KEY (folder, name)
)
"""


@dataclass(frozen=True, slots=True)
class Record:
    """One document an admin added."""

    name: str
    added_at: float
    added_by: int
    added_by_name: str
    url: str | None
    digest: str


class Records:
    """The records of one knowledge folder. Without a state folder (or when its file cannot be
    opened) they are kept in memory, for as long as the process runs."""

    def __init__(self, state_dir: Path | None, folder: Path) -> None:
        self.folder = str(folder.resolve())
        self._lock = threading.Lock()
        self._db = _open(state_dir / FILE_NAME if state_dir is not None else None)

    def put(self, record: Record) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (self.folder, record.name, record.added_at, record.added_by,
                        record.added_by_name, record.url, record.digest))

    def drop(self, *names: str) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM documents WHERE folder = ? AND name = ?",
                           [(self.folder, name) for name in names])

    def all(self) -> dict[str, Record]:
        """Every record of this folder, by the file's path inside it."""
        with self._transaction() as db:
            rows = db.execute("SELECT name, added_at, added_by, added_by_name, url, digest "
                              "FROM documents WHERE folder = ?", (self.folder,)).fetchall()
        return {row[0]: Record(*row) for row in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db


def _open(path: Path | None) -> sqlite3.Connection:
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return _connect(str(path))
        except (OSError, sqlite3.Error) as exc:
            log.warning("cannot open %s (%s): who added which document is kept in memory only, "
                        "until the bot stops; make BOT_STATE_DIR a writable folder", path, exc)
    return _connect(":memory:")


def _connect(target: str) -> sqlite3.Connection:
    # One connection for the process, used under a lock from whichever thread runs a change.
    db = sqlite3.connect(target, check_same_thread=False)
    try:
        db.execute(_SCHEMA)
        db.commit()
    except sqlite3.Error:
        db.close()
        raise
    return db
