""""Tell me more": the passages the conversation's question holds that were not shown yet, then
the rest of the section, and a plain "that is all" when nothing is left."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_folder

from bot.answer import compose
from bot.index import Index
from bot.knowledge import load_folder
from bot.question import Intent, read


def asks_for_more(question: str) -> bool:
    return read(question, ("What was asked before?",)).intent is Intent.MORE

ARTICLE = """# The island ferry

## The vote

The council voted on Tuesday to build a ferry link to the island.

The ferry link will cost twelve million euros, the council said.

Islanders have had no ferry since the old pier closed in a storm.

## The lighthouse

The lighthouse on the island is the oldest on the coast.
"""


@pytest.fixture
def index(tmp_path: Path) -> Index:
    return Index(load_folder(write_folder(tmp_path / "kb", {"ferry.md": ARTICLE})))


def ask_chain(index: Index, questions: list[str]) -> list[list[int]]:
    """Each question asked with the ones before it, newest first, as a chat keeps them."""
    asked: list[str] = []
    paragraphs = []
    for question in questions:
        answer = compose(question, index, tuple(reversed(asked))[:3])
        paragraphs.append([c.paragraph for c in answer.citations])
        asked.append(question)
    return paragraphs


@pytest.mark.parametrize("question", [
    "tell me more", "Tell me more about that", "more", "more please", "go on", "anything else?",
    "ok, what else?", "can you elaborate?", "Is that all?",
])
def test_requests_for_more(question: str) -> None:
    assert asks_for_more(question)


@pytest.mark.parametrize("question", [
    "what else did the council say?", "more about the lighthouse", "tell me about the vote",
    "How many more ferries?",
])
def test_questions_that_say_what_they_want(question: str) -> None:
    assert not asks_for_more(question)


def test_more_goes_on_through_the_section_then_says_that_is_all(index: Index) -> None:
    answers = ask_chain(index, ["When did the council vote?", "tell me more", "go on", "more"])
    assert answers[0][0] == 1
    shown = [p for paragraphs in answers for p in paragraphs]
    # Never the same passage twice, never the next section, and all of this one in the end.
    assert len(shown) == len(set(shown))
    assert sorted(shown) == [1, 2, 3]
    assert answers[-1] == []
    answer = compose("more", index, ("go on", "tell me more", "When did the council vote?"))
    assert answer.reason == "no_more"


def test_more_of_an_unanswered_question_is_no_answer(index: Index) -> None:
    answer = compose("tell me more", index, ("Who won the football?",))
    assert not answer.answered
    assert answer.reason == "not_covered"


def test_more_without_the_question_asks_for_one(index: Index) -> None:
    # The question itself is further back than the conversation is kept.
    answer = compose("more", index, ("more", "go on", "tell me more"))
    assert not answer.answered
    assert answer.reason == "empty"
    assert not compose("tell me more", index).answered  # no conversation at all


def test_a_paragraph_is_found_by_its_document_without_reading_them_all(index: Index) -> None:
    for at, passage in enumerate(index.passages):
        assert index.position(passage.document.id, passage.paragraph) == at
    assert index.position("ferry", 99) is None
    assert index.position("nowhere", 1) is None
    assert index.position("ferry", 0) is None
