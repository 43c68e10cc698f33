"""The question log's SQLite file in BOT_STATE_DIR: each question, how it was answered (the
passages quoted) or refused (and why), and the 👍/👎 it got. People appear only as salted hashes
of their user ids, chats not at all.

Synchronous and single-threaded: `bot.question_log` runs it in its writer thread, off the
answer path, and `bot.stats` reads the same file.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from bot.answer import Answer

log = logging.getLogger(__name__)

FILE_NAME = "questions.sqlite3"
SALT_NAME = "questions.salt"
DAY = 86_400.0
_SALT_BYTES = 32
_VERSION = 1  # PRAGMA user_version
_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id        INTEGER PRIMARY KEY,
    key       TEXT    NOT NULL UNIQUE,  -- the answer's id in its buttons' callback data
    asked     REAL    NOT NULL,         -- Unix time
    asker     TEXT    NOT NULL,         -- salted hash of the user id ('' for a channel's post)
    chat      TEXT    NOT NULL,         -- 'private' or 'group': the chat's id is not kept
    question  TEXT    NOT NULL,
    answered  INTEGER NOT NULL,         -- 1 quoted passages, 0 refused
    reason    TEXT    NOT NULL,         -- Answer.reason: answered, not_covered, no_fact, ...
    score     REAL                      -- the answer model's chance that it is answered at all
);
CREATE INDEX IF NOT EXISTS questions_by_time ON questions (asked);
CREATE TABLE IF NOT EXISTS citations (
    question  INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    rank      INTEGER NOT NULL,         -- 1: the best quote
    passage   TEXT    NOT NULL,         -- the passage's id: document#paragraph
    document  TEXT    NOT NULL,
    title     TEXT    NOT NULL,
    paragraph INTEGER NOT NULL,
    score     REAL    NOT NULL,         -- the answer model's chance that this passage answers
    PRIMARY KEY (question, rank)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS votes (
    question  INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    voter     TEXT    NOT NULL,         -- salted hash of the user id
    vote      INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    voted     REAL    NOT NULL,
    PRIMARY KEY (question, voter)
) WITHOUT ROWID;
"""


def new_key() -> str:
    """A fresh answer id: 12 URL-safe characters (72 random bits), short enough for callback
    data and unguessable, so that nobody can vote on an answer they were not shown."""
    return secrets.token_urlsafe(9)


@dataclass(frozen=True, slots=True)
class Asked:
    """One answered (or refused) question, as the adapter hands it to the log."""

    key: str
    answer: Answer
    user_id: int | None  # None: not a person (a channel, an anonymous admin)
    chat: str  # "private" or "group"
    at: float


@dataclass(frozen=True, slots=True)
class Vote:
    """A 👍 (+1) or 👎 (-1) on the answer `key`."""

    key: str
    user_id: int
    value: int
    at: float


class VoteResult(Enum):
    RECORDED = "recorded"
    CHANGED = "changed"  # the voter had voted the other way: the vote is changed, not added
    SAME = "same"  # the voter had voted so already
    UNKNOWN = "unknown"  # no such answer: deleted after the retention period, or never logged
    NOT_RECORDED = "not recorded"  # the log could not take it (full, closed, a disk error)


class QuestionStore:
    """The question log's file and its salt, in `folder`. `open` creates both when missing."""

    def __init__(self, folder: Path, retention_days: float) -> None:
        self.folder = folder
        self.path = folder / FILE_NAME
        self.salt_path = folder / SALT_NAME
        self.retention_days = retention_days
        self._db: sqlite3.Connection | None = None
        self._salt = b""

    def open(self) -> None:
        """Open (or create) the file; raises `sqlite3.Error` or `OSError` saying what is wrong.
        The connection may then be used from one other thread: the log's writer."""
        if self._db is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._salt = read_or_create_salt(self.salt_path)
        _create_private(self.path)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                             timeout=30.0)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA secure_delete=ON")  # deleted questions are overwritten, not left
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > _VERSION:
                raise sqlite3.DatabaseError(
                    f"{self.path} was written by a newer version of the bot (schema {version}); "
                    "upgrade the bot, or move the file away to start a new log")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {_VERSION}")
        except BaseException:
            db.close()
            raise
        self._db = db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise sqlite3.ProgrammingError(f"the question log {self.path} is not open")
        return self._db

    def pseudonym(self, user_id: int | None) -> str:
        """The salted hash a user id is kept as: the same person is recognised from one
        question to the next, but nobody without the salt can tell who it is."""
        if user_id is None:
            return ""
        return hmac.new(self._salt, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]

    def write(self, items: Sequence[Asked | Vote]) -> list[VoteResult]:
        """Write `items` in one transaction, in order; the result of each vote, in order."""
        results: list[VoteResult] = []
        db = self.db
        with db:
            db.execute("BEGIN IMMEDIATE")
            for item in items:
                if isinstance(item, Asked):
                    self._insert(item)
                else:
                    results.append(self._vote(item))
        return results

    def _insert(self, asked: Asked) -> None:
        answer = asked.answer
        # A message of several questions is one row (one pair of buttons rates it): answered
        # if any of its questions was, citing what each of them quoted.
        each = answer.parts or (answer,)
        citations = [c for part in each for c in part.citations]
        cursor = self.db.execute(
            "INSERT INTO questions (key, asked, asker, chat, question, answered, reason, score) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (asked.key, asked.at, self.pseudonym(asked.user_id), asked.chat, answer.question,
             int(any(part.answered for part in each)), answer.reason, answer.answerable))
        if not cursor.rowcount:
            return  # the same key twice: 72 random bits make it a retried write, not a clash
        self.db.executemany(
            "INSERT INTO citations (question, rank, passage, document, title, paragraph, score) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(cursor.lastrowid, rank, c.passage_id, c.document, c.title, c.paragraph, c.score)
             for rank, c in enumerate(citations, 1)])

    def _vote(self, vote: Vote) -> VoteResult:
        found = self.db.execute("SELECT id FROM questions WHERE key = ?", (vote.key,)).fetchone()
        if found is None:
            return VoteResult.UNKNOWN
        voter = self.pseudonym(vote.user_id)
        before = self.db.execute("SELECT vote FROM votes WHERE question = ? AND voter = ?",
                                 (found[0], voter)).fetchone()
        if before is not None and before[0] == vote.value:
            return VoteResult.SAME
        self.db.execute(
            "INSERT INTO votes (question, voter, vote, voted) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (question, voter) DO UPDATE SET vote = excluded.vote, "
            "voted = excluded.voted", (found[0], voter, vote.value, vote.at))
        return VoteResult.RECORDED if before is None else VoteResult.CHANGED

    def purge(self, now: float) -> int:
        """Delete the questions asked more than the retention period before `now`, with their
        passages and votes; how many questions were deleted."""
        cutoff = now - self.retention_days * DAY
        with self.db as db:
            deleted = db.execute("DELETE FROM questions WHERE asked < ?", (cutoff,)).rowcount
        if deleted:
            log.info("deleted %d question(s) older than %g days from the question log",
                     deleted, self.retention_days)
        return int(deleted)


def delete_files(folder: Path) -> bool:
    """Delete the question log and its salt from `folder`: every question and vote, and what
    could link a person to them. Whether there was anything to delete."""
    found = False
    for name in (FILE_NAME, FILE_NAME + "-wal", FILE_NAME + "-shm", SALT_NAME):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
            found = True
    return found


def read_or_create_salt(path: Path) -> bytes:
    """The installation's salt: random bytes made once, readable by the bot's user only. A
    damaged salt file is replaced (with a warning): the people of earlier questions then count
    as new ones, which is all a salt is worth once it is damaged."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            salt = bytes.fromhex(path.read_text(encoding="ascii").strip())
        except (ValueError, UnicodeError):
            salt = b""
        if len(salt) >= _SALT_BYTES // 2:
            if os.name == "posix" and path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
            return salt
        log.warning("the salt file %s is damaged; making a new one (people who asked before "
                    "are counted again as new)", path)
        path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    salt = secrets.token_bytes(_SALT_BYTES)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(salt.hex() + "\n")
    return salt


def _create_private(path: Path) -> None:
    """Create the database file readable by the bot's user only (SQLite gives its -wal and
    -shm files the same mode); an existing file is left as it is."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
