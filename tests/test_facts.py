"""Which kinds of fact a text holds: the evidence that a passage gives what a question asks for
("how many", "when", "who"...), on made-up texts from several subjects."""

from __future__ import annotations

import pytest

from bot.facts import FactKind, kinds_held
from bot.text import tokenize


@pytest.mark.parametrize(("text", "kind"), [
    ("The reaction releases twelve thousand joules.", FactKind.QUANTITY),
    ("The striker scored 3 goals in the final.", FactKind.QUANTITY),
    ("The statute was repealed in 1998.", FactKind.TIME),
    ("The match kicks off at 19:45 on Saturday.", FactKind.TIME),
    ("Copper was first smelted centuries ago.", FactKind.TIME),
    ("The court sits in Strasbourg, said the clerk.", FactKind.PLACE),
    ("The catalyst was found by a chemist named Haber.", FactKind.PERSON),
    ("The appeal failed because the evidence came too late.", FactKind.REASON),
    ("The judge said the appeal was late.", FactKind.SPEECH),
    ('The coach told reporters: "We will play to win every single game this year."',
     FactKind.SPEECH),
])
def test_a_text_holds_the_kind(text: str, kind: FactKind) -> None:
    assert kind in kinds_held(text)


@pytest.mark.parametrize(("text", "kind"), [
    ("The reaction is fast and clean.", FactKind.QUANTITY),
    ("The statute protects tenants.", FactKind.TIME),
    ("the court decided quickly.", FactKind.PERSON),  # no name: a sentence opens with "the"
    ("Sodium reacts with water.", FactKind.REASON),
])
def test_a_text_lacks_the_kind(text: str, kind: FactKind) -> None:
    assert kind not in kinds_held(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("It rose in 1998.", FactKind.TIME),  # a year is a time...
    ("It cost $1998.", FactKind.QUANTITY),  # ...unless it is money
    ("It rose by 1998%.", FactKind.QUANTITY),  # ...or a share
    ("It rose by 45 points.", FactKind.QUANTITY),
])
def test_a_year_is_a_time_and_other_numbers_are_amounts(text: str, expected: FactKind) -> None:
    held = kinds_held(text)
    assert expected in held
    other = FactKind.QUANTITY if expected is FactKind.TIME else FactKind.TIME
    assert other not in held


def test_what_the_question_itself_names_is_no_answer() -> None:
    # "When did the war of 1812 end?" is not answered by "1812", nor "who founded Rome" by Rome.
    text = "The war of 1812 was fought near Rome."
    assert FactKind.TIME in kinds_held(text)
    assert FactKind.TIME not in kinds_held(text, asked=set(tokenize("war of 1812")))
    assert FactKind.PERSON not in kinds_held(text, asked=set(tokenize("Rome")))
    assert FactKind.PERSON in kinds_held("It was founded by Romulus near Rome.",
                                         asked=set(tokenize("Rome")))


def test_months_and_days_are_times_not_names() -> None:
    held = kinds_held("The vote is on Monday, said a clerk in March.")
    assert FactKind.TIME in held
    assert FactKind.PERSON not in kinds_held("the vote is on Monday.")
