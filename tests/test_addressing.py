"""Addressing (bot/telegram_bot/addressing.py): when a group message is for the bot, and what it
asks, cut at UTF-16 offsets as Telegram counts them."""

from __future__ import annotations

from typing import Any

from telegram import Message

from bot.telegram_bot.addressing import addressed_question, command_question, topic_of

BOT = 4242


def message(text: str, entities: list[dict[str, Any]] | None = None, **fields: Any) -> Message:
    data = {"message_id": 5, "date": 0, "chat": {"id": -100, "type": "supergroup"},
            "from": {"id": 1, "is_bot": False, "first_name": "Ann"}, "text": text,
            "entities": entities or []} | fields
    return Message.de_json(data, None)


def mention(text: str, name: str) -> dict[str, Any]:
    offset = len(text[: text.index(name)].encode("utf-16-le")) // 2
    return {"type": "mention", "offset": offset, "length": len(name)}


def test_mentions_are_cut_at_utf16_offsets() -> None:
    text = "🎈🎈 @ThisBot, where was the balloon?"
    question = addressed_question(message(text, [mention(text, "@ThisBot")]), "ThisBot", BOT)
    assert question == "🎈🎈 where was the balloon?"


def test_other_mentions_and_plain_chatter_do_not_address_the_bot() -> None:
    text = "@OtherBot where was the balloon?"
    assert addressed_question(message(text, [mention(text, "@OtherBot")]), "ThisBot", BOT) is None
    assert addressed_question(message("where was the balloon?"), "ThisBot", BOT) is None
    assert addressed_question(message("@ThisBot", [mention("@ThisBot", "@ThisBot")]),
                              "ThisBot", BOT) == ""


def test_a_reply_to_a_topic_creation_is_not_a_reply_to_the_bot() -> None:
    created = {"message_id": 3, "date": 0, "chat": {"id": -100, "type": "supergroup"},
               "from": {"id": BOT, "is_bot": True, "first_name": "Bot"},
               "forum_topic_created": {"name": "T", "icon_color": 1}}
    in_topic = message("hello", reply_to_message=created, message_thread_id=3,
                       is_topic_message=True)
    assert addressed_question(in_topic, "ThisBot", BOT) is None
    assert topic_of(in_topic) == 3


def test_ask_command_keeps_the_question_and_drops_the_command() -> None:
    text = "/ask@ThisBot  where was\nthe balloon?"
    command = {"type": "bot_command", "offset": 0, "length": 12}
    assert command_question(message(text, [command]), "ThisBot", BOT) == "where was the balloon?"
