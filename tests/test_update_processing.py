"""Update processing (bot/telegram_bot/ordering.py): each chat's updates in order, a processing slot
taken only once an update's chat turn has come, and a bounded backlog."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.telegram_bot.ordering import ChatOrderedProcessor, UpdateQueue


def update_in(chat_id: int, update_id: int = 1) -> Update:
    update = Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"},
        "text": "x"}}, None)
    assert update is not None
    return update


async def test_a_chats_updates_run_in_order_and_idle_chats_are_forgotten() -> None:
    processor = ChatOrderedProcessor(8)
    order: list[int] = []

    async def job(n: int) -> None:
        await asyncio.sleep(0.01 * (3 - n))  # later updates are quicker: order must still hold
        order.append(n)

    await asyncio.gather(*(processor.process_update(update_in(9, n), job(n)) for n in range(3)))
    assert order == [0, 1, 2]
    assert processor.chats_in_flight == 0


async def test_updates_waiting_for_their_chat_hold_no_slot() -> None:
    processor = ChatOrderedProcessor(max_concurrent_updates=2)
    finished: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def job(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        finished[name] = loop.time() - started

    # One chat with twenty slow updates, queued first; with two slots, another chat's update
    # still runs at once instead of waiting behind them.
    flood = [processor.process_update(update_in(1, n), job(f"flood {n}", 0.05))
             for n in range(20)]
    other = processor.process_update(update_in(2, 100), job("other", 0.0))
    await asyncio.gather(*flood, other)
    assert finished["other"] < 0.05
    assert finished["flood 19"] >= 20 * 0.05


async def test_the_queue_holds_back_new_updates_while_too_many_are_unfinished() -> None:
    queue = UpdateQueue(limit=3)
    for n in range(3):
        await queue.put(update_in(1, n))
    fourth = asyncio.create_task(queue.put(update_in(1, 3)))
    await asyncio.sleep(0.05)
    assert not fourth.done()
    taken = [queue.get_nowait() for _ in range(3)]  # taken is not finished: still held back
    await asyncio.sleep(0.05)
    assert not fourth.done()
    queue.task_done()  # one update handled: room for the next
    await asyncio.wait_for(fourth, 1)
    assert len(taken) == 3
    assert queue.unfinished == 3
    stop_signal = object()
    await asyncio.wait_for(queue.put(stop_signal), 1)  # PTB's stop signal is never held back
