"""Grouping near-duplicate questions, on made-up questions of several subjects."""

from __future__ import annotations

import time

import pytest

from bot.question_groups import group, same_question, signature


def grouped(questions: list[str]) -> list[list[str]]:
    return [[questions[i] for i in g.members] for g in group(questions)]


@pytest.mark.parametrize(("a", "b"), [
    ("why was the visit postponed", "Why was Blinken's visit postponed?"),
    ("Why was the visit postponed?", "why was Blinken's visit to China postponed"),  # details
    ("What is the capital of France?", "what's France's capital"),
    ("WHEN DID THE WAR START", "when did the war start?!"),
    ("How do volcanoes erupt?", "how does a volcano erupt"),  # stems
    ("Where is the observatory located?", "Where is the observatry located?"),  # a typo
    ("what did the president say about steel tariffs",
     "what did the president announce about tariffs on steel"),
    ("What caused the war?", "what caused the war to start"),
    ("recipe banana bread", "banana bread recipe"),  # word order
])
def test_the_same_question_in_other_words(a: str, b: str) -> None:
    assert same_question(signature(a), signature(b))
    assert len(group([a, b])) == 1


@pytest.mark.parametrize(("a", "b"), [
    ("When did Blinken visit China?", "Why was Blinken's visit postponed?"),  # when / why
    ("When did the war start?", "When did the war end?"),
    ("Who won the 2019 election?", "Who won the 2020 election?"),  # other numbers
    ("Who is Blinken?", "Why was Blinken's visit postponed?"),  # a word in common only
    ("How many people live in Paris?", "How many people live in Lyon?"),
    ("Who studies the glacier?", "Who studies the vaccine?"),
    ("Why was the visit postponed?", "visit"),  # a word is not the question
    ("What is photosynthesis?", "What is the capital of France?"),
])
def test_different_questions_stay_apart(a: str, b: str) -> None:
    assert not same_question(signature(a), signature(b))
    assert len(group([a, b])) == 2


def test_groups_are_largest_first_with_the_most_asked_wording() -> None:
    questions = [
        "How tall is the Eiffel Tower?",
        "why was the visit postponed",
        "Why was Blinken's visit postponed?",
        "Why was Blinken's visit postponed?",
        "why was blinken's  visit postponed?",
        "What does photosynthesis produce?",
        "what does photosynthesis produce",
        "How tall is the Eiffel tower",
        "what does Photosynthesis produce?",
        "Who discovered penicillin?",
    ]
    groups = group(questions)
    assert [g.count for g in groups] == [4, 3, 2, 1]
    # Case and spacing aside, the wording asked most; of its spellings, the latest.
    assert groups[0].representative == "why was blinken's visit postponed?"
    assert groups[1].representative == "what does Photosynthesis produce?"
    assert [questions[i] for i in groups[3].members] == ["Who discovered penicillin?"]
    assert sorted(i for g in groups for i in g.members) == list(range(len(questions)))


def test_questions_without_content_words_group_by_their_words() -> None:
    assert grouped(["What is it?", "Is it?", "Hello", "what is it", "hello!", "is it"]) == [
        ["What is it?", "what is it"], ["Is it?", "is it"], ["Hello", "hello!"]]
    assert grouped(["???", "!!!"]) == [["???", "!!!"]]  # no words at all: nothing to tell apart
    assert group([]) == []


def test_thousands_of_questions_group_quickly() -> None:
    subjects = ["glacier", "volcano", "election", "tariff", "vaccine", "satellite", "harvest",
                "railway", "currency", "earthquake"]
    asks = ["When did the {} start?", "Why is the {} important?", "Who studies the {}?",
            "Where is the {} located?"]
    questions = [asks[i % 4].format(f"{subjects[i % 10]} {10 + i // 40}") for i in range(4000)]
    started = time.perf_counter()
    groups = group(questions)
    assert time.perf_counter() - started < 5.0
    assert len(groups) == len(set(questions))  # each distinct question its own group
