"""Concurrent update processing that keeps each chat's updates in arrival order, and never lets one
busy chat hold up the others.

Different chats are answered concurrently; within one chat an update waits for the previous one,
so two questions are answered in the order they were asked. An update takes one of the processing
slots only once its chat's turn has come: a chat that sends a thousand questions at once holds one
slot, not all of them, and every other chat is answered meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates handled at once. Each makes one request at a time, and Telegram (or the flood limits)
# paces them, so a few times the connections (app.CONNECTIONS) keep them all busy; more would only
# queue in httpcore's pool, whose bookkeeping costs CPU for every request waiting there
# (benchmarks/load.py: 32 slots answered 175-181 questions a second at 4.4-4.5 ms of CPU each,
# 256 slots 144-162 at 5.0 ms, in the same runs).
MAX_CONCURRENT_UPDATES = 32
# Updates fetched but not yet handled, across all chats. Beyond this the bot stops fetching (or
# keeps Telegram's webhook POST waiting) until the backlog falls: Telegram keeps the rest for a day.
MAX_PENDING_UPDATES = 10_000


class ChatOrderedProcessor(BaseUpdateProcessor):
    """One asyncio.Lock per chat with updates in flight, then one of `max_concurrent_updates`
    slots.

    PTB's own semaphore (the base class's) is taken before `do_process_update` and would hold a
    slot for every update waiting on its chat; here it is as large as the backlog the queue allows,
    so it never blocks, and the real slots are taken inside. Order holds because PTB starts one task
    per update in update order, each task reaches `lock.acquire()` without suspending first, and
    asyncio.Lock wakes waiters first come, first served.
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
                 max_pending_updates: int = MAX_PENDING_UPDATES) -> None:
        super().__init__(max_pending_updates + max_concurrent_updates)
        self.slots = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: Counter[int] = Counter()

    @property
    def chats_in_flight(self) -> int:
        """Chats with an update being handled or waiting its turn."""
        return len(self._locks)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] += 1
        try:
            async with lock, self._slots:  # the chat's turn first, then a slot
                await coroutine
        finally:
            # Forget idle chats' locks so the dict stays as small as the chats in flight.
            self._users[chat.id] -= 1
            if not self._users[chat.id]:
                del self._users[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: Application.stop has already waited for the updates in flight."""


class UpdateQueue(asyncio.Queue[object]):
    """The Application's update queue, holding back whoever puts updates in (the getUpdates loop,
    the webhook) while `limit` updates are unfinished: fetched but not yet handled.

    PTB takes updates out of the queue at once, one task each, so the bound has to count what was
    taken and not finished (`task_done`), not what still sits in the queue.
    """

    def __init__(self, limit: int = MAX_PENDING_UPDATES) -> None:
        super().__init__()
        self.limit = limit
        self.unfinished = 0
        self._room = asyncio.Event()
        self._room.set()

    async def put(self, item: object) -> None:
        if isinstance(item, Update):  # never hold back PTB's own stop signal
            await self.room()
        self.put_nowait(item)

    async def room(self) -> None:
        """Wait until fewer than `limit` updates are unfinished."""
        while self.unfinished >= self.limit:
            self._room.clear()
            await self._room.wait()

    def put_nowait(self, item: object) -> None:
        super().put_nowait(item)
        self.unfinished += 1

    def task_done(self) -> None:
        super().task_done()
        self.unfinished -= 1
        if self.unfinished < self.limit:
            self._room.set()
