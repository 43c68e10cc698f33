"""Example questions made from a knowledge base's own text: each answered by the bot, quoting
the passage that names what it asks about, each from another passage; on the seed article and
on made-up articles about chemistry and sport."""

from __future__ import annotations

from pathlib import Path

import pytest
from conversations import chemistry_folder, sport_folder
from helpers import KNOWLEDGE_DIR, write_folder

from bot.answer import compose
from bot.examples import LIMIT, example_questions
from bot.index import Index
from bot.knowledge import load_folder
from bot.lexicon import for_knowledge

ABOUT = "What does the article say about "


def examples_of(folder: Path) -> tuple[Index, tuple[str, ...]]:
    index = Index(load_folder(folder))
    return index, example_questions(index, lexicon=for_knowledge(folder))


@pytest.mark.parametrize("make", [lambda _: KNOWLEDGE_DIR, chemistry_folder, sport_folder])
def test_each_example_is_answered_from_another_passage(tmp_path: Path, make: object) -> None:
    folder = make(tmp_path)  # type: ignore[operator]
    index, examples = examples_of(folder)
    assert 2 <= len(examples) <= LIMIT
    first_quotes = []
    for question in examples:
        answer = compose(question, index, lexicon=for_knowledge(folder))
        assert answer.answered, question
        first_quotes.append(answer.citations[0].passage_id)
        if question.startswith(ABOUT):  # it names a thing the quote names
            named = question.removeprefix(ABOUT).rstrip("?").removeprefix("the ")
            assert named.casefold() in answer.citations[0].quote.casefold()
    assert len(set(first_quotes)) == len(first_quotes)


def test_examples_name_the_knowledge_base_s_own_things(tmp_path: Path) -> None:
    _, seed = examples_of(KNOWLEDGE_DIR)
    assert "Why is United States Secretary of State Antony Blinken going to China?" in seed
    assert f"{ABOUT}the spy balloon?" in seed  # not the vague heading "The Road Ahead"
    _, chemistry = examples_of(chemistry_folder(tmp_path))
    assert not {q for q in chemistry if "Blinken" in q or "balloon" in q}
    assert any("metals" in q or "Nobel Prize" in q for q in chemistry)


def test_a_name_is_what_a_determiner_opens_not_a_word_that_takes_an_object(
        tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"notes.md": (
        "# Locks\n\nEach key fits its substrate like a key in a lock.\n\n"
        "# Metals\n\nThieves steal the converters for the precious metals inside them.\n")})
    _, examples = examples_of(folder)
    joined = " ".join(examples)
    assert "substrate like" not in joined
    assert "metals inside" not in joined
    assert f"{ABOUT}the precious metals?" in examples


def test_a_knowledge_base_with_nothing_to_name_still_has_an_example(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"short.txt": "Short\n\nIt was so.\n\nAnd then.\n"})
    index, examples = examples_of(folder)
    assert examples == ("What is the article about?",)
    assert compose(examples[0], index).answered
