"""How much the bot sends at once: within Telegram's flood limits in every window, chat actions
never held behind messages, and few requests in flight however many chats are busy."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine
from typing import Any

from fake_bot_api import FakeBotApi
from telegram.ext import AIORateLimiter

from bot.telegram_bot.limits import CHAT_SPACING, HTTP_CONCURRENCY, Spacing, TelegramLimits


async def send_all(limiter: AIORateLimiter, requests: list[tuple[str, int]]) -> list[
        tuple[float, str, int]]:
    """Push (endpoint, chat id) requests through `limiter` at once; when each went out."""
    loop = asyncio.get_running_loop()
    sent: list[tuple[float, str, int]] = []

    def request(endpoint: str, chat: int) -> Callable[[], Coroutine[Any, Any, bool]]:
        async def call() -> bool:
            sent.append((loop.time(), endpoint, chat))
            return True
        return call

    await asyncio.gather(*(limiter.process_request(request(e, c), (), {}, e, {"chat_id": c}, None)
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


async def test_spacing_allows_no_burst() -> None:
    spacing, loop = Spacing(28), asyncio.get_running_loop()
    starts: list[float] = []

    async def start() -> None:
        await spacing.turn()
        starts.append(loop.time())

    await asyncio.gather(*(start() for _ in range(40)))
    assert all(b - a >= spacing.interval * 0.95 for a, b in itertools.pairwise(starts))
    assert most_in_window(starts, 1.0) <= 29


async def test_ours_holds_a_group_to_a_burst_of_three_then_sixteen_a_minute() -> None:
    sent = await send_all(TelegramLimits(), [("sendMessage", -100)] * 4)
    times = [t for t, _, _ in sent]
    # Three at 1.1 s spacing, then the bucket drains at 16 a minute: never 20 in 60 s.
    assert times[3] - times[0] >= 60 / 16 - 0.05


async def test_ptbs_default_limiter_lets_a_burst_through_twice_the_limit() -> None:
    """Why the overall limit is a `Spacing`: PTB's bucket lets 30 through at once, then 30 more
    in the same second (and has no limit at all per private chat)."""
    sent = await send_all(AIORateLimiter(), [("sendMessage", 5000 + n) for n in range(60)])
    assert most_in_window([t for t, _, _ in sent], 1.0) > 45


async def test_a_chat_action_is_not_held_behind_the_chats_last_message() -> None:
    limiter = TelegramLimits()
    sent = await send_all(limiter, [("sendMessage", 42)])
    sent += await send_all(limiter, [("sendChatAction", 42), ("sendMessage", 42)])
    (start, _, _), (typing, action, _), (second, _, _) = sorted(sent)
    assert action == "sendChatAction"
    assert typing - start < 0.2
    assert second - start >= CHAT_SPACING - 0.01


async def test_requests_in_flight_stay_few_however_many_chats_are_busy(
    api: FakeBotApi, bot: Any
) -> None:
    chats = [6000 + n for n in range(20)]
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
    assert in_flight <= HTTP_CONCURRENCY
    assert in_flight >= HTTP_CONCURRENCY // 2  # they did go out side by side
