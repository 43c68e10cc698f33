"""A durable journal of incoming updates, so that a crash neither loses a question nor answers
one twice.

PTB confirms updates to Telegram (by the next getUpdates offset, or a webhook's HTTP 200) as soon
as they are in its update queue, before any handler has run. So the queue here writes each update
to SQLite before it takes it, which is before that confirmation; the update is marked handled
right after its answer is accepted by Telegram (or, for an update that gets no answer, once its
handlers are done). On start-up the updates journaled but never handled are queued again, and an
update Telegram delivers a second time is recognised and not queued twice.

An update is marked as being worked on while the bot runs its handlers' own code, from the moment
its handling starts, and not while they wait on Telegram (`waiting`). The process dying while an
update is being worked on counts an attempt for that update only, so one that kills the process
whenever it is handled is given up after `MAX_ATTEMPTS` start-ups, and the updates that were waiting
their turn, or waiting on Telegram, count nothing however often the process dies.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Bot, Update

from bot.telegram_bot.ordering import (
    MAX_CONCURRENT_UPDATES,
    MAX_PENDING_UPDATES,
    ChatOrderedProcessor,
    UpdateQueue,
)

log = logging.getLogger(__name__)

# Telegram re-delivers an update only until it is confirmed (seconds when polling; a webhook's
# retries give up within hours), and after a week without updates it may pick ids afresh: a day
# of handled ids recognises every re-delivery and cannot mistake a new update for an old one.
KEEP_SECONDS = 24 * 3600
# An update that was being worked on when the process died this many times is given up, so one
# that crashes the process cannot crash every restart.
MAX_ATTEMPTS = 3
_PRUNE_EVERY = 1000  # new updates between prunings, besides the one at start-up

_VERSION = 1  # PRAGMA user_version of the journal's file
_SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER PRIMARY KEY,
    body      TEXT    NOT NULL,  -- the update's JSON, as received
    received  REAL    NOT NULL,  -- Unix time it was journaled
    handled   REAL,              -- Unix time it was answered or handled; NULL while pending
    attempts  INTEGER NOT NULL DEFAULT 0,  -- runs that died while it was being worked on
    working   INTEGER NOT NULL DEFAULT 0   -- 1 while the bot runs its handlers' own code
)
"""


class UpdateJournal:
    """One SQLite file of updates. WAL with synchronous=NORMAL: a commit survives the process
    being killed (it is in the OS's cache) but not a power cut, and costs tens of microseconds,
    cheap enough to run on the event loop."""

    def __init__(self, path: Path, *, keep_seconds: float = KEEP_SECONDS,
                 max_attempts: int = MAX_ATTEMPTS) -> None:
        self.path = path
        self.keep_seconds = keep_seconds
        self.max_attempts = max_attempts
        self._db: sqlite3.Connection | None = None
        self._since_prune = 0

    def open(self) -> None:
        if self._db is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None)  # autocommit: one write, one commit
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        if db.execute("PRAGMA user_version").fetchone()[0] < _VERSION:
            # Journals before version 1 counted every start-up as an attempt.
            columns = {row[1] for row in db.execute("PRAGMA table_info(updates)")}
            if "working" not in columns:
                db.execute("ALTER TABLE updates ADD COLUMN working INTEGER NOT NULL DEFAULT 0")
            db.execute("UPDATE updates SET attempts = 0 WHERE handled IS NULL")
            db.execute(f"PRAGMA user_version = {_VERSION}")
        self._db = db
        self.prune()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise sqlite3.ProgrammingError(f"the update journal {self.path} is not open")
        return self._db

    def record(self, update_id: int, body: str) -> bool:
        """Journal an arriving update; False when this very update is journaled already (Telegram
        delivered it again), so that it is not queued a second time."""
        inserted = self.db.execute(
            "INSERT INTO updates (update_id, body, received) VALUES (?, ?, ?) "
            "ON CONFLICT (update_id) DO NOTHING", (update_id, body, time.time())).rowcount
        if inserted:
            self._since_prune += 1
            if self._since_prune >= _PRUNE_EVERY:
                self.prune()
            return True
        (stored,) = self.db.execute(
            "SELECT body FROM updates WHERE update_id = ?", (update_id,)).fetchone()
        if stored == body:
            return False
        # The same id for a different update: Telegram chose ids afresh, or another run with other
        # data (a test server) used this folder. It is a new update.
        self.db.execute("UPDATE updates SET body = ?, received = ?, handled = NULL, attempts = 0 "
                        "WHERE update_id = ?", (body, time.time(), update_id))
        return True

    def mark_working(self, update_id: int, working: bool = True) -> None:
        """Whether the bot is running the update's handlers' own code (True) or they wait on
        Telegram (False): a crash while it is True counts against the update."""
        self.db.execute("UPDATE updates SET working = ? WHERE update_id = ?",
                        (int(working), update_id))

    def mark_handled(self, update_id: int) -> None:
        self.db.execute("UPDATE updates SET handled = ?, working = 0 "
                        "WHERE update_id = ? AND handled IS NULL", (time.time(), update_id))

    def unhandled(self) -> list[tuple[int, str]]:
        """Updates journaled but never handled, oldest first. One the last run died working on
        counts an attempt; those with `max_attempts` are marked handled, logged and left out."""
        db = self.db
        with db:  # one transaction: counting, giving up and listing go together
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE updates SET attempts = attempts + 1, working = 0 "
                       "WHERE handled IS NULL AND working = 1")
            abandoned = [row[0] for row in db.execute(
                "SELECT update_id FROM updates WHERE handled IS NULL AND attempts >= ?",
                (self.max_attempts,))]
            db.execute("UPDATE updates SET handled = ? WHERE handled IS NULL AND attempts >= ?",
                       (time.time(), self.max_attempts))
            rows = db.execute("SELECT update_id, body FROM updates WHERE handled IS NULL "
                              "ORDER BY update_id").fetchall()
        for update_id in abandoned:
            log.error("gave up on update %d: the process died while handling it %d times",
                      update_id, self.max_attempts)
        return [(int(update_id), str(body)) for update_id, body in rows]

    def prune(self) -> None:
        """Forget handled updates older than `keep_seconds`."""
        self._since_prune = 0
        self.db.execute("DELETE FROM updates WHERE handled IS NOT NULL AND handled < ?",
                        (time.time() - self.keep_seconds,))


class JournaledQueue(UpdateQueue):
    """PTB's update queue. The polling Updater and the webhook handler both await `put` before
    they confirm an update to Telegram, so journaling in `put` comes before the confirmation."""

    def __init__(self, journal: UpdateJournal, limit: int = MAX_PENDING_UPDATES) -> None:
        super().__init__(limit)
        self.journal = journal

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            await self.room()  # before journaling: an update not yet taken stays Telegram's
            if not self._is_new(item):
                log.info("update %d was delivered again; it is already queued or handled",
                         item.update_id)
                return
        self.put_nowait(item)

    def _is_new(self, update: Update) -> bool:
        try:
            return self.journal.record(update.update_id, update.to_json())
        except sqlite3.Error:
            # Answering without a journal entry beats not answering: only a crash before the
            # answer would then lose the question.
            log.exception("could not journal update %d; handling it anyway", update.update_id)
            return True

    def requeue_unhandled(self, bot: Bot) -> int:
        """Queue the updates an earlier run journaled but never handled; call it before updates
        are fetched, so that they come first. Returns how many were queued."""
        pending = self.journal.unhandled()
        for update_id, body in pending:
            update = Update.de_json(json.loads(body), bot)
            if update is not None:
                self.put_nowait(update)
            else:
                self.journal.mark_handled(update_id)
        if pending:
            log.info("queued %d update(s) that the last run received but did not handle",
                     len(pending))
        return len(pending)


@dataclass(slots=True)
class _Handling:
    journal: UpdateJournal
    update_id: int
    done: bool = False

    def working(self, working: bool) -> None:
        if self.done:
            return
        try:
            self.journal.mark_working(self.update_id, working)
        except sqlite3.Error:
            log.exception("could not note whether update %d is being worked on", self.update_id)

    def mark(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.journal.mark_handled(self.update_id)
        except sqlite3.Error:
            log.exception("could not mark update %d handled; a restart may answer it again",
                          self.update_id)


_handling: ContextVar[_Handling | None] = ContextVar("handling", default=None)


@contextlib.contextmanager
def waiting() -> Iterator[None]:
    """Around an await on Telegram (sending, the typing action): the update being handled is
    not being worked on meanwhile, so the process dying now is not its doing."""
    handling = _handling.get()
    if handling is None:
        yield
        return
    handling.working(False)
    try:
        yield
    finally:
        handling.working(True)


def answered() -> None:
    """Mark the update being handled as handled: called right after its answer was accepted, so
    that only a crash in the moment between Telegram's reply and this commit repeats it."""
    handling = _handling.get()
    if handling is not None:
        handling.mark()


class JournaledProcessor(ChatOrderedProcessor):
    """`ChatOrderedProcessor` that marks each journaled update handled once its handlers are done
    (if its answer has not marked it already), and opens and closes the journal."""

    def __init__(self, journal: UpdateJournal,
                 max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
                 max_pending_updates: int = MAX_PENDING_UPDATES) -> None:
        super().__init__(max_concurrent_updates, max_pending_updates)
        self.journal = journal

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await super().do_process_update(update, coroutine)
            return
        await super().do_process_update(update, self._handled(update.update_id, coroutine))

    async def _handled(self, update_id: int, coroutine: Awaitable[Any]) -> None:
        """Run when the update's turn and slot have come: it is being worked on from now."""
        handling = _Handling(self.journal, update_id)
        handling.working(True)
        _handling.set(handling)  # this task's context: seen by the handlers it awaits
        await coroutine  # PTB's process_update: handler errors went to the error handler
        handling.mark()

    async def initialize(self) -> None:
        self.journal.open()

    async def shutdown(self) -> None:
        self.journal.close()
