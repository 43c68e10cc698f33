"""Flood control: python-telegram-bot's rate limiter extension point, held within Telegram's
published limits in every window, not just on average (30 messages a second overall, about one a
second in a chat, 20 a minute in a group).

PTB's own `AIORateLimiter` is a leaky bucket whose capacity is its whole rate: after a quiet spell
it lets 30 messages through at once and more within the same second (measured: 41 in one second),
20 into a group at once and 20 more within the minute, and it has no limit per private chat
(measured: 8 a second into one chat). And it counts when a request starts, while Telegram counts
when it arrives: requests held up on the way (a busy connection pool, a busy event loop) arrive
together. `FloodLimiter` is a `BaseRateLimiter` held to every window:
- overall: messages start at least 1/28 s apart, and a message starts only while fewer than 28
  are in flight or were answered within the last second, so however late each one reaches
  Telegram, no second there holds more than 28;
- in a group: an aiolimiter bucket of 3 that drains 16 a minute, so at most 19 in any minute;
- in a chat: 1.1 s between Telegram's answer to a message and the chat's next message.
A chat action ("typing…") is not a message and is not limited: it would otherwise take a message's
place, and make the answer it announces wait a second behind it.

A flood wait (429 with retry_after) pauses every request of the bot for as long as Telegram asks,
then the error goes back to the caller, whose retry policy (`sending.with_retries`) sends the
message again: a 429 means Telegram did not act on the request, so it is still sent once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram_bot.sending import retry_after_seconds

log = logging.getLogger(__name__)

MESSAGES_PER_SECOND = 28  # Telegram allows 30; the margin absorbs jitter on the way
CHAT_SPACING = 1.1  # seconds between two messages in one chat
GROUP_BURST = 3
GROUP_PER_MINUTE = 16  # a burst of 3, then 16 a minute: at most 19 in any minute
_NOT_MESSAGES = frozenset({"sendChatAction"})  # requests with a chat_id that post nothing
_MAX_IDLE_CHATS = 1024  # chats remembered before the quiet ones are forgotten
Result = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, Result]]


class Window:
    """Messages overall: each starts at least `1 / limit` s after the one before, and only while
    fewer than `limit` are in flight or were answered in the last second (see the module
    docstring). First come, first served."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._last_start = -math.inf
        self._answered: deque[float] = deque()  # when each of the last second's requests ended
        self._in_flight = 0
        self._turn = asyncio.Lock()
        self._changed = asyncio.Event()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with self._turn:
            while (wait := self._wait(loop.time())) > 0:
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(),
                                           None if wait == math.inf else wait)
            self._last_start = loop.time()
            self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._answered.append(loop.time())
            self._changed.set()

    def _wait(self, now: float) -> float:
        """How long until the next message may start (inf: until a request in flight ends)."""
        while self._answered and self._answered[0] <= now - 1:
            self._answered.popleft()
        wait = self._last_start + 1 / self.limit - now
        if self._in_flight + len(self._answered) >= self.limit:
            wait = max(wait, self._answered[0] + 1 - now if self._answered else math.inf)
        return wait


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float = -math.inf  # when Telegram answered the chat's last message
    group: AsyncLimiter | None = None


class FloodLimiter(BaseRateLimiter[None]):
    """Telegram's flood limits for every message the bot sends (see the module docstring).
    The constructor's figures are Telegram's with a margin; tests pass smaller spacings to run
    fast."""

    def __init__(self, messages_per_second: float = MESSAGES_PER_SECOND,
                 chat_spacing: float = CHAT_SPACING, group_burst: int = GROUP_BURST,
                 group_per_minute: float = GROUP_PER_MINUTE) -> None:
        self.chat_spacing = chat_spacing
        self._overall = Window(messages_per_second)
        self._group_burst = group_burst
        self._group_period = group_burst * 60 / group_per_minute
        self._chats: dict[str, _Chat] = {}
        self._resume_at = -math.inf  # the end of the flood wait Telegram last asked for

    async def initialize(self) -> None:
        """Nothing to set up: the buckets bind to the running loop when first used."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Result:
        chat_id = data.get("chat_id")
        if chat_id is None or endpoint in _NOT_MESSAGES:
            await self._flood_wait()
            return await self._send(callback, args, kwargs)
        chat = self._chat(str(chat_id))
        loop = asyncio.get_running_loop()
        async with chat.lock:
            pause = chat.last + self.chat_spacing - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
            if chat.group is not None:
                await chat.group.acquire()
            await self._flood_wait()
            try:
                async with self._overall.slot():
                    await self._flood_wait()  # one that began while this waited its turn
                    return await self._send(callback, args, kwargs)
            finally:
                chat.last = loop.time()

    async def _flood_wait(self) -> None:
        loop = asyncio.get_running_loop()
        while True:  # a flood wait that comes meanwhile extends the pause
            left = self._resume_at - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(left)

    async def _send(self, callback: Callback, args: Any, kwargs: dict[str, Any]) -> Result:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            log.info("Telegram asked for a flood wait of %.0f s: pausing every request", seconds)
            loop = asyncio.get_running_loop()
            self._resume_at = max(self._resume_at, loop.time() + seconds)
            raise

    def _chat(self, chat_id: str) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= _MAX_IDLE_CHATS:
                self._forget_quiet_chats()
            group = (AsyncLimiter(self._group_burst, self._group_period)
                     if _is_group(chat_id) else None)
            chat = self._chats[chat_id] = _Chat(group=group)
        return chat

    def _forget_quiet_chats(self) -> None:
        """Drop the chats that could send again at once: remembering them changes nothing."""
        quiet = asyncio.get_running_loop().time() - self.chat_spacing
        self._chats = {
            key: chat for key, chat in self._chats.items()
            if chat.lock.locked() or chat.last > quiet
            or (chat.group is not None and not chat.group.has_capacity(chat.group.max_rate))}


def _is_group(chat_id: str) -> bool:
    """Groups and channels have negative ids (or an @username); private chats positive ones."""
    return chat_id.startswith(("-", "@"))
