"""Rendering answers: Telegram HTML that is escaped, balanced and within the message limit, and
plain text for the terminal."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fake_bot_api import validate_telegram_html
from helpers import make_citation, shipped_index, write_folder
from hypothesis import given
from hypothesis import strategies as st

from bot.answer import Answer, AnswerOptions, Citation, compose
from bot.index import Index
from bot.knowledge import load_folder
from bot.question import Intent
from bot.render import MAX_MESSAGE_CHARS, html_blocks, render_html, render_text

RENDERER_TAGS = {"blockquote", "b", "i", "a"}
NASTY = "<b>&amp;</script>"
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*)>")
_BLOCKQUOTE = re.compile(r"<blockquote(?: expandable)?>(.*?)</blockquote>", re.DOTALL)


def check_messages(messages: list[str]) -> list[str]:
    """Every message is one Telegram accepts, within the limit, using only our tags."""
    assert messages
    visible = []
    for message in messages:
        assert len(message) <= MAX_MESSAGE_CHARS
        visible.append(validate_telegram_html(message))  # balanced, allowed tags, entities
        assert {m.group(2) for m in _TAG.finditer(message)} <= RENDERER_TAGS
    return visible


def quoted(messages: list[str]) -> list[str]:
    """The unescaped text inside each blockquote, in order (the answering sentence's bold
    left out)."""
    return [html.unescape(m.replace("<b>", "").replace("</b>", ""))
            for message in messages for m in _BLOCKQUOTE.findall(message)]


def answer_with(*citations: Citation) -> Answer:
    return Answer("q", True, tuple(citations))


# ---- from the real pipeline ----------------------------------------------------------------

@pytest.fixture
def nasty_index(tmp_path: Path) -> Index:
    folder = write_folder(tmp_path / "k", {"markup.txt": (
        "Markup <Troubles> & Co\n\n"
        "Parsing:\n\n"
        f"The parser choked on {NASTY} inside the harbour report.\n\n"
        "Another paragraph about boats.\n"
    )})
    return Index(load_folder(folder))


def test_html_escapes_passage_title_and_section(nasty_index: Index) -> None:
    answer = compose("What did the parser choke on?", nasty_index)
    assert answer.answered
    messages = render_html(answer)
    visible = "\n".join(check_messages(messages))
    assert NASTY in visible  # the user sees the characters, not markup
    assert "Markup <Troubles> & Co" in visible
    joined = "".join(messages)
    assert html.escape(NASTY) in joined
    assert "<script" not in joined
    assert quoted(messages)[0] == answer.citations[0].quote


def test_the_answer_quote_is_in_a_blockquote_with_its_source() -> None:
    answer = compose("What was the spy balloon incident?", shipped_index())
    [message] = render_html(answer)
    check_messages([message])
    assert message.startswith("<blockquote>")
    c = answer.citations[0]
    assert quoted([message]) == [" ".join(c.quote.split())]
    assert html.escape(c.short_title) in message
    assert c.title not in message  # the long title would double the footnote
    assert f"paragraph {c.paragraph}" in message
    assert "Al-Jazeera" in message  # the source, from "(Courtesy: Al-Jazeera)"


def test_related_passages_go_in_an_expandable_blockquote() -> None:
    first = make_citation(quote="The best passage.")
    related = [make_citation(passage_id=f"doc#{i}", paragraph=i, quote=f"Related passage {i}.")
               for i in (2, 3)]
    messages = render_html(answer_with(first, *related))
    check_messages(messages)
    joined = "\n".join(messages)
    assert joined.count("<blockquote>") == 1
    assert joined.count("<blockquote expandable>") == 1
    expandable = joined[joined.index("<blockquote expandable>") :]
    assert "Related passage 2." in expandable
    assert "Related passage 3." in expandable
    assert "The best passage." not in expandable


def test_a_link_is_used_when_the_document_has_a_url() -> None:
    url = 'https://example.test/a?x=1&y="2"'
    [message] = render_html(answer_with(make_citation(url=url)))
    check_messages([message])
    assert f'<a href="{html.escape(url)}">' in message


def test_trimmed_quotes_show_ellipses() -> None:
    c = make_citation(quote="Middle sentence.", trimmed_start=True, trimmed_end=True)
    assert quoted(render_html(answer_with(c))) == ["…Middle sentence.…"]
    assert "…Middle sentence.…" in render_text(answer_with(c))


def test_refusal_lists_the_suggestions_escaped() -> None:
    answer = Answer("q", False, suggestions=("Boats & <Nets>", "Weather"))
    messages = render_html(answer)
    visible = "\n".join(check_messages(messages))
    assert "Boats & <Nets>" in visible
    assert "Weather" in visible
    assert "<blockquote" not in "".join(messages)


# ---- the message limit ---------------------------------------------------------------------

def long_paragraph(seed: int) -> str:
    return " ".join(f"Harbour note {seed}.{i}: the seagulls & <nets> were counted again."
                    for i in range(60))


def test_several_long_quotes_stay_within_the_limit(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {
        "long.txt": "Harbour Notes\n\n" + "\n\n".join(long_paragraph(i) for i in range(4)),
    })
    index = Index(load_folder(folder))
    options = AnswerOptions(max_quote_chars=3000, max_citations=3, related_ratio=0.1)
    answer = compose("How were the seagulls counted?", index, options=options)
    assert answer.answered
    assert len(answer.citations) >= 2
    assert sum(len(c.quote) for c in answer.citations) > MAX_MESSAGE_CHARS
    messages = render_html(answer)
    check_messages(messages)
    assert len(messages) >= 2
    for c, text in zip(answer.citations, quoted(messages), strict=False):
        assert " ".join(c.quote.split()).startswith(text[:100])


def test_a_huge_quote_is_split_into_valid_messages() -> None:
    words = [f"w{i}&<{i}>" for i in range(2500)]
    quote = " ".join(words)
    assert len(quote) > 20_000
    messages = render_html(answer_with(make_citation(quote=quote, title="T" * 5000)))
    check_messages(messages)
    assert len(messages) > 1
    assert " ".join(quoted(messages)).split() == words  # nothing lost, nothing reordered


def test_a_huge_word_without_spaces_is_split_too() -> None:
    quote = "&" * 5000
    messages = render_html(answer_with(make_citation(quote=quote)))
    check_messages(messages)
    assert "".join(quoted(messages)) == quote


def test_huge_suggestions_are_split_into_valid_messages() -> None:
    answer = Answer("q", False, suggestions=tuple(f"Section {i} " + "x " * 2000 for i in range(3)))
    check_messages(render_html(answer))


def test_the_limit_counts_utf16_code_units() -> None:
    check_messages(render_html(answer_with(make_citation(quote="😀 " * 3000))))


def test_html_blocks_are_each_balanced() -> None:
    citations = [make_citation(paragraph=i, quote=long_paragraph(i)) for i in range(1, 4)]
    for block in html_blocks(answer_with(*citations)):
        check_messages([block])


# ---- plain text ----------------------------------------------------------------------------

def test_plain_text_has_no_html() -> None:
    c1 = make_citation(quote=f"A quote with {NASTY} in it.", url="https://example.test/a")
    c2 = make_citation(paragraph=2, quote="A related quote.", section=None)
    text = render_text(answer_with(c1, c2))
    assert NASTY in text  # shown as written, not escaped
    assert "&lt;" not in text
    assert "<" not in text.replace(NASTY, "")
    assert "A related quote." in text
    assert "paragraph 2" in text
    assert "https://example.test/a" in text


def test_plain_text_refusal_lists_suggestions() -> None:
    answer = compose("Can you recommend a good book?", shipped_index())
    text = render_text(answer)
    for section in answer.suggestions:
        assert section in text
    assert "<" not in text


# ---- properties ----------------------------------------------------------------------------

@given(quote=st.text(), title=st.text(), section=st.none() | st.text(),
       url=st.none() | st.text(min_size=1))
def test_any_citation_renders_to_valid_messages(
    quote: str, title: str, section: str | None, url: str | None
) -> None:
    citation = make_citation(quote=quote, title=title, section=section, url=url)
    messages = render_html(answer_with(citation))
    check_messages(messages)
    assert "".join("".join(quoted(messages)).split()) == "".join(quote.split())
    if len(messages) == 1:
        assert quoted(messages) == [" ".join(quote.split())]


@given(suggestions=st.lists(st.text(), max_size=6))
def test_any_refusal_renders_to_valid_messages(suggestions: list[str]) -> None:
    check_messages(render_html(Answer("q", False, suggestions=tuple(suggestions))))


# ---- the answering sentence ----------------------------------------------------------------

def test_the_answering_sentence_is_bold_in_telegram_and_marked_in_the_terminal() -> None:
    quote = "The vote came first. The <wall> & pier cost 12 million. Then it rained."
    mark = "The <wall> & pier cost 12 million."
    citation = make_citation(quote=quote, highlight=mark, highlight_at=quote.index(mark))
    [message] = render_html(answer_with(citation))
    assert ("<blockquote>The vote came first. <b>The &lt;wall&gt; &amp; pier cost 12 million."
            "</b> Then it rained.</blockquote>") in message
    assert "“The vote came first. »" + mark + "« Then it rained.”" in render_text(
        answer_with(citation))


def test_a_quote_that_is_its_answering_sentence_is_not_marked() -> None:
    citation = make_citation(quote="Only this.", highlight="Only this.", highlight_at=0)
    assert "<b>" not in render_html(answer_with(citation))[0]
    assert "»" not in render_text(answer_with(citation))


def test_a_highlight_that_is_not_in_its_quote_is_ignored() -> None:
    citation = make_citation(quote="One. Two.", highlight="Three.", highlight_at=5)
    assert "<b>" not in render_html(answer_with(citation))[0]
    assert "One. Two." in render_text(answer_with(citation))


# ---- footnotes, replies without quotes, several questions ---------------------------------

def test_a_footnote_gives_the_short_title_section_paragraph_source_and_date() -> None:
    c = make_citation(title="A very long title: with a headline after the colon - Site",
                      short_title="A short title", section="Harbour", paragraph=4,
                      source="The Gazette", published="2024-03-05", url="https://e.test/a")
    [message] = render_html(answer_with(c))
    check_messages([message])
    assert ('— <a href="https://e.test/a">A short title</a><i> · Harbour, paragraph 4 · '
            "The Gazette, 5 Mar 2024</i>") in message
    assert "A very long title" not in message
    assert "— A short title · Harbour, paragraph 4 · The Gazette, 5 Mar 2024 (https://e.test/a)" \
        in render_text(answer_with(c))


@pytest.mark.parametrize(("answer", "says"), [
    (Answer("hi", False, suggestions=("Q1?", "Q2?"), reason="small_talk", small_talk="greeting",
            scope="the article “Boats”"), "Hello! I answer questions about the article “Boats”"),
    (Answer("¿qué?", False, suggestions=("Q1?",), reason="other_language", language="English"),
     "I can only read questions in English"),
    (Answer("more", False, reason="empty", intent=Intent.MORE), "More of what?"),
    (Answer("more", False, reason="no_more"), "That is all the article says about it."),
])
def test_replies_without_quotes_say_why_and_suggest_questions(answer: Answer, says: str) -> None:
    text = render_text(answer)
    assert text.startswith(says)
    assert "doesn't answer" not in text
    visible = "\n".join(check_messages(render_html(answer)))
    assert says in visible
    for question in answer.suggestions:
        assert f"• {question}" in visible


def test_several_questions_are_shown_each_under_its_question() -> None:
    first = Answer("Why <b>now</b>?", True, (make_citation(quote="Because of the storm."),))
    second = Answer("Who & when?", False, suggestions=("Q1?",), reason="not_covered")
    answer = Answer("whole message", True, first.citations, parts=(first, second),
                    unanswered_parts=2)
    messages = render_html(answer)
    visible = "\n".join(check_messages(messages))
    joined = "\n\n".join(messages)
    assert "<b>Why now?</b>\n<blockquote>Because of the storm.</blockquote>" in joined
    assert "<b>Who &amp; when?</b>" in joined
    assert visible.index("Because of the storm.") < visible.index("Who & when?")
    assert "2 more questions" in visible
    text = render_text(answer)
    assert text.startswith("Q: Why now?\n“Because of the storm.”")
    assert "\n\nQ: Who & when?\nThe article doesn't answer that." in text
