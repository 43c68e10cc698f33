"""Flood limits (bot/telegram_bot/limits.py): within Telegram's limits in every window, chat
actions never held behind messages, flood waits pausing every request, and one chat that floods
the bot never holding up the others."""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from fake_bot_api import FakeBotApi
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.telegram_bot.app import CONNECTIONS
from bot.telegram_bot.limits import CHAT_SPACING, MESSAGES_PER_SECOND, FloodLimiter

Sent = list[tuple[float, str, int]]


def request(sent: Sent, endpoint: str, chat: int) -> Callable[[], Coroutine[Any, Any, bool]]:
    async def call() -> bool:
        sent.append((asyncio.get_running_loop().time(), endpoint, chat))
        return True
    return call


async def send_all(limiter: BaseRateLimiter[Any], requests: list[tuple[str, int]]) -> Sent:
    """Push (endpoint, chat id) requests through `limiter` at once; when each went out."""
    sent: Sent = []
    await asyncio.gather(*(limiter.process_request(request(sent, e, c), (), {}, e,
                                                   {"chat_id": c}, None)
                           for e, c in requests))
    return sorted(sent)


def most_in_window(times: list[float], seconds: float) -> int:
    return max(sum(1 for t in times if start <= t < start + seconds) for start in times)


async def test_messages_leave_within_telegrams_limits_however_many_chats_ask_at_once(
    api: FakeBotApi, start_bot: Any
) -> None:
    await start_bot(rate_limit=True)
    chats = [5000 + n for n in range(40)]
    for chat in [*chats, 42]:
        api.private_chat(chat)
    for chat in chats:
        api.send_user_message(chat, "Who will Blinken meet?")
    for question in ("What was the spy balloon incident?", "What about fentanyl?", "When?"):
        api.send_user_message(42, question)
    await api.wait_for_messages(len(chats) + 3, timeout=30)
    assert api.max_messages_in_window(1.0) <= 30  # as Telegram counts them, on arrival
    one_chat = [m.time for m in api.messages_in(42)]
    assert all(b - a >= CHAT_SPACING for a, b in itertools.pairwise(one_chat))
    assert len(api.chat_actions) == len(chats) + 3  # typing went out for every question


async def test_overall_spacing_allows_no_burst() -> None:
    sent = await send_all(FloodLimiter(), [("sendMessage", 5000 + n) for n in range(40)])
    starts = [t for t, _, _ in sent]
    assert all(b - a >= 0.95 / MESSAGES_PER_SECOND for a, b in itertools.pairwise(starts))
    assert most_in_window(starts, 1.0) <= MESSAGES_PER_SECOND + 1


async def test_messages_held_up_on_the_way_still_arrive_within_the_limit() -> None:
    """Telegram counts arrivals, not starts: requests that reach it late (a busy pool, a busy
    event loop) must not bunch into one second there."""
    limiter, rate = FloodLimiter(messages_per_second=40), 40
    rng = random.Random(7)
    arrivals: list[float] = []

    def late_request() -> Callable[[], Coroutine[Any, Any, bool]]:
        delay = 0.4 if rng.random() < 0.2 else 0.0  # a fifth held up 400 ms on the way

        async def call() -> bool:
            await asyncio.sleep(delay)
            arrivals.append(asyncio.get_running_loop().time())
            return True
        return call

    await asyncio.gather(*(limiter.process_request(late_request(), (), {}, "sendMessage",
                                                   {"chat_id": 5000 + n}, None)
                           for n in range(80)))
    assert most_in_window(sorted(arrivals), 1.0) <= rate


async def test_a_group_gets_a_burst_of_three_then_sixteen_a_minute() -> None:
    sent = await send_all(FloodLimiter(chat_spacing=0.01), [("sendMessage", -100)] * 4)
    times = [t for t, _, _ in sent]
    # Three at once, then the bucket drains at 16 a minute: never 20 in 60 s.
    assert times[2] - times[0] < 1.0
    assert times[3] - times[0] >= 60 / 16 - 0.05


async def test_ptbs_default_limiter_lets_a_burst_through_twice_the_limit() -> None:
    """Why the bot has its own limiter: PTB's bucket lets 30 through at once, then 30 more in
    the same second, and has no limit at all per private chat."""
    sent = await send_all(AIORateLimiter(), [("sendMessage", 5000 + n) for n in range(60)])
    assert most_in_window([t for t, _, _ in sent], 1.0) > 45
    one_chat = await send_all(AIORateLimiter(), [("sendMessage", 42)] * 5)
    assert one_chat[-1][0] - one_chat[0][0] < 0.5
    ours = await send_all(FloodLimiter(chat_spacing=0.1), [("sendMessage", 42)] * 5)
    assert ours[-1][0] - ours[0][0] >= 4 * 0.1


async def test_a_chat_action_is_not_held_behind_the_chats_last_message() -> None:
    limiter = FloodLimiter()
    sent = await send_all(limiter, [("sendMessage", 42)])
    sent += await send_all(limiter, [("sendChatAction", 42), ("sendMessage", 42)])
    (start, _, _), (typing, action, _), (second, _, _) = sorted(sent)
    assert action == "sendChatAction"
    assert typing - start < 0.2
    assert second - start >= CHAT_SPACING - 0.01


async def test_a_flood_wait_pauses_every_request_and_is_not_retried_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as `run` does
    limiter = FloodLimiter(chat_spacing=0.01)
    loop = asyncio.get_running_loop()
    calls: list[tuple[float, str]] = []

    async def flooded() -> bool:
        calls.append((loop.time(), "flooded"))
        raise RetryAfter(1)

    async def other() -> bool:
        calls.append((loop.time(), "other"))
        return True

    started = loop.time()
    with pytest.raises(RetryAfter):  # the caller's retry policy decides what comes next
        await limiter.process_request(flooded, (), {}, "sendMessage", {"chat_id": 1}, None)
    for endpoint, chat in (("sendMessage", 2), ("sendChatAction", 3), ("getMe", None)):
        await limiter.process_request(other, (), {}, endpoint, {"chat_id": chat}, None)
    assert [name for _, name in calls] == ["flooded", "other", "other", "other"]
    assert all(when - started >= 1.0 for when, name in calls if name == "other")


async def test_requests_in_flight_stay_within_the_pool_however_many_chats_are_busy(
    api: FakeBotApi, bot: Any
) -> None:
    chats = [6000 + n for n in range(3 * CONNECTIONS)]
    for chat in chats:
        api.private_chat(chat)
    api.stall_next("sendChatAction", seconds=0.3, times=len(chats))  # requests pile up
    for chat in chats:
        api.send_user_message(chat, "Who will Blinken meet?")
    await api.wait_for_messages(len(chats), timeout=30)
    calls = [e for e in api.log if e.kind == "call" and e.method != "getUpdates"
             and e.answered_at is not None]
    in_flight = max(sum(1 for other in calls if other.time <= e.time < other.answered_at)
                    for e in calls)
    assert in_flight <= CONNECTIONS
    assert in_flight >= CONNECTIONS // 2  # they did go out side by side


async def test_one_chat_flooding_the_bot_holds_up_no_other_chat(
    api: FakeBotApi, start_bot: Any
) -> None:
    """A chat sends hundreds of questions at once, more than there are processing slots; other
    chats asking meanwhile are still answered at once, and the flood is answered once each, in
    order, one chat spacing apart. (Telegram's spacing is 1.1 s; here 10 ms, to run fast.)"""
    spacing, flood = 0.01, 300
    # Two processing slots, fewer than the flood, as 256 are fewer than a thousand.
    limiter = FloodLimiter(messages_per_second=1000, chat_spacing=spacing)
    await start_bot(rate_limit=True, build={"limiter": limiter, "slots": 2})
    api.private_chat(1, "Flood")
    asked = [api.send_user_message(1, "Who will Blinken meet?") for _ in range(flood)]
    await api.wait_for_messages(3, chat_id=1)  # the flood is being answered
    others = [7000 + n for n in range(10)]
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    for chat in others:
        api.private_chat(chat)
        when = loop.time()
        api.send_user_message(chat, "What was the spy balloon incident?")
        await api.wait_for_messages(1, chat_id=chat, timeout=30)
        latencies.append(loop.time() - when)
    assert statistics.median(latencies) < 0.5
    assert len(api.messages_in(1)) < flood  # the others were answered during the flood
    answers = await api.wait_for_messages(flood, chat_id=1, timeout=60)
    assert [m.reply_to_message_id for m in answers] == asked  # once each, in order
    times = [m.time for m in answers]
    assert all(b - a >= spacing * 0.9 for a, b in itertools.pairwise(times))
