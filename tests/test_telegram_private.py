"""Private chats, end to end: the real Application polling the fake Bot API over HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN
from fake_bot_api import FakeBotApi
from fakebotapi.world import entities_for
from telegram import Update

from bot.render import render_html
from bot.serving import KnowledgeService
from bot.settings import load_settings
from bot.telegram_bot.runtime import runtime_of
from bot.terminal import chat

SPY = "What was the spy balloon incident?"


def expected_html(app: Any, question: str, context: tuple[str, ...] = ()) -> list[str]:
    """What the core renders for this question: the oracle for the adapter's plumbing."""
    return render_html(runtime_of(app.bot_data).service.ask(question, context))


async def test_a_question_gets_a_quoted_html_reply_after_typing(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42, "Ann")
    question_id = api.send_user_message(42, SPY)
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == question_id
    assert answer.parse_mode == "HTML"
    assert answer.raw_text.startswith("<blockquote>")
    assert "balloon" in answer.text
    assert answer.raw_text == expected_html(bot, SPY)[0]
    [typing] = api.chat_actions
    assert (typing.chat_id, typing.action) == (42, "typing")
    assert typing.time < answer.time


async def test_follow_up_is_read_with_the_previous_question(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    api.send_user_message(42, SPY)
    await api.wait_for_messages(1)
    api.send_user_message(42, "Where was it intercepted?")
    api.send_user_message(42, "What is the recipe for banana bread?")
    _, follow_up, off_topic = await api.wait_for_messages(3)
    assert "<blockquote>" in follow_up.raw_text
    assert "interception" in follow_up.text
    assert follow_up.raw_text == expected_html(bot, "Where was it intercepted?", (SPY,))[0]
    assert "<blockquote" not in off_topic.raw_text  # refused, with what it can answer instead
    assert "doesn't" in off_topic.text


async def test_conversation_matches_the_terminal_chat(api: FakeBotApi, bot: Any) -> None:
    questions = [SPY, "When was it?", "Who will Blinken meet?", "What about fentanyl?",
                 "What is the recipe for banana bread?", "Why?"]
    out = io.StringIO()
    chat(runtime_of(bot.bot_data).service, True, io.StringIO("\n".join(questions) + "\n"), out)
    terminal = [json.loads(line) for line in out.getvalue().splitlines()]
    api.private_chat(42)
    for question in questions:
        api.send_user_message(42, question)
    sent = await api.wait_for_messages(len(questions))
    assert len(sent) == len(questions)  # every answer fits one message here
    for answer, reference in zip(sent, terminal, strict=True):
        assert ("<blockquote>" in answer.raw_text) == reference["answered"], reference
        for citation in reference["citations"]:
            assert " ".join(citation["quote"].split()) in answer.text


async def test_context_changes_the_answer_and_expires(
    api: FakeBotApi, start_bot: Any
) -> None:
    app = await start_bot(context_ttl=0.5)
    with_context = expected_html(app, "When was it?", (SPY,))
    assert with_context != expected_html(app, "When was it?"), "pick a follow-up that needs context"
    api.private_chat(42)
    api.send_user_message(42, SPY)
    await api.wait_for_messages(1)
    api.send_user_message(42, "When was it?")
    assert (await api.wait_for_messages(2))[1].raw_text == with_context[0]
    await asyncio.sleep(0.7)  # longer than context_ttl: the next question starts afresh
    api.send_user_message(42, "When was it?")
    assert (await api.wait_for_messages(3))[2].raw_text == expected_html(app, "When was it?")[0]


async def test_start_greets_with_examples_the_bot_answers(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42, "Ann")
    api.send_user_message(42, "/start")
    [welcome] = await api.wait_for_messages(1)
    assert welcome.text.startswith("Hello, Ann!")
    examples = [line[2:] for line in welcome.text.splitlines() if line.startswith("• ")]
    assert 3 <= len(examples) <= 4
    service = runtime_of(bot.bot_data).service
    assert all(service.ask(example).answered for example in examples)


async def test_start_examples_come_from_the_knowledge_base(
    api: FakeBotApi, start_bot: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "volcanoes"
    folder.mkdir()
    (folder / "iceland.md").write_text(
        "---\ntitle: Volcanoes of Iceland\n---\n\n## Magma chambers\n\nBasalt magma collects in "
        "shallow chambers under the Reykjanes peninsula before an eruption.\n\n## Eruption "
        "warnings\n\nSwarms of small earthquakes warn of an eruption days in advance.\n\n## Lava "
        "fields\n\nFresh lava fields cover the roads near Grindavik after each eruption.\n")
    app = await start_bot(knowledge_dir=folder)
    api.private_chat(42)
    api.send_user_message(42, "/start")
    [welcome] = await api.wait_for_messages(1)
    assert "Volcanoes of Iceland" in welcome.text
    assert "Blinken" not in welcome.text
    examples = [line[2:] for line in welcome.text.splitlines() if line.startswith("• ")]
    assert len(examples) >= 2
    service = runtime_of(app.bot_data).service
    # Each about something the article names, and answered by quoting it.
    for example in examples:
        answer = service.ask(example)
        assert answer.answered, example
        named = example.removeprefix("What does the article say about ").rstrip("?")
        assert named.removeprefix("the ").casefold() in answer.citations[0].quote.casefold()


async def test_help_explains_private_groups_and_admins(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    api.send_user_message(42, "/help")
    [help_message] = await api.wait_for_messages(1)
    for words in ("/ask", "@ThisBot", "reply", "topic", "/reload", "anonymous"):
        assert words.lower() in help_message.text.lower()


@pytest.mark.parametrize("command", ["/id", "/whoami"])
async def test_id_tells_the_user_their_id_and_the_chats(
    api: FakeBotApi, bot: Any, command: str
) -> None:
    api.private_chat(123456789, "Ann")
    api.send_user_message(123456789, command)
    [reply] = await api.wait_for_messages(1)
    assert "Your user id: 123456789" in reply.text
    assert "This chat's id: 123456789" in reply.text
    assert "BOT_ADMIN_IDS" in reply.text
    assert "<code>123456789</code>" in reply.raw_text  # tap to copy in Telegram


async def test_unknown_command_gets_a_short_hint(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    api.send_user_message(42, "/frobnicate now")
    [hint] = await api.wait_for_messages(1)
    assert "/help" in hint.text
    assert len(hint.text) < 120


async def test_ask_command_and_mention_work_in_private_too(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    api.send_user_message(42, f"/ask {SPY}")
    api.send_user_message(42, f"@ThisBot {SPY}")
    api.send_user_message(42, "/ask")
    first, second, usage = await api.wait_for_messages(3)
    assert first.raw_text == second.raw_text == expected_html(bot, SPY)[0]
    assert "/ask" in usage.text
    assert "\n" not in usage.text


STICKER = {"sticker": {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512,
                       "height": 512, "is_animated": False, "is_video": False}}
PHOTO = {"photo": [{"file_id": "p1", "file_unique_id": "q1", "width": 90, "height": 90}]}
VOICE = {"voice": {"file_id": "v1", "file_unique_id": "w1", "duration": 3}}


@pytest.mark.parametrize("extra", [STICKER, PHOTO, VOICE])
async def test_a_message_without_text_gets_a_hint_and_no_error(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture, extra: dict[str, Any]
) -> None:
    api.private_chat(42)
    media_id = api.send_user_message(42, extra=extra)
    question_id = api.send_user_message(42, SPY)
    hint, answer = await api.wait_for_messages(2)
    # Updates of one chat are handled in order: the hint, then the answer.
    assert hint.reply_to_message_id == media_id
    assert "only read text" in hint.text
    assert "<blockquote" not in hint.raw_text
    assert answer.reply_to_message_id == question_id
    assert len(api.chat_actions) == 1  # a hint is not an answer: no "typing"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_photo_s_caption_is_the_question(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    caption = f"@ThisBot {SPY}"
    photo_id = api.send_user_message(42, extra=PHOTO | {
        "caption": caption, "caption_entities": entities_for(caption)})
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == photo_id
    assert answer.raw_text == expected_html(bot, SPY)[0]  # the mention is not part of it


async def test_edited_messages_are_not_answered(api: FakeBotApi, start_bot: Any) -> None:
    await start_bot(allowed_updates=Update.ALL_TYPES)  # so that edits reach the handlers at all
    api.private_chat(42)
    first = api.send_user_message(42, SPY)
    await api.wait_for_messages(1)
    api.edit_user_message(42, first, "Where was it intercepted?")
    question_id = api.send_user_message(42, "Who will Blinken meet?")
    sent = await api.wait_for_messages(2)
    assert [m.reply_to_message_id for m in sent] == [first, question_id]


async def test_long_answers_are_split_into_valid_messages(
    api: FakeBotApi, start_bot: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    paragraphs = [
        " ".join(f"Survey {p}.{i}: the glacier observatory measured the ice flow at station {i} "
                 "of the northern ridge & logged <readings>." for i in range(24))
        for p in range(3)
    ]
    (folder / "glaciers.md").write_text("# Glacier survey\n\n" + "\n\n".join(paragraphs) + "\n")
    app = await start_bot(knowledge_dir=folder, max_quote_chars=3000)
    expected = expected_html(app, "What did the glacier observatory measure?")
    assert len(expected) >= 2, "the answer must exceed one message for this test"
    api.private_chat(42)
    question_id = api.send_user_message(42, "What did the glacier observatory measure?")
    sent = await api.wait_for_messages(len(expected))
    await asyncio.sleep(0.3)  # time for a wrongly sent extra message to arrive
    assert [m.raw_text for m in api.sent_messages] == expected
    assert all(len(m.text) <= 4096 for m in sent)
    assert sent[0].reply_to_message_id == question_id
    assert not [e for e in api.log if e.method == "sendMessage" and e.status != 200]
    assert "&lt;readings&gt;" in sent[0].raw_text
    assert "<readings>" in sent[0].text


async def test_token_never_appears_in_logs(
    api: FakeBotApi, start_bot: Any, caplog: pytest.LogCaptureFixture, knowledge_dir: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    await start_bot(admin_ids=frozenset({42, 77}), rate_limit=True)
    api.private_chat(42)
    api.fail_next("sendMessage", error_code=500)
    api.send_user_message(42, SPY)
    await api.wait_for_messages(1)
    api.drop_next("sendMessage")
    api.send_user_message(42, "Who will Blinken meet?")
    (knowledge_dir / "broken.txt").write_bytes(b"\x00\x01")
    api.send_user_message(42, "/reload")
    await api.wait_for_messages(2)
    assert "Reload failed" in api.sent_messages[-1].text
    assert caplog.records
    assert any("retrying" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in str(record.exc_info or "")
        assert TOKEN not in (record.exc_text or "")
    assert TOKEN not in caplog.text




async def test_tell_me_more_shows_what_the_answer_did_not(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    api.send_user_message(42, SPY)
    [first] = await api.wait_for_messages(1)
    api.send_user_message(42, "tell me more")
    more = (await api.wait_for_messages(2))[1]
    assert "<blockquote>" in more.raw_text
    assert more.raw_text == expected_html(bot, "tell me more", (SPY,))[0]
    assert more.text != first.text  # not the same passage again


def test_examples_are_worked_out_once_per_index(knowledge_dir: Any) -> None:
    service = KnowledgeService.from_settings(
        load_settings(_env_file=None, knowledge_dir=knowledge_dir, cache_dir=None))
    first = service.guide()
    assert first.examples
    assert service.guide() is first
    service.reload()
    again = service.guide()
    assert again is not first
    assert again == first  # same folder, same examples
