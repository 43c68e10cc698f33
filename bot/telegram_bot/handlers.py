"""Handlers for people's messages: find the question, ask the core, reply. No retrieval here."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.conversation import Turn
from bot.render import render_html, render_text
from bot.telegram_bot import feedback, replies
from bot.telegram_bot.addressing import (
    addressed_question,
    bot_mentions,
    command_question,
    quotes,
    replies_to_bot,
    text_of,
    topic_of,
    without_entities,
)
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import reply, send_typing

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
Thread = tuple[int, int | None]  # (chat id, forum topic or None): one conversation each


async def start(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    service = runtime_of(context.bot_data).service
    name = message.from_user.first_name if message.from_user and not message.sender_chat else None
    await reply(context.bot, message, [replies.welcome(service, name)])


async def help_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is not None:
        await reply(context.bot, message, [replies.help_text(context.bot.username)])


async def id_command(update: Update, context: Context) -> None:
    """/id (or /whoami): the sender's user id and the chat's, for BOT_ADMIN_IDS."""
    message = update.effective_message
    if message is not None:
        await reply(context.bot, message, [replies.ids(message)])


async def unknown_command(update: Update, context: Context) -> None:
    """Private chats only: in groups an unknown command is probably another bot's."""
    message = update.effective_message
    if message is not None:
        await reply(context.bot, message, [replies.PRIVATE_UNKNOWN_COMMAND])


async def ask_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    question = command_question(message, context.bot.username, context.bot.id)
    await _answer_or_hint(message, question, context)


async def private_question(update: Update, context: Context) -> None:
    """In a private chat every text, and every caption of a photo or file, is a question (a
    mention of the bot is dropped from it); a sticker, a voice message or a bare photo gets a
    hint, not silence."""
    message = update.effective_message
    if message is None:
        return
    if not text_of(message):
        await reply(context.bot, message, [replies.TEXT_ONLY])
        return
    mentions = bot_mentions(message, context.bot.username, context.bot.id)
    await _answer_or_hint(message, without_entities(text_of(message), mentions), context)


async def group_message(update: Update, context: Context) -> None:
    """In a group, only a message (or captioned photo or file) that mentions or replies to the
    bot; the rest is chatter, and so is a sticker in reply to an answer."""
    message = update.effective_message
    if message is None:
        return
    question = addressed_question(message, context.bot.username, context.bot.id)
    if question is not None:
        await _answer_or_hint(message, question, context)


async def _answer_or_hint(message: Message, question: str, context: Context) -> None:
    if question:
        await answer(message, question, context)
    else:
        await reply(context.bot, message, [replies.ASK_USAGE])


async def answer(message: Message, question: str, context: Context) -> None:
    """Answer `question` in reply to `message`, read with the conversation it continues."""
    runtime = runtime_of(context.bot_data)
    thread = (message.chat_id, topic_of(message))
    earlier = _earlier_turn(message, thread, context)
    await send_typing(context.bot, message)
    # respond() is CPU-only and takes about a millisecond: a thread hop would cost more.
    result, turn = runtime.service.respond(question, earlier)
    outcome = feedback.outcome(context, message, result)
    sent = await reply(context.bot, message, render_html(result), plain=render_text(result),
                       keyboard=outcome.buttons)
    outcome.record(sent)  # to the question log, off the answer path
    runtime.conversations.remember(thread, turn,
                                   answers=[(m.chat_id, m.message_id) for m in sent])


def _earlier_turn(message: Message, thread: Thread, context: Context) -> Turn | None:
    """A reply to one of our answers continues that answer's conversation, whoever replies;
    anything else continues the latest exchange in its chat (or forum topic)."""
    conversations = runtime_of(context.bot_data).conversations
    replied = message.reply_to_message
    if replied is not None and replies_to_bot(message, context.bot.id):
        turn = conversations.answered_by((message.chat_id, replied.message_id))
        if turn is not None:
            return turn
        # An answer this process never sent or has forgotten (another instance behind the
        # webhook sent it, or it was sent before a restart): what it quoted carries the thread.
        recovered = runtime_of(context.bot_data).service.turn_from_quotes(quotes(replied))
        if recovered is not None:
            return recovered
    return conversations.latest(thread)
