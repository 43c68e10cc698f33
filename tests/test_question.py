"""Reading a question once into a `Query`: the kind of fact asked, its words and synonyms, and
whether it asks for more, for an overview, or leans on the question before. General English:
questions on chemistry, sport and law. Every pass is linear in the question's length."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.facts import FactKind
from bot.question import Intent, read
from bot.text import stem


@pytest.mark.parametrize(("question", "kind"), [
    ("When was the catalyst discovered?", FactKind.TIME),
    ("In what year did the statute pass?", FactKind.TIME),
    ("How long ago was copper first smelted?", FactKind.TIME),  # not an amount
    ("How many goals did the striker score?", FactKind.QUANTITY),
    ("What percentage of the vote did it win?", FactKind.QUANTITY),
    ("In which city does the court sit?", FactKind.PLACE),
    ("Where is the stadium?", FactKind.PLACE),
    ("Who coached the team in 1990?", FactKind.PERSON),
    ("What is the name of the judge?", FactKind.PERSON),
    ("Why did the appeal fail?", FactKind.REASON),
    ("What did the judge say about the appeal?", FactKind.SPEECH),
    ("How did the club react to the ban?", FactKind.SPEECH),
    ("What speeds up reactions in cells?", None),  # "reaction" is chemistry, not a quote
    ("What is an enzyme?", None),
])
def test_the_kind_of_fact_asked(question: str, kind: FactKind | None) -> None:
    assert read(question).kind is kind


def test_words_are_read_once_as_tokens_with_the_lexicon_s_synonyms() -> None:
    query = read("Why was the match postponed?")
    assert query.tokens == (stem("match"), stem("postponed"))
    assert (stem("delay"), stem("postpone")) in query.synonyms
    assert query.phrases == ((stem("match"), stem("postponed")),)


def test_idioms_and_shorthand_are_read_literally() -> None:
    assert read("wen was the trial put off?").words == ("when", "was", "the", "trial",
                                                        "postpone")
    assert stem("cooper") in read("Did the labs work together?").tokens
    assert read("how come the verdict was quashed").kind is FactKind.REASON


def test_markup_pasted_into_a_question_is_not_read_as_words() -> None:
    query = read("What was the <b>verdict</b>? &amp; <i>now</i>")
    assert "verdict" in query.words
    assert not {"b", "i", "amp"} & set(query.words)
    assert "5" in read("Is 3 < 5 & 6 > 2?").words  # comparison signs are no markup


@pytest.mark.parametrize("question", ["tell me more", "Go on", "ok, anything else?",
                                      "more please", "can you elaborate?"])
def test_requests_for_more(question: str) -> None:
    # Without a conversation too: the answer then says there is nothing to go on from.
    assert read(question, ("Who won the cup?",)).intent is Intent.MORE
    assert read(question).intent is Intent.MORE


@pytest.mark.parametrize("question", ["What is this article about?", "Summarize it",
                                      "tl;dr", "what's the headline of this story"])
def test_overviews(question: str) -> None:
    assert read(question).intent is Intent.OVERVIEW


def test_in_a_conversation_it_means_what_was_discussed() -> None:
    assert read("What is it about?", ("Who won the cup?",)).intent is Intent.QUESTION
    assert read("What is the article about?", ("Who won the cup?",)).intent is Intent.OVERVIEW


@pytest.mark.parametrize(("question", "leans"), [
    ("Where was it signed?", True), ("and the second reading?", True), ("why?", True),
    ("Who signed the treaty of Rome?", False),
])
def test_follow_ups_are_marked(question: str, leans: bool) -> None:
    assert read(question).leans_on_context is leans


def test_names_negations_and_the_earlier_questions() -> None:
    query = read("Did the court not hear Maria Lopez?", ("Who was the judge?",))
    assert query.names == ("Maria", "Lopez")
    assert query.negated
    assert query.yes_no
    assert [q.text for q in query.context] == ["Who was the judge?"]
    assert read("What Did The Court Decide About Tenants?").names == ()  # title case


# ---- hostile questions: linear time --------------------------------------------------------

HOSTILE = ["what do they want ", "what did ", "  ", "?!.,;", "the the ", "how did it react ",
           "who is the ", "<b>", "&amp;", "a.b.c. ", "U.S. ", "what is this article about "]


def _seconds(question: str) -> float:
    started = time.perf_counter()
    read(question + str(time.perf_counter()))  # never from the reader's memory
    return time.perf_counter() - started


@settings(max_examples=25, deadline=None)
@given(parts=st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=4))
def test_reading_is_linear_in_the_question_s_length(parts: list[str]) -> None:
    unit = "".join(parts)
    short = unit * max(1, 1000 // len(unit))
    long = short * 4
    best_short = min(_seconds(short) for _ in range(3))
    best_long = min(_seconds(long) for _ in range(3))
    # Four times the text, at most about four times the work (and never seconds).
    assert best_long < 8 * best_short + 0.005
    assert best_long < 0.1


def test_a_telegram_length_hostile_question_costs_little_more_than_an_ordinary_one() -> None:
    ordinary = min(_seconds("What did the court decide?") for _ in range(5))
    for phrase in ("what do they want ", "what did ", "how did he react to "):
        hostile = (phrase * (4096 // len(phrase)))[:4096]
        assert min(_seconds(hostile) for _ in range(3)) < ordinary + 0.030


@pytest.mark.parametrize(("question", "unit", "counted"), [
    ("On what date was the reactor shut down?", "date", set()),
    ("In which month does the tenancy end?", "month", set()),
    ("What year did the statute pass?", "year", set()),
    ("In what century was the cathedral built?", "century", set()),
    ("How long does the compound take to decay?", "duration", set()),
    ("How old was the goalkeeper when he retired?", "age", set()),
    ("How much did the club pay for the striker?", "money", set()),
    ("What percentage of the vote did the party win?", "percent", set()),
    ("How far does the pipeline run?", "distance", set()),
    ("How heavy is each sample?", "mass", set()),
    ("How fast does the train go?", "speed", set()),
    ("How many goals did the striker score?", "count", {"goal"}),
    ("How many carbon atoms does the molecule hold?", "count", {"carbon", "atom"}),
    ("How many were injured in the crash?", "count", set()),  # what is counted is not said
    ("Why did the appeal fail?", None, set()),
    ("Who coached the team?", None, set()),
])
def test_a_question_asks_for_a_unit(question: str, unit: str | None, counted: set[str]) -> None:
    query = read(question)
    assert query.unit == unit
    assert query.counted == frozenset(stem(w) for w in counted)
