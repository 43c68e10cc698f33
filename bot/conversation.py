"""Follow-up context: where a conversation (a chat and topic, or a reply chain) stands.

Keys are opaque hashables chosen by the adapter, so this module knows nothing of Telegram.
`bot.dialogue` says what each answer makes of the conversation (`next_turn`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

DEFAULT_TTL = 15 * 60.0  # a follow-up after a quarter of an hour is a new conversation
REPLY_TTL = 24 * 3600.0  # replying to an answer is explicit, so it may come much later


@dataclass(frozen=True, slots=True)
class Turn:
    """Where a conversation stands: the question a follow-up is read with, the earlier
    questions that one was read with (newest first), and the passages (ids) quoted on its
    subject so far, in order, which "tell me more" goes on from. When only an answer's
    quotes are known (a reply to an answer this process no longer remembers), `question` is
    the first quote and `asked` is False: "more" then reads on from the quotes."""

    question: str
    context: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()
    asked: bool = True

    def follow_up_context(self, depth: int = 3) -> tuple[str, ...]:
        """The context for a question that follows this one: the chain keeps its thread."""
        return ((self.question, *self.context))[:depth]


class _Expiring:
    def __init__(self, ttl: float, capacity: int, clock: Callable[[], float]) -> None:
        self._items: OrderedDict[Hashable, tuple[float, Turn]] = OrderedDict()
        self._ttl, self._capacity, self._clock = ttl, capacity, clock

    def put(self, key: Hashable, turn: Turn) -> None:
        self._items[key] = (self._clock(), turn)
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def get(self, key: Hashable) -> Turn | None:
        item = self._items.get(key)
        if item is None:
            return None
        stamp, turn = item
        if self._clock() - stamp > self._ttl:
            del self._items[key]
            return None
        return turn

    def forget(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


class Conversations:
    """Recent turns per conversation and per answer message, bounded in time and in size."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        reply_ttl: float = REPLY_TTL,
        capacity: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threads = _Expiring(ttl, capacity, clock)
        self._answers = _Expiring(reply_ttl, capacity, clock)

    def remember(self, thread: Hashable, turn: Turn | None,
                 answers: Iterable[Hashable] = ()) -> None:
        """Record `turn` as the thread's latest, and as what each answer message answered;
        None: the thread starts afresh (an off-topic question stood on its own)."""
        if turn is None:
            self._threads.forget(thread)
            return
        self._threads.put(thread, turn)
        for message in answers:
            self._answers.put(message, turn)

    def latest(self, thread: Hashable) -> Turn | None:
        return self._threads.get(thread)

    def answered_by(self, message: Hashable) -> Turn | None:
        """The turn an answer message belongs to, for a reply that continues it."""
        return self._answers.get(message)
