"""The question log, off the answer path: adapters hand it each question's outcome and each
👍/👎 without waiting, and one writer thread writes them to `QuestionStore` in batches.

A slow or stuck disk never delays an answer: `record` only puts the outcome on a bounded queue,
and when the queue is full the outcome is dropped with a warning rather than waited for. The
writer also deletes questions older than the retention period, when it starts and then daily;
`close` writes what is queued before it returns.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.answer import Answer
from bot.question_store import DAY, Asked, QuestionStore, Vote, VoteResult
from bot.settings import Settings

log = logging.getLogger(__name__)

CAPACITY = 10_000  # outcomes waiting for the disk; at Telegram's 30 answers a second, 5 minutes
BATCH = 500  # items written in one transaction
# How long the writer lets records gather once one has come, before it writes them all: waking
# for every record takes the interpreter lock from the event loop each time (measured in
# benchmarks/question_log.py), where one wake a tenth of a second costs nothing to see.
GATHER_SECONDS = 0.1
PURGE_EVERY = DAY
_IDLE_WAKE = 3600.0  # seconds an idle writer sleeps before it looks at the clock again
_WARN_EVERY = 60.0  # seconds between two warnings about dropped records
T = TypeVar("T")


@dataclass(slots=True)
class _Flush:
    done: concurrent.futures.Future[None] = field(default_factory=concurrent.futures.Future)


@dataclass(slots=True)
class _Voting:
    vote: Vote
    result: concurrent.futures.Future[VoteResult] = field(
        default_factory=concurrent.futures.Future)


_STOP = object()  # put by `close`: the writer writes what came before it, then ends


class QuestionLog:
    """Questions and votes for `store`, written by a thread of its own between `open` and
    `close`. `clock` is the time questions are stamped and purged by (a test's own clock)."""

    def __init__(self, store: QuestionStore, *, clock: Callable[[], float] = time.time,
                 capacity: int = CAPACITY, purge_every: float = PURGE_EVERY,
                 gather_seconds: float = GATHER_SECONDS) -> None:
        self.store = store
        self.clock = clock
        self.purge_every = purge_every
        self.gather_seconds = gather_seconds
        self._queue: queue.Queue[object] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._dropped = 0
        self._warned_at = float("-inf")
        self._failed_at = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> QuestionLog | None:
        """The log in BOT_STATE_DIR; None when nothing may be stored (no state folder, or a
        retention of 0 days)."""
        if settings.state_dir is None or settings.retention_days == 0:
            return None
        return cls(QuestionStore(settings.state_dir, settings.retention_days))

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def open(self) -> None:
        """Open the file and start the writer, which first deletes what is past retention.
        Raises `sqlite3.Error`, `OSError` or `ValueError` when the file cannot be used."""
        if self._thread is not None:
            return
        self.store.open()
        self._thread = threading.Thread(target=self._run, name="question-log", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Write everything queued, stop the writer and close the file. Blocking."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(_STOP)  # waits for room: what is queued before it is written first
        thread.join()
        self.store.close()

    def record(self, answer: Answer, *, key: str, user_id: int | None, chat: str) -> None:
        """Queue a question's outcome; never waits."""
        self._offer(Asked(key, answer, user_id, chat, self.clock()))

    def vote(self, key: str, user_id: int, value: int) -> concurrent.futures.Future[VoteResult]:
        """Queue a 👍 (+1) or 👎 (-1) on answer `key`; never waits. The future tells what became
        of it once it is written."""
        voting = _Voting(Vote(key, user_id, value, self.clock()))
        if not self._offer(voting):
            _resolve(voting.result, VoteResult.NOT_RECORDED)
        return voting.result

    def flushed(self) -> concurrent.futures.Future[None]:
        """A future done once everything queued before it is written (or failed)."""
        flush = _Flush()
        if not self._offer(flush):
            _resolve(flush.done, None)
        return flush.done

    def _offer(self, item: Asked | _Voting | _Flush) -> bool:
        if not self.running:
            log.debug("the question log is not open; a record was not kept")
            return False
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._dropped += 1
            now = time.monotonic()
            if now - self._warned_at >= _WARN_EVERY:
                self._warned_at = now
                log.warning("the question log's disk is behind: %d record(s) dropped so far "
                            "(answers are not held up for it); check the disk of BOT_STATE_DIR",
                            self._dropped)
            return False
        return True

    # --- the writer thread ----------------------------------------------------------------

    def _run(self) -> None:
        next_purge = self.clock()  # the first clean-up at once
        while True:
            wait = min(_IDLE_WAKE, max(next_purge - self.clock(), 0.001))
            try:
                batch = [self._queue.get(timeout=wait)]
            except queue.Empty:
                batch = []
            if batch and batch[0] is not _STOP:
                time.sleep(self.gather_seconds)
            while batch and len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if self.clock() >= next_purge:  # before the batch: its flushes see it done
                self._purge()
                next_purge = self.clock() + self.purge_every
            stop = any(item is _STOP for item in batch)
            self._write([item for item in batch if item is not _STOP])
            if stop:
                return

    def _write(self, batch: list[object]) -> None:
        items: list[Asked | Vote] = []
        votes: list[_Voting] = []
        for item in batch:
            if isinstance(item, Asked):
                items.append(item)
            elif isinstance(item, _Voting):
                items.append(item.vote)
                votes.append(item)
        results = [VoteResult.NOT_RECORDED] * len(votes)
        if items:
            try:
                results = self.store.write(items)
            except (sqlite3.Error, OSError) as exc:
                self._failed(f"could not write {len(items)} record(s) to the question log", exc)
        for voting, result in zip(votes, results, strict=True):
            _resolve(voting.result, result)
        for item in batch:
            if isinstance(item, _Flush):
                _resolve(item.done, None)

    def _purge(self) -> None:
        try:
            self.store.purge(self.clock())
        except (sqlite3.Error, OSError) as exc:
            self._failed("could not delete old questions from the question log", exc)

    def _failed(self, what: str, exc: Exception) -> None:
        # A broken disk fails every batch: one line a minute says so without flooding the log.
        now = time.monotonic()
        if now - self._failed_at >= _WARN_EVERY:
            self._failed_at = now
            log.error("%s (%s: %s); answers go on meanwhile. Check the disk and %s.",
                      what, type(exc).__name__, exc, self.store.path)


def _resolve(future: concurrent.futures.Future[T], value: T) -> None:
    with contextlib.suppress(concurrent.futures.InvalidStateError):  # cancelled by its waiter
        future.set_result(value)
