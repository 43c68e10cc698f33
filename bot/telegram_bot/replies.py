"""The bot's own words: greeting, help and hints, in Telegram HTML. Example questions come from
the knowledge base being served (`KnowledgeService.guide`), so they stay true for whatever
articles are loaded."""

from __future__ import annotations

from html import escape

from telegram import Message

from bot.answer import scope_of
from bot.serving import KnowledgeService

ASK_USAGE = "Ask like this: <code>/ask your question</code>, or mention me with your question."
TEXT_ONLY = ("I can only read text. Type your question, or write it as the caption of your "
             "photo or file; /help shows what I can answer.")
PRIVATE_UNKNOWN_COMMAND = "I don't know that command. Just type your question, or see /help."


def welcome(service: KnowledgeService, first_name: str | None) -> str:
    """/start: what the bot answers from, with example questions it answers."""
    hello = f"Hello, {escape(first_name)}!" if first_name else "Hello!"
    examples = service.guide().examples
    lines = [f"{hello} I answer questions about {escape(scope_of(service.index, named=True))} "
             "by quoting the passages that answer them, with where each quote comes from."]
    if examples:
        lines += ["", "Try for example:", *(f"• {escape(q)}" for q in examples)]
    lines += ["", "Ask a follow-up and I read it with your previous question, or say “tell me "
              "more”. /help has more."]
    return "\n".join(lines)


def help_text(username: str | None) -> str:
    me = f"@{escape(username)}" if username else "me"
    return "\n".join([
        "<b>Asking</b>",
        "In a private chat, just type your question. I reply with quotes from the articles and "
        "where they are, or say plainly that the articles don't cover it.",
        "A follow-up such as “where was it?” is read with your previous question for a while, "
        "and “tell me more” shows what my last answer did not, until the articles have no "
        "more to say.",
        "Ask up to three questions in one message (“Why was it postponed? Who is Xi "
        "meeting?”) and I answer each under its question.",
        "",
        "<b>In groups</b> I only answer when addressed:",
        "• <code>/ask your question</code>",
        f"• a message that mentions {me}",
        "• a reply to one of my answers, which continues that answer's conversation, "
        "whoever replies",
        "In forums I answer in the topic you asked in; each chat and topic has its own "
        "conversation.",
        "",
        f"<b>In any chat</b>, type {me} and a question, then pick an answer to send it there.",
        "",
        "<b>Admins</b> (listed in BOT_ADMIN_IDS) add an article by sending me its file (.md, "
        ".txt, .html, .pdf) or its link in a private chat; /docs lists the articles, /remove "
        "takes one out and /reload re-reads them, while questions keep being answered. /stats "
        "shows what people ask and what goes unanswered. Anonymous group admins can't be "
        "identified, so they should do this in a private chat with me. /id shows your user id.",
    ])


def ids(message: Message) -> str:
    """The sender's numeric user id and the chat's, as /id answers them."""
    chat = f"This chat's id: <code>{message.chat_id}</code>"
    if message.sender_chat is not None:
        # An anonymous admin posts as the group, someone else as their channel: no user to show.
        return (f"You are posting as <b>{escape(message.sender_chat.effective_name or 'a chat')}"
                f"</b> (id <code>{message.sender_chat.id}</code>), so I can't see your user id. "
                f"Send /id to me in a private chat to get it.\n{chat}")
    user = message.from_user
    if user is None:
        return chat
    return (f"Your user id: <code>{user.id}</code>\n{chat}\n"
            "An operator puts user ids in BOT_ADMIN_IDS to let those people /reload.")
