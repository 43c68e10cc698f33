"""Inline mode: "@YourBot question" typed in any chat offers answer cards; the one picked is
sent to that chat as the user's message, the quote with its footnote. An empty query offers the
example questions, each card sending its answer. Telegram sends inline queries only to a bot
whose inline mode is on (BotFather's /setinline).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from html import escape

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.answer import Answer, Citation
from bot.question import as_heading
from bot.render import MAX_MESSAGE_CHARS, citation_label, html_blocks, render_text, tg_len
from bot.serving import KnowledgeService
from bot.telegram_bot import journal
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import with_retries
from bot.titles import cut, short_section

log = logging.getLogger(__name__)

MAX_CARDS = 3  # answer cards offered for a question: the best quotes, as an answer shows them
# Telegram may keep an answer this long for the same query from anyone (answers change only on
# a reload, and every user gets the same).
CACHE_SECONDS = 300
DESCRIPTION_CHARS = 120  # of the quote, under a card's title
TITLE_CHARS = 64


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer an inline query with up to `MAX_CARDS` answer cards (example questions' answers
    for an empty query). A query Telegram no longer waits for (answered late, or replayed
    after a restart) is only logged: the person has moved on."""
    query = update.inline_query
    if query is None:
        return
    service = runtime_of(context.bot_data).service
    results = cards(service, query.query)
    try:
        with journal.waiting():
            await with_retries(lambda: query.answer(results, cache_time=CACHE_SECONDS,
                                                    is_personal=False),
                               "answerInlineQuery")
    except BadRequest as exc:
        if "query is too old" not in exc.message.lower():
            raise
        log.info("inline query %s expired before it was answered", query.id)
    journal.answered()


def cards(service: KnowledgeService, text: str) -> list[InlineQueryResultArticle]:
    """The cards for an inline query's `text`: a card per quote of its answer (of each of its
    questions, for several), else one card saying why there is none; for an empty query, a
    card per example question, which sends that question's answer."""
    text = text.strip()
    if not text:
        return [card for question in service.guide().examples[:MAX_CARDS]
                for card in _answer_cards(service.ask(question), (question,), 1, question)]
    answer, _ = service.respond(text, None)
    found: list[InlineQueryResultArticle] = []
    for n, part in enumerate(answer.parts or (answer,)):
        found += _answer_cards(part, (text, str(n)), MAX_CARDS - len(found))
    return found or [_card(_id(text, answer.reason), _reply_title(answer),
                           cut(" ".join(render_text(answer).split()), DESCRIPTION_CHARS),
                           _message(answer))]


def _answer_cards(answer: Answer, key: tuple[str, ...], limit: int,
                  title: str | None = None) -> list[InlineQueryResultArticle]:
    """A card per quote of `answer`, best first: titled by its section (or the document's
    short title) unless `title` is given, described by the start of the quote, sending the
    quote and its footnote under the question. `key` makes the cards' ids."""
    found = []
    for citation in answer.citations[: max(limit, 0)]:
        shown = title or (short_section(citation.section) if citation.section else
                          citation.short_title or citation.title)
        found.append(_card(_id(*key, citation.passage_id), cut(shown, TITLE_CHARS),
                           _description(citation),
                           _message(replace(answer, citations=(citation,)))))
    return found


def _message(answer: Answer) -> str:
    """The message a card sends: the question in bold, then the answer as a chat shows it,
    in one message of at most 4,096 UTF-16 units."""
    heading = f"<b>{escape(as_heading(answer.question), quote=False)}</b>\n"
    blocks = html_blocks(answer, MAX_MESSAGE_CHARS - tg_len(heading))
    message = heading + blocks[0]
    for block in blocks[1:]:
        if tg_len(message) + 2 + tg_len(block) > MAX_MESSAGE_CHARS:
            break
        message += "\n\n" + block
    return message


def _description(citation: Citation) -> str:
    quote = " ".join(citation.quote.split())
    return cut(quote, DESCRIPTION_CHARS) or cut(citation_label(citation), DESCRIPTION_CHARS)


def _reply_title(answer: Answer) -> str:
    if answer.reason == "small_talk":
        return "About this bot"
    if answer.reason == "other_language":
        return f"I read {answer.language or 'one language'} only"
    return "No answer in the articles" if answer.scope != "the article" else \
        "No answer in the article"


def _card(result_id: str, title: str, description: str,
          message: str) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=result_id, title=title or "Answer", description=description,
        input_message_content=InputTextMessageContent(message, parse_mode=ParseMode.HTML))


def _id(*parts: str) -> str:
    """A result id: the same for the same query and quote (so Telegram's cache lines up),
    unique among a query's results, and within Telegram's 64 bytes whatever the ids of
    documents are."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]

