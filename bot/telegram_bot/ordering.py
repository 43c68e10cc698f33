"""Concurrent update processing that keeps each chat's updates in arrival order.

Different chats are answered concurrently; within one chat an update waits for the previous one,
so two questions are answered in the order they were asked.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class ChatOrderedProcessor(BaseUpdateProcessor):
    """One asyncio.Lock per chat with updates in flight.

    Order holds because PTB starts one task per update in update order, each task reaches
    `lock.acquire()` without suspending first (the semaphore and the lock both queue FIFO), and
    asyncio.Lock wakes waiters first come, first served.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: Counter[int] = Counter()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] += 1
        try:
            async with lock:
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
