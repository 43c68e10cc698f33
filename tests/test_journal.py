"""The update journal: updates are written down before Telegram hears they arrived, marked
handled once answered, recognised when delivered again, and replayed after a crash."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botprocess import SECRET_HEADER, free_port
from conftest import webhook
from fake_bot_api import FakeBotApi

from bot.serving import KnowledgeService
from bot.telegram_bot.app import build_application, journal_path, run
from bot.telegram_bot.journal import JournaledQueue, UpdateJournal

SPY = "What was the spy balloon incident?"
BLINKEN = "Who will Blinken meet?"


async def eventually(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait until `predicate()` holds, checking every 10 ms: for state the fake does not see."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"not true within {seconds}s")
        await asyncio.sleep(0.01)


def handled(journal: UpdateJournal, update_id: int) -> bool | None:
    """True or False for a journaled update, None for an unknown one."""
    row = journal.db.execute("SELECT handled FROM updates WHERE update_id = ?",
                             (update_id,)).fetchone()
    return None if row is None else row[0] is not None


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[UpdateJournal]:
    journal = UpdateJournal(tmp_path / "journal.sqlite3")
    journal.open()
    yield journal
    journal.close()


def test_a_redelivered_update_is_recognised_and_a_reused_id_is_not(
    journal: UpdateJournal,
) -> None:
    assert journal.record(7, '{"update_id": 7, "message": {"text": "a"}}')
    assert not journal.record(7, '{"update_id": 7, "message": {"text": "a"}}')  # delivered again
    journal.mark_handled(7)
    assert not journal.record(7, '{"update_id": 7, "message": {"text": "a"}}')
    # Telegram picks ids afresh after a week without updates: same id, another update.
    assert journal.record(7, '{"update_id": 7, "message": {"text": "b"}}')
    assert handled(journal, 7) is False
    assert handled(journal, 8) is None


def test_only_an_update_whose_handling_dies_three_start_ups_in_a_row_is_given_up(
    journal: UpdateJournal, caplog: pytest.LogCaptureFixture
) -> None:
    """The README's promise: an update is given up only when the process died while handling it,
    three start-ups in a row; updates waiting their turn, or waiting on Telegram, survive any
    number of crashes."""
    for update_id in (3, 1, 2, 4):
        journal.record(update_id, f'{{"update_id": {update_id}}}')
    journal.mark_handled(2)
    for _ in range(10):  # a crash loop: each start-up dies before it gets to the backlog
        assert [i for i, _ in journal.unhandled()] == [1, 3, 4]
    for _ in range(journal.max_attempts):  # each start-up dies while working on update 1...
        assert next(i for i, _ in journal.unhandled()) == 1
        journal.mark_working(1)
        journal.mark_working(3)  # ...while update 3 had been worked on and waits on Telegram
        journal.mark_working(3, working=False)
    assert [i for i, _ in journal.unhandled()] == [3, 4]
    assert handled(journal, 1)
    assert not handled(journal, 3)
    assert "gave up on update 1" in caplog.text
    assert "update 3" not in caplog.text


def test_a_journal_from_before_version_1_counts_its_attempts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # the old journal counted every start-up as an attempt
        db.execute("CREATE TABLE updates (update_id INTEGER PRIMARY KEY, body TEXT NOT NULL, "
                   "received REAL NOT NULL, handled REAL, attempts INTEGER NOT NULL DEFAULT 0)")
        db.execute("INSERT INTO updates VALUES (5, '{}', 0, NULL, 3)")
    journal = UpdateJournal(path)
    journal.open()
    assert journal.unhandled() == [(5, "{}")]
    journal.mark_working(5)  # the column it needs now was added
    journal.close()


def test_pruning_forgets_old_handled_updates_only(tmp_path: Path) -> None:
    journal = UpdateJournal(tmp_path / "j.sqlite3", keep_seconds=0)
    journal.open()
    journal.record(1, "{}")
    journal.record(2, "{}")
    journal.mark_handled(1)
    journal.prune()
    assert handled(journal, 1) is None
    assert handled(journal, 2) is False
    journal.close()
    with sqlite3.connect(tmp_path / "j.sqlite3") as db:  # WAL: a crash loses no commit
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_updates_are_journaled_before_telegram_is_told_they_arrived(
    api: FakeBotApi, bot: Any
) -> None:
    journal: UpdateJournal = bot.update_queue.journal
    still_pending_at_telegram: list[bool] = []
    record = journal.record

    def spy(update_id: int, body: str) -> bool:
        pending = [u["update_id"] for u in api.pending_updates]
        still_pending_at_telegram.append(update_id in pending)
        return record(update_id, body)

    journal.record = spy  # type: ignore[method-assign]
    api.private_chat(42)
    api.send_user_message(42, SPY)
    api.send_user_message(42, BLINKEN)
    ids = [u["update_id"] for u in api.pending_updates]
    await api.wait_for_messages(2)
    await eventually(lambda: all(handled(journal, i) for i in ids))
    assert still_pending_at_telegram == [True, True]


async def test_a_restart_answers_what_the_last_run_left_unhandled_and_nothing_else(
    api: FakeBotApi, make_settings: Any, start_bot: Any
) -> None:
    api.private_chat(42)
    api.send_user_message(42, SPY)
    unanswered = api.send_user_message(42, BLINKEN)
    updates = api.pending_updates
    api.call_method("deleteWebhook", {"drop_pending_updates": True})  # confirmed to Telegram
    path = journal_path(make_settings())
    assert path is not None
    earlier = UpdateJournal(path)  # what a run killed after answering the first left behind
    earlier.open()
    for update in updates:
        earlier.record(update["update_id"], _json(update))
    earlier.mark_handled(updates[0]["update_id"])
    earlier.close()
    app = await start_bot()
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == unanswered
    assert "Xi Jinping" in answer.text
    await asyncio.sleep(0.3)
    assert len(api.sent_messages) == 1
    assert app.update_queue.journal.unhandled() == []


def _json(update: dict[str, Any]) -> str:
    from telegram import Update

    parsed = Update.de_json(update, None)
    assert parsed is not None
    return parsed.to_json()


async def test_answers_go_on_when_the_journal_cannot_be_written(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot.update_queue.journal.close()  # as if the disk had gone away
    api.private_chat(42)
    api.send_user_message(42, SPY)
    [answer] = await api.wait_for_messages(1)
    assert "balloon" in answer.text
    await eventually(lambda: "could not mark update" in caplog.text)
    assert "could not journal update" in caplog.text


def test_a_blank_state_dir_means_no_journal(make_settings: Any) -> None:
    settings = make_settings(state_dir="")
    assert journal_path(settings) is None
    app = build_application(settings, KnowledgeService.from_settings(settings))
    assert not isinstance(app.update_queue, JournaledQueue)


def test_run_refuses_a_state_dir_it_cannot_write(
    make_settings: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be")
    assert run(make_settings(state_dir=blocker)) == 1
    err = capsys.readouterr().err
    assert "Cannot open the update journal" in err
    assert "BOT_STATE_DIR" in err


@pytest.fixture
async def webhook_app(make_settings: Any) -> AsyncIterator[tuple[Any, str, str]]:
    settings = make_settings(webhook_url="https://bot.example.com/hook", listen="127.0.0.1",
                             port=free_port())
    async with webhook(settings) as (app, hook):
        yield app, f"http://127.0.0.1:{settings.port}/hook", hook.secret_token


async def test_a_webhook_answers_200_after_journaling_and_a_retried_update_is_answered_once(
    api: FakeBotApi, webhook_app: tuple[Any, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app, url, secret = webhook_app
    journal: UpdateJournal = app.update_queue.journal
    api.private_chat(42)
    question = api.send_user_message(42, SPY)
    update = api.pending_updates[-1]
    api.stall_next("sendMessage", seconds=0.5)  # the answer is still on its way at the 200
    async with httpx.AsyncClient() as client:
        accepted = await client.post(url, json=update, headers={SECRET_HEADER: secret})
        assert accepted.status_code == 200
        assert handled(journal, update["update_id"]) is False  # journaled, not yet answered
        # Telegram did not get the 200 in time, say, and sends the update again.
        again = await client.post(url, json=update, headers={SECRET_HEADER: secret})
        assert again.status_code == 200
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == question
    await eventually(lambda: handled(journal, update["update_id"]) is True)
    await asyncio.sleep(0.3)
    assert len(api.sent_messages) == 1
    assert "was delivered again" in caplog.text


async def test_an_update_held_back_by_a_full_backlog_is_not_journaled_yet(
    journal: UpdateJournal,
) -> None:
    """Held back, an update is still Telegram's (not confirmed, or its POST not answered): it
    goes into the journal only once there is room for it."""
    from telegram import Update

    def update(update_id: int) -> Update:
        parsed = Update.de_json({"update_id": update_id, "message": {
            "message_id": update_id, "date": 0, "chat": {"id": 1, "type": "private"},
            "text": "x"}}, None)
        assert parsed is not None
        return parsed

    queue = JournaledQueue(journal, limit=1)
    await queue.put(update(1))
    second = asyncio.create_task(queue.put(update(2)))
    await asyncio.sleep(0.05)
    assert handled(journal, 1) is False
    assert handled(journal, 2) is None  # not journaled while it waits
    queue.get_nowait()
    queue.task_done()
    await asyncio.wait_for(second, 1)
    assert handled(journal, 2) is False
