"""👍/👎 under answers, end to end: the real Application, the fake Bot API, the question log's
real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, SentMessage
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.question_log import QuestionLog
from bot.question_store import DAY, FILE_NAME, SALT_NAME, QuestionStore
from bot.render import render_html
from bot.telegram_bot import feedback
from bot.telegram_bot.feedback import FORGOTTEN, NOT_KEPT, STALE, question_log_of
from bot.telegram_bot.runtime import runtime_of

SPY = "What was the spy balloon incident?"
OFF_TOPIC = "What is the recipe for banana bread?"
USER = 987_654_321  # an id that cannot turn up in a file by chance


class Clock:
    """A clock the test moves: what the question log stamps and purges by."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def database(app: Any) -> Iterator[sqlite3.Connection]:
    settings = runtime_of(app.bot_data).settings
    db = sqlite3.connect(settings.state_dir / FILE_NAME)
    try:
        yield db
    finally:
        db.close()


async def stored(app: Any, sql: str = "SELECT 1", params: tuple[Any, ...] = ()) -> None:
    """Until the question log has written what it was handed and `sql`'s first value is true.
    (An answer is handed to the log once Telegram has taken it: a moment after the fake Bot API
    shows it sent.)"""
    question_log = question_log_of(app.bot_data)
    assert question_log is not None
    deadline = time.monotonic() + 10
    while True:
        await asyncio.wait_for(asyncio.wrap_future(question_log.flushed()), 10)
        with database(app) as db:
            row = db.execute(sql, params).fetchone()
        if row and row[0]:
            return
        assert time.monotonic() < deadline, f"never stored: {sql} {params}"
        await asyncio.sleep(0.02)


async def flushed(app: Any, questions: int = 0) -> None:
    """Until the log has written what it was handed and holds `questions` questions."""
    await stored(app, "SELECT COUNT(*) >= ? FROM questions", (questions,))


def walk(folder: Path) -> list[Path]:
    """Every file under `folder`."""
    return [Path(root, name) for root, _, names in os.walk(folder) for name in names]


def callback_data(message: SentMessage) -> list[str]:
    assert message.reply_markup is not None, "no buttons under this message"
    return [b["callback_data"] for row in message.reply_markup["inline_keyboard"] for b in row]


def button_texts(api: FakeBotApi, chat_id: int, message_id: int) -> list[str]:
    stored = api.message(chat_id, message_id) or {}
    rows = (stored.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def press(api: FakeBotApi, message: SentMessage, data: str, user: int = USER) -> str:
    """Press a button and wait for the bot's answer to the press; return the answer's text."""
    query_id = api.press_button(message.chat_id, message.message_id, data, from_user=user)
    await api.wait_until(lambda: query_id not in api.open_callbacks, what="the press answered")
    [answer] = [a for a in api.callback_answers if a["callback_query_id"] == query_id]
    return str(answer.get("text") or "")


@pytest.fixture
async def answered(api: FakeBotApi, bot: Any) -> SentMessage:
    api.private_chat(USER, "Ann")
    api.send_user_message(USER, SPY)
    [answer] = await api.wait_for_messages(1)
    return answer


async def test_an_answer_carries_thumbs_within_64_bytes(answered: SentMessage) -> None:
    up, down = callback_data(answered)
    assert up.startswith("fb:+:")
    assert down.startswith("fb:-:")
    assert up[5:] == down[5:]  # one answer, one id
    assert all(len(data.encode()) <= 64 for data in (up, down))
    assert [b["text"] for b in answered.reply_markup["inline_keyboard"][0]] == ["👍", "👎"]


async def test_a_split_answer_has_buttons_on_its_last_part_only(
    api: FakeBotApi, start_bot: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    paragraphs = [" ".join(f"Survey {p}.{i}: the glacier observatory measured the ice flow at "
                           f"station {i} of the northern ridge." for i in range(24))
                  for p in range(3)]
    (folder / "glaciers.md").write_text("# Glacier survey\n\n" + "\n\n".join(paragraphs) + "\n")
    app = await start_bot(knowledge_dir=folder, max_quote_chars=3000)
    question = "What did the glacier observatory measure?"
    expected = render_html(runtime_of(app.bot_data).service.ask(question))
    assert len(expected) >= 2, "the answer must exceed one message for this test"
    api.private_chat(USER)
    api.send_user_message(USER, question)
    sent = await api.wait_for_messages(len(expected))
    await asyncio.sleep(0.3)  # time for a wrongly sent extra message to arrive
    assert [m.raw_text for m in api.sent_messages] == expected
    assert [m.reply_markup is not None for m in sent] == [False] * (len(sent) - 1) + [True]
    assert "Thanks" in await press(api, sent[-1], callback_data(sent[-1])[0])


async def test_a_vote_is_recorded_with_the_question_and_passages(
    api: FakeBotApi, bot: Any, answered: SentMessage
) -> None:
    down = callback_data(answered)[1]
    assert "admins will see" in await press(api, answered, down)
    await flushed(bot)
    with database(bot) as db:
        question, reason, vote = db.execute(
            "SELECT q.question, q.reason, v.vote FROM questions q "
            "JOIN votes v ON v.question = q.id").fetchone()
        passages = db.execute("SELECT passage, paragraph FROM citations").fetchall()
    assert (question, reason, vote) == (SPY, "answered", -1)
    assert passages
    assert all(p.endswith(f"#{n}") for p, n in passages)
    # The voter sees their choice: the pressed button is ticked, in place.
    await api.wait_until(lambda: "👎 ✓" in button_texts(api, USER, answered.message_id))
    assert button_texts(api, USER, answered.message_id) == ["👍", "👎 ✓"]


async def test_a_second_press_changes_the_vote_rather_than_counting_twice(
    api: FakeBotApi, bot: Any, answered: SentMessage
) -> None:
    up, down = callback_data(answered)
    assert "Glad" in await press(api, answered, up)
    assert await press(api, answered, down) == "Changed to 👎. Thanks!"
    assert await press(api, answered, down) == "You rated it 👎 already."
    await flushed(bot)
    with database(bot) as db:
        assert db.execute("SELECT vote FROM votes").fetchall() == [(-1,)]


async def test_every_press_is_answered_once(
    api: FakeBotApi, bot: Any, answered: SentMessage
) -> None:
    up, down = callback_data(answered)
    for data in (up, down, up, up, down):
        await press(api, answered, data)
    # A button of some older version of the bot, whose data this one does not read.
    old = await bot.bot.send_message(USER, "an old answer", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("👍", callback_data="fb:?:whatever")]]))
    query_id = api.press_button(USER, old.message_id, "fb:?:whatever")
    await api.wait_until(lambda: query_id not in api.open_callbacks, what="the press answered")
    assert api.callback_answers[-1]["text"] == STALE
    calls = [c["callback_query_id"] for c in api.calls_of("answerCallbackQuery")]
    assert len(calls) == len(set(calls)) == 6  # each press answered, none twice
    assert not api.open_callbacks


async def test_a_press_on_an_answer_past_retention_is_thanked_and_disarmed(
    api: FakeBotApi, start_bot: Any, make_settings: Any
) -> None:
    clock = Clock()
    state = make_settings().state_dir
    app = await start_bot(build={"question_log": QuestionLog(QuestionStore(state, 30),
                                                             clock=clock)})
    api.private_chat(USER)
    api.send_user_message(USER, SPY)
    [old] = await api.wait_for_messages(1)
    await flushed(app, questions=1)
    clock.now += 31 * DAY  # the daily clean-up runs with the next thing written
    api.send_user_message(USER, OFF_TOPIC)
    await api.wait_for_messages(2)
    await stored(app, "SELECT COUNT(*) FROM questions WHERE question = ?", (OFF_TOPIC,))
    with database(app) as db:
        assert db.execute("SELECT question FROM questions").fetchall() == [(OFF_TOPIC,)]
        assert db.execute("SELECT COUNT(*) FROM citations").fetchone() == (0,)
    assert await press(api, old, callback_data(old)[0]) == FORGOTTEN
    await api.wait_until(lambda: not button_texts(api, USER, old.message_id),
                         what="the old answer's buttons removed")


async def test_refusals_carry_buttons_and_hints_do_not(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(USER)
    api.send_user_message(USER, "???")
    api.send_user_message(USER, OFF_TOPIC)
    hint, refusal = await api.wait_for_messages(2)
    assert "Ask me a question" in hint.text
    assert "doesn't answer" in refusal.text
    assert refusal.reply_markup is not None  # a 👎 here: the knowledge base should answer it
    assert hint.reply_markup is None
    assert "Thanks" in await press(api, refusal, callback_data(refusal)[1])
    await flushed(bot)
    with database(bot) as db:
        rows = db.execute("SELECT question, answered, reason FROM questions "
                          "ORDER BY id").fetchall()
    assert rows == [("???", 0, "empty"), (OFF_TOPIC, 0, "not_covered")]


async def test_groups_get_no_buttons_unless_asked_for(api: FakeBotApi, start_bot: Any) -> None:
    api.group_chat(-100, "Readers")
    app = await start_bot()
    api.send_user_message(-100, f"/ask {SPY}", from_user=USER)
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_markup is None
    await flushed(app, questions=1)
    with database(app) as db:  # recorded all the same
        assert db.execute("SELECT chat, question FROM questions").fetchall() == [("group", SPY)]


async def test_with_buttons_everywhere_each_group_member_votes_once(
    api: FakeBotApi, start_bot: Any
) -> None:
    api.group_chat(-100, "Readers")
    app = await start_bot(feedback="everywhere")
    api.send_user_message(-100, f"/ask {SPY}", from_user=USER)
    [answer] = await api.wait_for_messages(1)
    up, down = callback_data(answered := answer)
    await press(api, answered, up, user=USER)
    await press(api, answered, up, user=555)
    assert await press(api, answered, down, user=555) == "Changed to 👎. Thanks!"
    await flushed(app)
    with database(app) as db:
        assert sorted(db.execute("SELECT vote FROM votes").fetchall()) == [(-1,), (1,)]
    # The keyboard is everyone's: it is not ticked for one of them.
    assert button_texts(api, -100, answered.message_id) == ["👍", "👎"]


async def test_feedback_off_sends_no_buttons(api: FakeBotApi, start_bot: Any) -> None:
    await start_bot(feedback="off")
    api.private_chat(USER)
    api.send_user_message(USER, SPY)
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_markup is None


async def test_without_a_state_folder_nothing_is_stored_and_no_buttons_shown(
    api: FakeBotApi, start_bot: Any, tmp_path: Path
) -> None:
    app = await start_bot(state_dir="")
    api.private_chat(USER)
    api.send_user_message(USER, SPY)
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_markup is None
    # A button under an answer from the days the bot kept a log still gets its thanks.
    old = await app.bot.send_message(USER, "an old answer", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("👍", callback_data="fb:+:AAAAAAAAAAAA")]]))
    query_id = api.press_button(USER, old.message_id, "fb:+:AAAAAAAAAAAA")
    await api.wait_until(lambda: query_id not in api.open_callbacks, what="the press answered")
    assert api.callback_answers[-1]["text"] == NOT_KEPT
    assert not [p for p in walk(tmp_path) if p.name in (FILE_NAME, SALT_NAME)]


async def test_a_retention_of_zero_stores_nothing_and_deletes_an_old_log(
    api: FakeBotApi, start_bot: Any, make_settings: Any
) -> None:
    state = make_settings().state_dir
    store = QuestionStore(state, 30)
    store.open()
    store.close()
    assert (state / FILE_NAME).exists()
    await start_bot(retention_days=0)
    assert not (state / FILE_NAME).exists()
    assert not (state / SALT_NAME).exists()
    api.private_chat(USER)
    api.send_user_message(USER, SPY)
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_markup is None
    assert not (state / FILE_NAME).exists()


async def test_user_ids_are_stored_only_as_salted_hashes(
    api: FakeBotApi, bot: Any, answered: SentMessage
) -> None:
    await press(api, answered, callback_data(answered)[0])
    api.group_chat(-1_001_234_567_890, "Readers")
    api.send_user_message(-1_001_234_567_890, f"/ask {SPY}", from_user=USER)
    await api.wait_for_messages(2)
    await flushed(bot, questions=2)
    state = runtime_of(bot.bot_data).settings.state_dir
    with database(bot) as db:
        askers = {a for (a,) in db.execute("SELECT asker FROM questions")}
        voters = {v for (v,) in db.execute("SELECT voter FROM votes")}
    assert len(askers) == 1
    assert askers == voters
    [asker] = askers
    assert len(asker) == 32
    assert str(USER) not in asker
    for path in state.iterdir():  # the file and its write-ahead log: no id, no chat id
        if path.name.startswith(FILE_NAME):
            content = path.read_bytes()
            assert str(USER).encode() not in content, path
            assert USER.to_bytes(4, "big") not in content, path
            assert b"1001234567890" not in content, path
    if os.name == "posix":
        for name in (FILE_NAME, SALT_NAME):
            assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name


class SlowStore(QuestionStore):
    """The question log on a disk that takes a second for every write."""

    def write(self, items: Any) -> Any:
        time.sleep(1.0)
        return super().write(items)


async def test_a_slow_disk_does_not_delay_answers(
    api: FakeBotApi, start_bot: Any, make_settings: Any
) -> None:
    """Each write of the log takes a second; ten answers in a row must not wait for them."""
    state = make_settings().state_dir
    app = await start_bot(build={"question_log": QuestionLog(SlowStore(state, 30))})
    api.private_chat(USER)
    latencies = []
    for n in range(1, 11):
        asked = time.monotonic()
        api.send_user_message(USER, SPY if n % 2 else OFF_TOPIC)
        await api.wait_for_messages(n)
        latencies.append(time.monotonic() - asked)
    # With the writes on the answer path these ten would take at least 10 s.
    assert sum(latencies) < 5.0, latencies
    await flushed(app, questions=10)  # none was lost meanwhile
    with database(app) as db:
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (10,)


async def test_a_log_that_cannot_be_opened_costs_the_buttons_not_the_answers(
    api: FakeBotApi, start_bot: Any, make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    state = make_settings().state_dir
    state.mkdir(parents=True, exist_ok=True)
    (state / FILE_NAME).write_bytes(b"not a database" * 100)
    await start_bot()
    assert "cannot open the question log" in caplog.text
    api.private_chat(USER)
    api.send_user_message(USER, SPY)
    [answer] = await api.wait_for_messages(1)
    assert "balloon" in answer.text
    assert answer.reply_markup is None
    assert (state / FILE_NAME).read_bytes() == b"not a database" * 100  # left for the admin


async def test_a_press_is_answered_without_waiting_for_a_slow_disk(
    api: FakeBotApi, start_bot: Any, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feedback, "VOTE_WAIT", 0.2)  # a second's write is then "slow"
    state = make_settings().state_dir
    app = await start_bot(build={"question_log": QuestionLog(SlowStore(state, 30))})
    api.private_chat(USER)
    api.send_user_message(USER, SPY)
    [answer] = await api.wait_for_messages(1)
    await flushed(app, questions=1)
    pressed = time.monotonic()
    assert await press(api, answer, callback_data(answer)[0]) == feedback.THANKS_UP
    assert time.monotonic() - pressed < 0.9  # thanked before the vote was written
    await stored(app, "SELECT COUNT(*) FROM votes WHERE vote = 1")  # and written all the same
