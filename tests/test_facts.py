"""Which kinds of fact a text holds: the evidence that a passage gives what a question asks for
("how many", "when", "who"...), on made-up texts from several subjects."""

from __future__ import annotations

import pytest

from bot.facts import FactKind, holds_unit, kinds_held, units_held
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


@pytest.mark.parametrize(("text", "unit"), [
    ("The reactor was shut down on 12 March after the leak.", "date"),
    ("The final was played on a wet Sunday.", "day"),
    ("The tenancy ends in June.", "month"),
    ("Copper smelting spread across Europe by 1850.", "year"),
    ("The league was founded in the 1990s.", "decade"),
    ("The statute dates from the 14th century.", "century"),
    ("Kick-off is at 19:45.", "clock"),
    ("The compound decays over 63 days.", "duration"),
    ("The trial lasted from 2001 to 2004.", "duration"),
    ("The goalkeeper retired aged 41.", "age"),
    ("The club paid £40 million for the striker.", "money"),
    ("The court fined the landlord 5,000 euros.", "money"),
    ("The catalyst raises the yield by 12%.", "percent"),
    ("Turnout fell to sixty per cent.", "percent"),
    ("The pipeline runs 300 kilometres to the coast.", "distance"),
    ("The crater is 2 miles wide.", "size"),
    ("Each sample weighs 25 grams.", "mass"),
    ("Water boils at 100 degrees at sea level.", "temperature"),
    ("The train reaches 300 km/h on the new line.", "speed"),
])
def test_a_sentence_gives_a_fact_in_the_unit(text: str, unit: str) -> None:
    assert holds_unit(text, unit, frozenset()) == (True,)


@pytest.mark.parametrize(("text", "unit"), [
    ("The compound decays slowly in sunlight.", "duration"),
    ("The club paid 40 goals' worth of effort.", "money"),  # a number, not an amount of money
    ("The striker scored 3 goals in the final.", "age"),
    ("The court sits in Strasbourg.", "year"),
    ("The tenant paid the rent late.", "percent"),
])
def test_a_sentence_without_the_unit_does_not_give_it(text: str, unit: str) -> None:
    assert holds_unit(text, unit, frozenset()) == (False,)


def test_each_sentence_of_a_passage_is_read_for_units_on_its_own() -> None:
    text = ("The enzyme was isolated in 1926. It speeds up the reaction tenfold. "
            "The patent cost $4,000.")
    assert holds_unit(text, "year", frozenset()) == (True, False, False)
    assert holds_unit(text, "money", frozenset()) == (False, False, True)
    assert [sorted(u & {"year", "money"}) for u in units_held(text)] == [
        ["year"], [], ["money"]]


@pytest.mark.parametrize(("text", "counted", "gives"), [
    ("The striker scored 3 goals in the final.", "goal", True),
    ("The striker scored three late goals.", "goal", True),  # a number word, two words apart
    ("The striker played 3 finals for the club and scored his goals in the league.", "goal",
     False),  # 3 counts finals
    ("The molecule holds six carbon atoms.", "atom", True),
    ("The court heard 12 appeals in 2019.", "judg", False),  # appeals are not judges
])
def test_a_count_is_a_number_of_the_thing_asked(text: str, counted: str, gives: bool) -> None:
    assert holds_unit(text, "count", frozenset({counted})) == (gives,)
    assert holds_unit(text, "count", frozenset()) == (True,)  # any number, when none is named
