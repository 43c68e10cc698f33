"""/stats and its CSV end to end: the real Application, the fake Bot API, the question log's
real SQLite file; and `python -m bot stats` reading the same file."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, SentMessage, validate_telegram_html
from helpers import cli_env
from test_feedback import USER, callback_data, flushed, press

from bot import stats
from bot.question_csv import CSV_COLUMNS
from bot.telegram_bot.app import ADMIN_COMMANDS
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.stats_command import IN_PRIVATE, NOT_ADMIN, report_html

ADMIN = 42
ASKED = [  # (who, question): near-duplicates among them
    (USER, "Why was Blinken's visit postponed?"),
    (USER + 1, "why was the visit postponed"),
    (USER, "What is the recipe for banana bread?"),
    (USER + 1, "what's the recipe for Banana Bread"),
    (USER + 2, "Recipe for banana bread?"),
    (USER + 2, "How tall is the Eiffel Tower?"),
]


@pytest.fixture
async def asked(api: FakeBotApi, start_bot: Any) -> Any:
    """A bot whose log holds ASKED, with a 👎 on the first answer and a 👍 on the second."""
    app = await start_bot(admin_ids=frozenset({ADMIN}))
    api.private_chat(ADMIN, "Ada")
    for user in {user for user, _ in ASKED}:
        api.private_chat(user)
    for user, question in ASKED:
        api.send_user_message(user, question)
    sent = await api.wait_for_messages(len(ASKED))
    await flushed(app, questions=len(ASKED))
    first, second = (next(m for m in sent if (m.chat_id, m.reply_to_message_id)
                          == _asked_id(api, question)) for _, question in ASKED[:2])
    await press(api, first, callback_data(first)[1], user=USER)
    await press(api, second, callback_data(second)[0], user=USER + 1)
    return app


def _asked_id(api: FakeBotApi, question: str) -> tuple[int, int]:
    """(chat, message id) of the message that asked `question`."""
    return next((e.params["message"]["chat"]["id"], e.params["message"]["message_id"])
                for e in api.log
                if e.kind == "update" and e.params.get("message", {}).get("text") == question)


def row(report: str, name: str) -> list[str]:
    """The values of a row of the report's table ("": its head, the periods)."""
    lines = report.split("\n")
    if not name:
        return lines[lines.index(next(x for x in lines if x.startswith("asked"))) - 1].split()
    line = next(x for x in lines if x.startswith(name + " "))
    return line[len(name):].split()


async def stats_reply(api: FakeBotApi, text: str = "/stats", chat: int = ADMIN,
                      user: int | None = None) -> SentMessage:
    before = len(api.sent_messages)
    api.send_user_message(chat, text, from_user=user)
    return (await api.wait_for_messages(before + 1))[before]


async def test_stats_counts_groups_near_duplicates_and_lists_the_disliked(
    api: FakeBotApi, asked: Any
) -> None:
    report = await stats_reply(api)
    text = report.text
    assert "6 questions in the log" in text
    assert row(text, "") == ["24", "hours", "7", "days"]
    assert row(text, "asked") == ["6", "6"]
    assert row(text, "answered") == ["2", "2"]
    assert row(text, "refused") == ["4", "4"]
    assert row(text, "  not in the articles") == ["4", "4"]
    assert row(text, "👍") == row(text, "👎") == ["1", "1"]
    assert row(text, "people") == ["3", "3"]
    refused = text[text.index("Most frequent refused"):text.index("Answers with")]
    # Three wordings of one question, counted together; the tower once.
    assert "banana bread" in refused.split("\n")[1]
    assert "×3 (3 people)" in refused
    assert "Eiffel Tower" in refused.split("\n")[2]
    assert "×1" in refused.split("\n")[2]
    disliked = text[text.index("Answers with"):]
    assert "Blinken's visit postponed" in disliked
    assert "👎 1" in disliked
    assert "paragraph" in disliked  # the passage the answer quoted
    assert "<pre>" in report.raw_text  # the counts in a fixed-width table
    assert report.reply_markup == {"inline_keyboard": [[{
        "text": "📄 CSV of the last 7 days", "callback_data": "st:csv:7"}]]}


async def test_stats_csv_sends_one_row_per_question_without_user_ids(
    api: FakeBotApi, asked: Any
) -> None:
    api.send_user_message(ADMIN, "/stats csv")
    [document] = await api.wait_for_documents(1)
    assert document.chat_id == ADMIN
    assert document.file_name.startswith("questions-")
    assert document.file_name.endswith(".csv")
    assert document.caption == "6 questions, every question kept."
    text = document.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert sorted(r["question"] for r in rows) == sorted(q for _, q in ASKED)
    first = next(r for r in rows if r["question"] == ASKED[0][1])
    assert (first["outcome"], first["reason"], first["down"], first["up"]) == \
        ("answered", "answered", "1", "0")
    assert first["passages"].startswith("000_29f201e5e6a39567#")
    assert "paragraph" in first["quoted"]
    assert 0 < float(first["score"]) <= 1
    refused = [r for r in rows if r["outcome"] == "refused"]
    assert len(refused) == 4
    assert {r["reason"] for r in refused} == {"not_covered"}
    assert all(r["passages"] == "" and r["score"] for r in refused)
    assert len({r["asker"] for r in rows}) == 3
    for user in {user for user, _ in ASKED}:
        assert str(user) not in text


async def test_the_csv_button_sends_the_report_s_period(api: FakeBotApi, asked: Any) -> None:
    report = await stats_reply(api)
    query_id = api.press_button(ADMIN, report.message_id, "st:csv:7", from_user=ADMIN)
    [document] = await api.wait_for_documents(1)
    assert document.caption == "6 questions, the last 7 days."
    assert query_id not in api.open_callbacks


async def test_non_admins_get_no_report_no_csv_and_no_button(
    api: FakeBotApi, asked: Any
) -> None:
    assert (await stats_reply(api, "/stats", chat=USER)).text == NOT_ADMIN
    assert (await stats_reply(api, "/stats csv", chat=USER)).text == NOT_ADMIN
    api.group_chat(-100, "Readers")
    assert (await stats_reply(api, "/stats@ThisBot", chat=-100, user=USER)).text == NOT_ADMIN
    # An admin in a group is sent to a private chat: everyone there would read the report.
    assert (await stats_reply(api, "/stats", chat=-100, user=ADMIN)).text == IN_PRIVATE
    # A press that did not come from an admin, on the admin's own report (as a client that
    # forges presses could send it): refused, and answered.
    report = await stats_reply(api)
    query_id = api.press_button(ADMIN, report.message_id, "st:csv:7", from_user=USER)
    await api.wait_until(lambda: query_id not in api.open_callbacks, what="the press answered")
    assert api.callback_answers[-1]["text"] == NOT_ADMIN
    assert api.callback_answers[-1]["show_alert"] in (True, "true")
    assert not api.sent_documents


async def test_stats_takes_a_number_of_days_and_explains_bad_arguments(
    api: FakeBotApi, asked: Any
) -> None:
    report = await stats_reply(api, "/stats 30")
    assert "last 30 days" in report.text
    assert row(report.text, "") == ["24", "hours", "7", "days", "30", "days"]
    usage = await stats_reply(api, "/stats everything")
    assert "Usage" in usage.text
    assert "/stats csv 7" in usage.text


async def test_stats_without_a_state_folder_says_nothing_is_recorded(
    api: FakeBotApi, start_bot: Any
) -> None:
    await start_bot(admin_ids=frozenset({ADMIN}), state_dir="")
    api.private_chat(ADMIN)
    assert "Nothing is recorded: BOT_STATE_DIR is blank" in (await stats_reply(api)).text
    assert "BOT_STATE_DIR is blank" in (await stats_reply(api, "/stats csv")).text
    assert not api.sent_documents


async def test_stats_is_in_the_admins_menu_only(api: FakeBotApi, start_bot: Any) -> None:
    await start_bot(admin_ids=frozenset({ADMIN}))
    await api.wait_for_calls("setMyCommands", 2)
    assert "stats" in [c.command for c in ADMIN_COMMANDS]
    admin_menu = api.my_commands({"type": "chat", "chat_id": ADMIN})
    assert "stats" in [c["command"] for c in admin_menu]
    assert "stats" not in [c["command"] for c in api.my_commands()]


async def test_the_terminal_report_reads_the_same_log(
    api: FakeBotApi, asked: Any, tmp_path: Path
) -> None:
    state = runtime_of(asked.bot_data).settings.state_dir
    env = cli_env(tmp_path / "cache", BOT_STATE_DIR=str(state))
    shown = (await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "stats"], capture_output=True, text=True,
        env=env, timeout=60, check=True)).stdout
    telegram = (await stats_reply(api)).text
    # The same report: the Telegram one is the terminal's, with a bold heading.
    assert shown.split() == telegram.split()
    as_csv = (await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "stats", "--csv"], capture_output=True,
        text=True, env=env, timeout=60, check=True)).stdout
    api.send_user_message(ADMIN, "/stats csv")
    [document] = await api.wait_for_documents(1)
    assert as_csv.splitlines() == document.content.decode("utf-8-sig").splitlines()


def test_a_report_of_long_questions_fits_one_message() -> None:
    counts = stats.Counts("7 days", 40, 20, (("not_covered", 20),), 3, 9, 30)
    long = "Why <did> the " + "very " * 40 + "long question & its answer differ?"
    report = stats.Report(
        now=0.0, days=7, periods=(counts,), kept=40, oldest=0.0,
        refused=tuple(stats.Refused(f"{n} {long}", 10 - n, 3, 1, "not_covered")
                      for n in range(10)),
        disliked=tuple(stats.Disliked(f"{n} {long}", 5, 1, 2, ("A title, paragraph 3",) * 3)
                       for n in range(10)))
    html = report_html(report)
    shown = validate_telegram_html(html)  # valid Telegram HTML, within 4,096 characters
    assert "&lt;did&gt;" in html
    assert shown.endswith("More in the CSV file.")
    assert "1. “0 Why <did>" in shown  # the first of each list kept, the last ones left out
    assert shown.count("long question") < 20
