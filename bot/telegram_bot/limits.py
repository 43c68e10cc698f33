"""How much the bot sends at once: within Telegram's published flood limits in every window,
not just on average (30 messages a second overall, one a second in a chat, 20 a minute in a
group), and with few requests in flight however many chats are busy.

PTB's `AIORateLimiter` is a leaky bucket whose capacity is its whole rate: after a quiet spell it
lets 30 messages through at once and 30 more within the same second, and 20 into a group at once
and 20 more within the minute; it has no limit per private chat; and it lets a message go before
it waits for a connection, so messages held up there leave together. So here:
- overall: messages leave at most 28 a second, spaced where they enter the wire (`GatedRequest`);
- in a group: a bucket of 3 that drains 16 a minute, so at most 19 in any minute;
- in a chat: 1.1 s between a message's answer from Telegram and the chat's next message.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import AIORateLimiter
from telegram.request import RequestData

from bot.telegram_bot.transport import AiohttpRequest

MESSAGES_PER_SECOND = 28
GROUP_BURST = 3
GROUP_PER_MINUTE = 16  # burst + 16 per minute: at most 19 in any minute
CHAT_SPACING = 1.1  # seconds between two messages in one chat
_MAX_IDLE_CHATS = 1024
Result = bool | dict[str, Any] | list[dict[str, Any]]
# Requests in flight at once. Telegram answers in tens of milliseconds, so 8 carry far more than
# the 30 messages (and 30 chat actions) a second it accepts.
HTTP_CONCURRENCY = 8
_NOT_MESSAGES = frozenset({"sendChatAction"})  # requests with a chat_id that post nothing


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float = -math.inf  # when its last message was answered by Telegram


class TelegramLimits(AIORateLimiter):
    """`AIORateLimiter` for its flood waits (a 429 pauses every request) and its group buckets,
    made small; plus 1.1 s between two messages in one chat, counted from Telegram's answer to
    the first. The overall limit is `GatedRequest`'s, at the wire.

    A chat action ("typing…") is not a message and is not limited: it would otherwise take a
    message's place, and make the answer it announces wait a second behind it.
    """

    def __init__(self, max_retries: int = 3) -> None:
        super().__init__(overall_max_rate=0, group_max_rate=GROUP_BURST,
                         group_time_period=GROUP_BURST * 60 / GROUP_PER_MINUTE,
                         max_retries=max_retries)
        self._chats: dict[str, _Chat] = {}

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat_id = data.get("chat_id")
        if endpoint in _NOT_MESSAGES:
            return await callback(*args, **kwargs)
        if chat_id is None:
            return await super().process_request(callback, args, kwargs, endpoint, data,
                                                 rate_limit_args)
        chat = self._chat(str(chat_id))
        loop = asyncio.get_running_loop()
        async with chat.lock:
            pause = chat.last + CHAT_SPACING - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data,
                                                     rate_limit_args)
            finally:
                chat.last = loop.time()

    def _chat(self, chat_id: str) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= _MAX_IDLE_CHATS:  # forget chats that could send again now
                quiet = asyncio.get_running_loop().time() - CHAT_SPACING
                self._chats = {key: c for key, c in self._chats.items()
                               if c.lock.locked() or c.last > quiet}
            chat = self._chats[chat_id] = _Chat()
        return chat


class Spacing:
    """Starts at least `1 / per_second` seconds apart, first come first served: no second holds
    more than `per_second` of them, where a bucket would allow a burst."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1 / per_second
        self._next = -math.inf
        self._lock = asyncio.Lock()

    async def turn(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            if self._next > loop.time():
                await asyncio.sleep(self._next - loop.time())
            self._next = loop.time() + self.interval  # from the actual start: sleeps overshoot


class GatedRequest(AiohttpRequest):
    """`AiohttpRequest` letting at most `limit` requests onto the wire at once (the rest wait
    their turn in a semaphore, first come first served, however long), and, with
    `messages_per_second`, spacing messages (requests to a chat, chat actions aside) evenly as
    they go out.

    Spacing here, behind the gate, is what Telegram sees: spaced any earlier, messages held up
    waiting for a connection would leave together. The pool has a connection for every request
    let through, so none waits in it, and none fails with a pool timeout under load.
    """

    __slots__ = ("_gate", "_spacing")

    def __init__(self, limit: int = HTTP_CONCURRENCY,
                 messages_per_second: float | None = None) -> None:
        super().__init__(connection_pool_size=limit)
        self._gate = asyncio.Semaphore(limit)
        self._spacing = Spacing(messages_per_second) if messages_per_second else None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = AiohttpRequest.DEFAULT_NONE,
        write_timeout: Any = AiohttpRequest.DEFAULT_NONE,
        connect_timeout: Any = AiohttpRequest.DEFAULT_NONE,
        pool_timeout: Any = AiohttpRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        async with self._gate:
            if self._spacing is not None and _is_message(url, request_data):
                await self._spacing.turn()
            return await super().do_request(url, method, request_data, read_timeout,
                                            write_timeout, connect_timeout, pool_timeout)


def _is_message(url: str, request_data: RequestData | None) -> bool:
    return (request_data is not None and "chat_id" in request_data.parameters
            and url.rsplit("/", 1)[-1] not in _NOT_MESSAGES)
