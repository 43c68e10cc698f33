"""Groups and forums, end to end: the bot speaks only when addressed, in the right topic, and
keeps one conversation per chat and topic."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import pytest
from conftest import BOT_ID
from fake_bot_api import FakeBotApi
from fakebotapi.world import entities_for
from telegram import Update
from test_telegram_private import PHOTO, STICKER

from bot.conversation import Conversations
from bot.render import render_html
from bot.telegram_bot.addressing import ANONYMOUS_ADMIN_ID
from bot.telegram_bot.runtime import RUNTIME_KEY, runtime_of

GROUP = -1001
SPY = "What was the spy balloon incident?"


def expected(app: Any, question: str, context: tuple[str, ...] = ()) -> str:
    return render_html(runtime_of(app.bot_data).service.ask(question, context))[0]


@pytest.fixture
def group(api: FakeBotApi) -> int:
    api.group_chat(GROUP, "Readers")
    return GROUP


@pytest.mark.parametrize("text", [f"/ask {SPY}", f"/ask@ThisBot {SPY}", f"/ASK@thisbot   {SPY}"])
async def test_ask_command_is_answered(api: FakeBotApi, bot: Any, group: int, text: str) -> None:
    question_id = api.send_user_message(group, text)
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == question_id
    assert answer.raw_text == expected(bot, SPY)


async def test_bare_ask_gets_a_one_line_usage_hint(api: FakeBotApi, bot: Any, group: int) -> None:
    api.send_user_message(group, "/ask@ThisBot")
    [hint] = await api.wait_for_messages(1)
    assert "/ask" in hint.text
    assert "\n" not in hint.text
    assert not api.chat_actions  # a hint is not an answer: no "typing"


@pytest.mark.parametrize("text", [f"@ThisBot {SPY}", f"@thisbot, {SPY}", f"{SPY} @ThisBot"])
async def test_a_mention_is_stripped_from_the_question(
    api: FakeBotApi, bot: Any, group: int, text: str
) -> None:
    api.send_user_message(group, text)
    [answer] = await api.wait_for_messages(1)
    assert answer.raw_text == expected(bot, SPY)
    # The turn is remembered just after the answer is sent.
    conversations = runtime_of(bot.bot_data).conversations
    for _ in range(100):
        if conversations.latest((group, None)) is not None:
            break
        await asyncio.sleep(0.01)
    assert conversations.latest((group, None)).question == SPY


async def test_a_text_mention_of_the_bot_addresses_it(
    api: FakeBotApi, bot: Any, group: int
) -> None:
    text = f"QA bot {SPY}"
    mention = {"type": "text_mention", "offset": 0, "length": 6,
               "user": {"id": BOT_ID, "is_bot": True, "first_name": "QA bot"}}
    api.send_user_message(group, text, entities=[mention])
    [answer] = await api.wait_for_messages(1)
    assert answer.raw_text == expected(bot, SPY)


async def test_chatter_and_other_bots_are_ignored(
    api: FakeBotApi, bot: Any, group: int, caplog: pytest.LogCaptureFixture
) -> None:
    api.send_user_message(group, SPY)  # not addressed
    api.send_user_message(group, f"@OtherBot {SPY}")
    api.send_user_message(group, f"/ask@OtherBot {SPY}")
    api.send_user_message(group, "/start@OtherBot")
    api.send_user_message(group, "/frobnicate")  # unknown commands in groups: silence
    api.send_user_message(group, f"/ask {SPY}", from_user=api.user(555, "Robo", is_bot=True))
    api.send_user_message(group, f"@ThisBot {SPY}", is_bot=True)
    addressed = api.send_user_message(group, f"@ThisBot {SPY}")
    [answer] = await api.wait_for_messages(1)
    # One chat's updates are handled in order, so any answer to the chatter would come first.
    assert answer.reply_to_message_id == addressed
    assert len(api.chat_actions) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_captions_are_questions_only_when_addressed_and_stickers_never(
    api: FakeBotApi, bot: Any, group: int
) -> None:
    first = api.send_user_message(group, f"/ask {SPY}")
    [answer] = await api.wait_for_messages(1)
    api.send_user_message(group, extra=PHOTO | {"caption": SPY})  # not addressed
    api.send_user_message(group, reply_to_message_id=answer.message_id, extra=STICKER)  # 👍
    caption = f"@ThisBot {SPY}"
    addressed = api.send_user_message(group, extra=PHOTO | {
        "caption": caption, "caption_entities": entities_for(caption)})
    replied = api.send_user_message(group, reply_to_message_id=answer.message_id,
                                    extra=PHOTO | {"caption": "Where was it intercepted?"})
    sent = await api.wait_for_messages(3)
    assert [m.reply_to_message_id for m in sent] == [first, addressed, replied]
    assert sent[1].raw_text == expected(bot, SPY)
    assert sent[2].raw_text == expected(bot, "Where was it intercepted?", (SPY,))


async def test_edits_and_channel_posts_get_no_answer(
    api: FakeBotApi, start_bot: Any, group: int, caplog: pytest.LogCaptureFixture
) -> None:
    await start_bot(allowed_updates=Update.ALL_TYPES)  # deliver them, to test the handlers
    first = api.send_user_message(group, f"/ask {SPY}")
    await api.wait_for_messages(1)
    api.edit_user_message(group, first, f"/ask {SPY} Please?")
    channel = {"id": -1002, "type": "channel", "title": "News"}
    api.queue_update({"channel_post": {"message_id": 7, "chat": channel, "date": 0,
                                       "sender_chat": channel, "text": f"/ask {SPY}"}})
    second = api.send_user_message(group, "/ask Who will Blinken meet?")
    sent = await api.wait_for_messages(2)
    await asyncio.sleep(0.2)  # the channel post is another chat: give a wrong answer time
    assert [m.reply_to_message_id for m in api.sent_messages] == [first, second]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert sent[1].chat_id == group


async def test_reply_to_an_answer_continues_its_conversation_whoever_replies(
    api: FakeBotApi, bot: Any, group: int
) -> None:
    api.send_user_message(group, f"/ask {SPY}", from_user=1)
    [spy_answer] = await api.wait_for_messages(1)
    api.send_user_message(group, "/ask Who will Blinken meet?", from_user=2)
    await api.wait_for_messages(2)
    # Another member replies to the first answer: its conversation, not the chat's latest.
    api.send_user_message(group, "When was it?", from_user=3,
                          reply_to_message_id=spy_answer.message_id)
    follow_up = (await api.wait_for_messages(3))[2]
    assert follow_up.raw_text == expected(bot, "When was it?", (SPY,))
    assert follow_up.raw_text != expected(bot, "When was it?", ("Who will Blinken meet?",))


async def test_a_reply_to_an_answer_this_process_forgot_continues_from_its_quote(
    api: FakeBotApi, bot: Any, group: int
) -> None:
    api.send_user_message(group, f"/ask {SPY}")
    [spy_answer] = await api.wait_for_messages(1)
    quote = runtime_of(bot.bot_data).service.ask(SPY).citations[0].quote
    # As after a restart, or when another instance behind the webhook sent the answer.
    bot.bot_data[RUNTIME_KEY] = replace(runtime_of(bot.bot_data), conversations=Conversations())
    api.send_user_message(group, "When was it?", reply_to_message_id=spy_answer.message_id)
    follow_up = (await api.wait_for_messages(2))[1]
    assert follow_up.raw_text == expected(bot, "When was it?", (quote,))
    assert "<blockquote>" in follow_up.raw_text
    assert "<blockquote>" not in expected(bot, "When was it?")  # it needed the thread


async def test_group_and_private_contexts_are_isolated(
    api: FakeBotApi, bot: Any, group: int
) -> None:
    api.group_chat(-1003, "Other readers")
    api.private_chat(42)
    api.send_user_message(group, f"/ask {SPY}")
    await api.wait_for_messages(1)
    api.send_user_message(-1003, "/ask When was it?")
    api.send_user_message(42, "When was it?")
    api.send_user_message(group, "/ask When was it?")
    sent = await api.wait_for_messages(4)
    by_chat = {m.chat_id: m.raw_text for m in sent[1:]}
    fresh, continued = expected(bot, "When was it?"), expected(bot, "When was it?", (SPY,))
    assert fresh != continued, "pick a follow-up whose answer depends on context"
    assert by_chat == {-1003: fresh, 42: fresh, group: continued}


async def test_forum_answers_land_in_the_topic_asked_in(api: FakeBotApi, bot: Any) -> None:
    api.group_chat(-1005, "Forum", forum=True)
    topic = api.add_topic(-1005, "Balloons")
    in_topic = api.send_user_message(-1005, f"/ask {SPY}", message_thread_id=topic)
    in_general = api.send_user_message(-1005, "/ask When was it?")
    topic_answer, general_answer = await api.wait_for_messages(2)
    assert (topic_answer.reply_to_message_id, topic_answer.message_thread_id) == (in_topic, topic)
    assert (general_answer.reply_to_message_id, general_answer.message_thread_id) == (
        in_general, None)
    assert [a.message_thread_id for a in api.chat_actions] == [topic, None]
    # Topics are separate conversations: General did not continue the topic's question.
    assert general_answer.raw_text == expected(bot, "When was it?")
    api.send_user_message(-1005, "@ThisBot When was it?", message_thread_id=topic)
    follow_up = (await api.wait_for_messages(3))[2]
    assert follow_up.message_thread_id == topic
    assert follow_up.raw_text == expected(bot, "When was it?", (SPY,))


async def test_plain_supergroup_replies_carry_no_topic(
    api: FakeBotApi, bot: Any, group: int
) -> None:
    # Telegram puts a message_thread_id on replies in plain supergroups too, without
    # is_topic_message; sending it back would fail with "message thread not found".
    api.send_user_message(group, f"/ask {SPY}")
    [answer] = await api.wait_for_messages(1)
    api.send_user_message(group, "When was it?", reply_to_message_id=answer.message_id)
    follow_up = (await api.wait_for_messages(2))[1]
    assert "message_thread_id" not in follow_up.params
    assert follow_up.raw_text == expected(bot, "When was it?", (SPY,))


async def test_anonymous_admin_questions_are_answered(
    api: FakeBotApi, bot: Any, group: int
) -> None:
    anonymous = {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group",
                 "username": "GroupAnonymousBot"}
    api.send_user_message(group, f"/ask {SPY}", from_user=anonymous,
                          extra={"sender_chat": api.chat(group)})
    [answer] = await api.wait_for_messages(1)
    assert answer.raw_text == expected(bot, SPY)


async def test_tell_me_more_in_reply_to_an_answer_continues_it(
    api: FakeBotApi, bot: Any, group: int
) -> None:
    api.send_user_message(group, f"/ask {SPY}")
    [answer] = await api.wait_for_messages(1)
    api.send_user_message(group, "tell me more")  # not addressed: chatter
    more_id = api.send_user_message(group, "tell me more", reply_to_message_id=answer.message_id)
    more = (await api.wait_for_messages(2))[1]
    assert more.reply_to_message_id == more_id
    assert more.raw_text == expected(bot, "tell me more", (SPY,))
    assert more.text != answer.text


async def test_id_in_a_group_gives_the_senders_id_and_the_groups(
    api: FakeBotApi, bot: Any, group: int
) -> None:
    api.send_user_message(group, "/id@ThisBot", from_user=777)
    anonymous = {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group",
                 "username": "GroupAnonymousBot"}
    api.send_user_message(group, "/whoami", from_user=anonymous,
                          extra={"sender_chat": api.chat(group)})
    member, hidden = await api.wait_for_messages(2)
    assert "Your user id: 777" in member.text
    assert f"This chat's id: {group}" in member.text
    assert "can't see your user id" in hidden.text  # posting as the group hides who it is
    assert "private chat" in hidden.text
    assert str(ANONYMOUS_ADMIN_ID) not in hidden.text
