"""Bad input from people, end to end through the fake Bot API with the real Application: every
question gets a sensible reply in a private chat (silence where a group did not address the bot),
never a crash, never a message Telegram refuses, never the asker's markup echoed back. Plus a
property test of compose and render over knowledge bases hypothesis makes up."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import TOKEN
from fake_bot_api import FakeBotApi, validate_telegram_html
from helpers import knowledge_from_paragraphs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import AnswerOptions, compose
from bot.index import Index
from bot.render import MAX_MESSAGE_CHARS, render_html, tg_len

GROUP = -1001
SPY = "spy balloon"
USAGE = "Ask like this"  # replies.ASK_USAGE: addressed, but no question
FEW_WORDS = "in a few words"  # a refusal: nothing in the question to look up
NOT_COVERED = "doesn't answer that"  # a refusal: the articles don't cover it
UNKNOWN_COMMAND = "I don't know that command"
QUOTED = "<blockquote>"  # an answer
OTHER_LANGUAGE = "only read questions in English"  # a question in another language


@dataclass(frozen=True)
class Case:
    text: str
    private: str  # what the reply in a private chat must contain
    group: str | None  # ... to "/ask <text>" in a group; None: as in private; "": silence


CASES = {
    "whitespace": Case(" \t  \u3000 ", USAGE, None),
    "only-stopwords": Case("is it?", FEW_WORDS, None),
    "one-character": Case("x", NOT_COVERED, None),
    "4096-characters-of-nonsense": Case(("zqxv wplk " * 410)[:4096], NOT_COVERED, None),
    "4096-characters-of-question": Case(
        ("What was the spy balloon incident? " * 120)[:4096], QUOTED, None),
    "emoji-only": Case("😀🎈🔥👍🏽", FEW_WORDS, None),
    "chinese": Case("中国间谍气球事件是什么？", OTHER_LANGUAGE, None),
    "arabic": Case("ما هو حادث منطاد التجسس؟", OTHER_LANGUAGE, None),
    "control-characters-and-nul": Case(f"\x00\x01\x07 {SPY}\x1b[31m\x7f\u200b?", QUOTED, None),
    "html": Case(f"What was the <b>{SPY}</b> incident? &amp; <script>alert(1)</script>",
                 QUOTED, None),
    "html-only": Case("</blockquote><script>alert('x')</script>&lt;", NOT_COVERED, None),
    "markdown": Case("*bold* _italic_ `code` [link](http://x.test) ~~strike~~ ||spoiler||",
                     NOT_COVERED, None),
    "bare-ask": Case("/ask", USAGE, USAGE),
    "ask-for-another-bot": Case(f"/ask@SomeOtherBot {SPY}", UNKNOWN_COMMAND, ""),
    "unknown-command": Case("/frobnicate now", UNKNOWN_COMMAND, ""),
}
# Pieces of the questions above that no reply may contain, raw or escaped: nothing is echoed.
RAW_MARKUP = ("<script>", "<b>spy", "&amp;amp;", "alert(")


def as_command(case: Case) -> str:
    return case.text if case.text.startswith("/") else f"/ask {case.text}"[:4096]


def expect_group(case: Case) -> str:
    return case.private if case.group is None else case.group


def shows(message: Any, expected: str) -> bool:
    """An answer is recognised by its markup, a hint or refusal by the words the user sees."""
    return expected in (message.raw_text if expected == QUOTED else message.text)


def check_sent(api: FakeBotApi, caplog: pytest.LogCaptureFixture) -> None:
    """What holds after any input: no crash, no refused send, no echo, no token."""
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not errors, [r.getMessage() for r in errors]
    refused = [e for e in api.log if e.kind == "call" and e.method == "sendMessage"
               and e.status != 200]
    assert not refused, [(e.status, e.description) for e in refused]
    for message in api.sent_messages:
        validate_telegram_html(message.raw_text)  # what the fake accepted, checked once more
        for raw in RAW_MARKUP:
            assert raw not in message.raw_text
            assert raw not in message.text  # not even as visible text: nothing is echoed
        assert TOKEN not in message.raw_text


@pytest.mark.parametrize("name", CASES)
async def test_bad_input_in_a_private_chat_gets_a_sensible_reply(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    case = CASES[name]
    api.private_chat(42)
    asked = api.send_user_message(42, case.text)
    replies = await api.wait_for_messages(1)
    assert replies[0].reply_to_message_id == asked
    assert shows(replies[0], case.private), replies[0].raw_text
    check_sent(api, caplog)


@pytest.mark.parametrize("name", CASES)
async def test_bad_input_in_a_group_gets_a_reply_when_asked_and_silence_otherwise(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    case = CASES[name]
    api.group_chat(GROUP, "Readers")
    if not case.text.startswith("/"):
        api.send_user_message(GROUP, case.text)  # chatter: not addressed to the bot
    asked = api.send_user_message(GROUP, as_command(case))
    closing = api.send_user_message(GROUP, f"/ask {SPY}")
    sent = await api.wait_for_messages(2 if expect_group(case) else 1)
    # One chat's updates are handled in order: an answer to the chatter would come first.
    if expect_group(case):
        assert [m.reply_to_message_id for m in sent] == [asked, closing]
        assert shows(sent[0], expect_group(case)), sent[0].raw_text
    else:
        assert [m.reply_to_message_id for m in sent] == [closing]
    check_sent(api, caplog)


async def test_a_question_with_only_a_mention_gets_the_usage_hint(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api.private_chat(42)
    api.group_chat(GROUP, "Readers")
    api.send_user_message(42, "@ThisBot")
    api.send_user_message(GROUP, "@ThisBot ,")
    sent = await api.wait_for_messages(2)
    assert all(shows(m, USAGE) for m in sent)
    assert not api.chat_actions  # a hint is not an answer: no "typing"
    check_sent(api, caplog)


async def test_an_empty_text_gets_no_reply_and_no_error(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Telegram never delivers an empty text; an update that has one anyway is not a question.
    chat = api.private_chat(42)
    api.queue_update({"message": {"message_id": 90, "date": 0, "chat": chat, "text": "",
                                  "from": {"id": 42, "is_bot": False, "first_name": "U"}}})
    asked = api.send_user_message(42, f"What was the {SPY} incident?")
    [answer] = await api.wait_for_messages(1)
    assert answer.reply_to_message_id == asked
    check_sent(api, caplog)


async def test_a_reply_to_the_bot_with_markup_is_not_echoed(
    api: FakeBotApi, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api.group_chat(GROUP, "Readers")
    api.send_user_message(GROUP, f"/ask What was the {SPY} incident?")
    [first] = await api.wait_for_messages(1)
    api.send_user_message(GROUP, "<script>alert(1)</script> where was <b>it</b>?",
                          reply_to_message_id=first.message_id)
    second = (await api.wait_for_messages(2))[1]
    assert second.reply_to_message_id is not None
    check_sent(api, caplog)


# ---- compose + render over made-up knowledge -----------------------------------------------

WORDS = ["balloon", "spy", "Blinken", "<b>", "</blockquote>", "&amp;", "&", "<script>", "🎈",
         "气球", "منطاد", "\x00", "visit", "China", "x" * 60, "a", "the", "'", '"', "—", "\u200b"]
_word = st.sampled_from(WORDS) | st.text(min_size=1, max_size=12)
_sentence = st.lists(_word, min_size=1, max_size=40).map(" ".join)
_paragraph = (
    st.lists(_sentence, min_size=1, max_size=30).map(". ".join)
    # Long ones too, so that answers must be split over several messages.
    | st.builds(lambda sentence, n: f"{sentence}. " * n, _sentence, st.integers(20, 300))
).filter(str.strip)
_BLOCKQUOTE = re.compile(r"<blockquote(?: expandable)?>(.*?)</blockquote>", re.DOTALL)


def squeezed(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(paragraphs=st.lists(_paragraph, min_size=1, max_size=8)
       # Repeated paragraphs score alike, so several long quotes make one answer.
       | st.lists(_paragraph, min_size=1, max_size=3).map(lambda ps: ps * 3),
       data=st.data(), max_quote_chars=st.sampled_from([80, 3000]) | st.integers(80, 3000))
def test_compose_and_render_any_knowledge_and_question(
    paragraphs: list[str], data: st.DataObject, max_quote_chars: int
) -> None:
    knowledge = knowledge_from_paragraphs(paragraphs, title="T <i>&amp;", section="S </b>")
    index = Index(knowledge)
    # Half the time the question is built from the passages' own words, so it gets answered.
    own = data.draw(st.lists(st.sampled_from(" ".join(paragraphs).split() or ["x"]),
                             min_size=1, max_size=12).map(" ".join))
    question = data.draw(st.just(own) | st.text(max_size=200) | _sentence)
    options = AnswerOptions(max_quote_chars=max_quote_chars, max_citations=3)
    answer = compose(question, index, (), options)
    messages = render_html(answer)
    assert messages
    passages = {p.id: p.text for p in knowledge.passages}
    quoted = squeezed(html.unescape("".join(  # the answering sentence's bold left out
        inner.replace("<b>", "").replace("</b>", "")
        for m in messages for inner in _BLOCKQUOTE.findall(m))))
    for message in messages:
        assert tg_len(message) <= MAX_MESSAGE_CHARS  # the markup itself fits, not just the text
        validate_telegram_html(message)  # Telegram accepts it: balanced, known tags, entities
    for citation in answer.citations:
        assert citation.quote in passages[citation.passage_id]  # verbatim from the passage
        assert squeezed(citation.quote) in quoted  # and shown whole, once unescaped
    if answer.answered:
        assert quoted
    else:
        assert not quoted


@pytest.mark.parametrize("make", [
    pytest.param(lambda: ("🎈" * 12 + " balloon ") * 300, id="astral-characters"),
    pytest.param(lambda: "&<> balloon \"'" * 800, id="characters-that-escape-wider"),
    pytest.param(lambda: "balloon " * 2000, id="one-long-sentence"),
])
def test_a_huge_passage_renders_within_the_limit(make: Callable[[], str]) -> None:
    text = make()
    others = [f"Another paragraph about boat number {n}." for n in range(6)]
    index = Index(knowledge_from_paragraphs([text] * 3 + others))
    answer = compose("balloon", index, (), AnswerOptions(max_quote_chars=3000))
    assert len(answer.citations) == 3
    messages = render_html(answer)
    assert len(messages) >= 2
    assert all(tg_len(m) <= MAX_MESSAGE_CHARS for m in messages)
    for message in messages:
        validate_telegram_html(message)
    quoted = squeezed(html.unescape("".join(i for m in messages for i in _BLOCKQUOTE.findall(m))))
    assert all(squeezed(c.quote) in quoted for c in answer.citations)
