"""A load run while the Bot API misbehaves at random: 429s, 500s, 502s, a timeout, and connections
dropped before or after Telegram acted on the request, on sendMessage, sendChatAction and
getUpdates alike. No answer is ever sent twice, every question reaches the bot, answers keep each
chat's order, the bot keeps running, and the only answers missing are those whose connection
dropped after the whole request went out but before Telegram acted on it: the bot cannot tell
those from drops after Telegram acted, and resending them would risk a duplicate."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, LogEntry

QUESTIONS = ["What was the spy balloon incident?", "Who will Blinken meet?",
             "What about fentanyl?", "When was the visit first planned?",
             "What happened in the South China Sea?", "What is the recipe for banana bread?"]
Key = tuple[int, int]
DROPPED_UNSEEN = "connection dropped"  # the fake's description of a drop before acting


def key_of(entry: LogEntry) -> Key:
    return int(entry.params["chat_id"]), int(entry.params["reply_parameters"]["message_id"])


def sends(api: FakeBotApi) -> dict[Key, list[LogEntry]]:
    """Each question's sendMessage attempts, in order (answers are the first part: one each)."""
    attempts: dict[Key, list[LogEntry]] = {}
    for entry in api.log:
        if entry.kind == "call" and entry.method == "sendMessage":
            attempts.setdefault(key_of(entry), []).append(entry)
    return attempts


def settled(api: FakeBotApi, asked: list[Key]) -> bool:
    """Every question answered, or its last attempt dropped unseen (which is not retried)."""
    delivered = {(m.chat_id, m.reply_to_message_id) for m in api.sent_messages}
    attempts = sends(api)
    return all(key in delivered or (key in attempts and attempts[key][-1].status == 0
                                    and attempts[key][-1].description == DROPPED_UNSEEN)
               for key in asked)


@pytest.mark.parametrize("rate_limit", [False, True])
async def test_random_faults_never_duplicate_an_answer_nor_stop_the_bot(
    api: FakeBotApi, start_bot: Any, caplog: pytest.LogCaptureFixture, rate_limit: bool
) -> None:
    app = await start_bot(rate_limit=rate_limit)
    private = [3000 + n for n in range(12 if rate_limit else 24)]
    groups = [-3000 - n for n in range(3 if rate_limit else 6)]
    for chat in private:
        api.private_chat(chat)
    for chat in groups:
        api.group_chat(chat, f"Group {chat}")
    if not rate_limit:  # PTB gives up on the answer after 5 s; the fake delivers it at 5.5 s
        api.stall_next("sendMessage", seconds=5.5)
    for code in (429, 500, 502):  # each kind at least once, then more at random
        api.fail_next("sendMessage", error_code=code)
    api.drop_next("sendMessage", processed=False)
    api.drop_next("sendMessage", processed=True)
    api.drop_next("getUpdates", processed=True)  # the batch is lost on the way: fetched again
    api.set_fault_rate("sendMessage", rate=0.15, seed=3,
                       kinds=("429", "500", "502", "drop", "drop-processed"))
    api.set_fault_rate("sendChatAction", rate=0.15, seed=4,
                       kinds=("429", "500", "502", "drop", "drop-processed"))
    api.set_fault_rate("getUpdates", rate=0.05, seed=5,
                       kinds=("429", "500", "502", "drop", "drop-processed"))
    asked: list[Key] = []
    for question in QUESTIONS[: 2 if rate_limit else 6]:  # interleaved across chats
        asked += [(chat, api.send_user_message(chat, question)) for chat in private]
        asked += [(chat, api.send_user_message(chat, f"/ask {question}")) for chat in groups]
    await api.wait_until(lambda: settled(api, asked), timeout=60, what="every question settled")
    await asyncio.sleep(0.3)

    answered = Counter((m.chat_id, m.reply_to_message_id or 0) for m in api.sent_messages)
    attempts = sends(api)
    assert set(attempts) == set(asked)  # every question reached the bot despite getUpdates faults
    assert set(answered.values()) == {1}  # no answer twice
    lost = set(asked) - set(answered)
    assert all(attempts[key][-1].description == DROPPED_UNSEEN for key in lost)
    for chat in private + groups:  # each chat's answers in the order of its questions
        replied = [m.reply_to_message_id for m in api.messages_in(chat)]
        assert replied == sorted(replied)
    descriptions = Counter(e.description or str(e.status) for e in api.log
                           if e.method == "sendMessage")
    statuses = {e.status for e in api.log if e.method == "sendMessage"}
    assert {429, 500, 502} <= statuses
    assert descriptions[DROPPED_UNSEEN]
    assert descriptions[DROPPED_UNSEEN + " after acting"]
    assert 0 in {e.status for e in api.log if e.method == "getUpdates"}
    if not rate_limit:  # the answer that timed out was delivered late and not sent again
        [late] = [e for e in api.log if e.method == "sendMessage" and e.status == 200
                  and (e.answered_at or 0) - e.time >= 5.4]
        assert attempts[key_of(late)] == [late]

    api.faults.clear()
    assert app.running
    assert app.updater.running
    api.private_chat(42)
    after = api.send_user_message(42, QUESTIONS[0])
    await api.wait_until(lambda: any(m.reply_to_message_id == after for m in api.messages_in(42)))
    ours = [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= logging.ERROR]
    assert not ours, [r.getMessage() for r in ours]

