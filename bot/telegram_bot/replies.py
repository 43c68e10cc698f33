"""The bot's own words: greeting, help and hints, in Telegram HTML. Example questions come from
the knowledge base being served, so they stay true for whatever articles are loaded."""

from __future__ import annotations

import re
from html import escape

from telegram import Message

from bot.serving import KnowledgeService

ASK_USAGE = "Ask like this: <code>/ask your question</code>, or mention me with your question."
TEXT_ONLY = ("I can only read text. Type your question, or write it as the caption of your "
             "photo or file; /help shows what I can answer.")
PRIVATE_UNKNOWN_COMMAND = "I don't know that command. Just type your question, or see /help."
_MAX_CANDIDATES = 12  # each candidate is asked once: a cap keeps /start cheap on big bases


def scope(service: KnowledgeService) -> str:
    documents = service.index.knowledge.documents
    if len(documents) == 1:
        return f"the article “{documents[0].title}”"
    return f"{len(documents)} articles"


def welcome(service: KnowledgeService, examples: list[str], first_name: str | None) -> str:
    hello = f"Hello, {escape(first_name)}!" if first_name else "Hello!"
    lines = [f"{hello} I answer questions about {escape(scope(service))} by quoting the "
             "passages that answer them, with where each quote comes from."]
    if examples:
        lines += ["", "Try for example:", *(f"• {escape(q)}" for q in examples)]
    lines += ["", "Ask a follow-up and I read it with your previous question. /help has more."]
    return "\n".join(lines)


def help_text(username: str | None) -> str:
    me = f"@{escape(username)}" if username else "me"
    return "\n".join([
        "<b>Asking</b>",
        "In a private chat, just type your question. I reply with quotes from the articles and "
        "where they are, or say plainly that the articles don't cover it.",
        "A follow-up such as “where was it?” is read with your previous question for a while.",
        "",
        "<b>In groups</b> I only answer when addressed:",
        "• <code>/ask your question</code>",
        f"• a message that mentions {me}",
        "• a reply to one of my answers, which continues that answer's conversation, "
        "whoever replies",
        "In forums I answer in the topic you asked in; each chat and topic has its own "
        "conversation.",
        "",
        "<b>Admins</b> (listed in BOT_ADMIN_IDS) add an article by sending me its file (.md, "
        ".txt, .html, .pdf) or its link in a private chat; /docs lists the articles, /remove "
        "takes one out and /reload re-reads them, while questions keep being answered. "
        "Anonymous group admins can't be identified, so they should do this in a private chat "
        "with me. /id shows your user id.",
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


class Examples:
    """Example questions, worked out once per index: a reload swaps the index, and with it
    the examples; on a large base working them out takes a noticeable moment."""

    def __init__(self) -> None:
        self._index: object = None
        self._questions: list[str] = []

    def of(self, service: KnowledgeService) -> list[str]:
        index = service.index
        if index is not self._index:
            self._questions, self._index = example_questions(service), index
        return self._questions


def example_questions(service: KnowledgeService, limit: int = 4) -> list[str]:
    """Up to `limit` questions made from titles and section headings that the bot answers."""
    knowledge = service.index.knowledge
    where = "the article" if len(knowledge.documents) == 1 else "the articles"
    candidates = [q for d in knowledge.documents for q in _title_questions(d.title)]
    candidates += [f"What does {where} say about {_short(h)}?" for h in knowledge.sections]
    candidates += [f"What is “{d.title}” about?" for d in knowledge.documents]
    chosen: list[str] = []
    for question in list(dict.fromkeys(candidates))[:_MAX_CANDIDATES]:
        if service.ask(question).answered:
            chosen.append(question)
        if len(chosen) == limit:
            break
    return chosen


def _title_questions(title: str) -> list[str]:
    # "Topic 2023: Why is X doing Y?" holds a ready-made question after the colon.
    return [part.strip() for part in re.split(r"[:|]", title) if part.strip().endswith("?")]


def _short(heading: str) -> str:
    # "Section - Long subtitle" reads better as a question about its last part.
    return re.split(r"\s[-–—|]\s", heading)[-1].strip()
