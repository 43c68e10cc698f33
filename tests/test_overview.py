"""Questions about the articles themselves are answered with their leads, quoted and cited."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import shipped_index, write_folder

from bot.answer import compose
from bot.index import Index
from bot.knowledge import load_folder
from bot.question import Intent, read


def asks_for_overview(question: str, in_conversation: bool = False) -> bool:
    context = ("What was discussed before?",) if in_conversation else ()
    return read(question, context).intent is Intent.OVERVIEW


@pytest.mark.parametrize("question", [
    "What is this article about?", "what's the story about", "What does the article cover?",
    "Summarize the article", "Can you summarize it?", "Give me a summary, please",
    "tl;dr", "What are the main points?", "So what is this all about?", "Overview",
    "what is this article even about", "What does the article go over?",
    "What is the title of the article?", "what's the headline of this story",
    "Who is the article about?", "who's this story about",
])
def test_questions_about_the_text_itself(question: str) -> None:
    assert asks_for_overview(question)


@pytest.mark.parametrize("question", [
    "What does the article say about fentanyl?", "What is the summit about?",
    "Summarize the balloon incident", "What is the visit about?", "about",
    "What is the name of the Chinese president?",
])
def test_questions_about_something_in_it(question: str) -> None:
    assert not asks_for_overview(question)


def test_in_a_conversation_it_means_what_was_just_discussed() -> None:
    assert not asks_for_overview("What is it about?", in_conversation=True)
    assert asks_for_overview("What is the article about?", in_conversation=True)
    index = shipped_index()
    follow_up = compose("what is it about?", index, context=("What was the spy balloon?",))
    assert "balloon" in follow_up.citations[0].quote


def test_the_article_s_own_description_and_its_lead_answer() -> None:
    index = shipped_index()
    answer = compose("What is this article about?", index)
    assert answer.answered
    first, second = answer.citations
    # What the article says it is about comes first: that is what was asked.
    assert first.quote.startswith("This article")
    assert second.paragraph == 1
    assert second.quote == index.passages[0].text
    assert all(c.score == 0.0 for c in answer.citations)
    assert answer.context == (index.passages[0].text,)


def test_without_a_description_the_first_two_paragraphs_answer(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "kb", {
        "a.md": "# Volcanoes\n\nMagma rises under Iceland.\n\nIt erupts often.\n\nThe end.\n"})
    answer = compose("What is this article about?", Index(load_folder(folder)))
    assert [c.quote for c in answer.citations] == ["Magma rises under Iceland.",
                                                    "It erupts often."]
    assert answer.context == ("Magma rises under Iceland.",)


def test_with_several_articles_each_one_s_lead_answers(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "kb", {
        "a.md": "# Volcanoes\n\nMagma rises under Iceland.\n\nIt erupts often.\n",
        "b.md": "# Tides\n\nThe moon pulls the sea.\n\nTwice a day.\n",
    })
    answer = compose("What are these articles about?", Index(load_folder(folder)))
    assert [c.quote for c in answer.citations] == ["Magma rises under Iceland.",
                                                    "The moon pulls the sea."]
    assert answer.scope == "the knowledge base"


def test_a_follow_up_to_the_overview_is_read_with_the_lead_it_quoted() -> None:
    index = shipped_index()
    overview = compose("What is this article about?", index)
    when = compose("when?", index, context=("What is this article about?", *overview.context))
    assert when.answered
    assert "Sunday" in when.citations[0].quote


def test_summarize_it_in_a_conversation_summarizes_what_was_discussed() -> None:
    answer = compose("summarize it", shipped_index(), context=("What was the spy balloon?",))
    assert answer.answered
    assert "balloon" in answer.citations[0].quote


def test_the_name_of_the_article_is_an_overview_and_its_title_is_cited() -> None:
    index = shipped_index()
    answer = compose("What is the name of the article?", index)
    assert answer.answered
    assert answer.citations[0].quote.startswith("This article")
    assert answer.citations[0].title == index.knowledge.documents[0].title
