"""Sentences, where answers live: split at full stops, never at decimals, initials or
abbreviations, with wiki artefacts kept out of what is highlighted; one scan of the text."""

from __future__ import annotations

import time

import pytest

from bot import sentences


def split(text: str) -> list[str]:
    return [text[a:b] for a, b in sentences.spans(text)]


def test_full_stops_questions_and_exclamations_end_sentences() -> None:
    assert split("Sodium reacts. Does it burn? It does!  Then it stops.") == [
        "Sodium reacts.", "Does it burn?", "It does!", "Then it stops."]


@pytest.mark.parametrize("text", [
    "The record stands at 9.75 seconds.",
    "X.25 was a protocol for packet switching.",
    "Rutherford B. Hayes won the disputed election.",
    "Some metals, i.e. sodium and potassium, react violently.",
    "Dr. Smith met Mr. Jones at St. Paul's.",
    "He studied in the U.S. for years.",
    "The band played (and sang) until 10 p.m. on Friday.",
])
def test_no_cut_at_decimals_initials_or_abbreviations(text: str) -> None:
    assert split(text) == [text]


def test_quotes_brackets_and_references_close_with_their_sentence() -> None:
    text = 'He said "It is over." Then he left.[12] The court rose.[citation needed] End.'
    assert split(text) == ['He said "It is over."', "Then he left.[12]",
                           "The court rose.[citation needed]", "End."]


def test_wiki_artefacts_are_kept_out_of_the_highlight() -> None:
    text = "[h] The court rose.[citation needed] [3]"
    start, end = sentences.clean(text, (0, len(text)))
    assert text[start:end] == "The court rose."
    assert sentences.clean("[1]", (0, 3)) == (0, 3)  # nothing but an artefact: left alone


def test_each_sentence_is_read_once_into_words_and_tokens() -> None:
    [first, second] = sentences.analysed("Enzymes speed up reactions. The rate doubled.")
    assert first.words == ("enzymes", "speed", "up", "reactions")
    assert first.tokens == ("enzym", "speed", "reaction")
    assert "the" in second.stems
    assert "the" not in second.tokens


@pytest.mark.parametrize("unit", [".", ". ", " ", "a.", "[", "[x] ", "!?", "Mr. "])
def test_splitting_is_linear_in_the_text_s_length(unit: str) -> None:
    def seconds(n: int) -> float:
        text = unit * n + " End"
        started = time.perf_counter()
        sentences.spans(text)
        sentences.clean(text, (0, len(text)))
        return time.perf_counter() - started

    small, large = seconds(5_000), seconds(20_000)
    assert large < 8 * small + 0.01
