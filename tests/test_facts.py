"""What kind of fact a question asks for, whether a passage holds one, and the answers that follow:
a passage that shares the words but not the asked-for fact does not answer."""

from __future__ import annotations

import re

import pytest
from helpers import shipped_index
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import facts
from bot.answer import compose, gather
from bot.facts import FactKind, asked_kind, holds

FENTANYL_AMOUNT = "How much fentanyl reaches the US each year?"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        (FENTANYL_AMOUNT, FactKind.QUANTITY),
        ("How many Americans are detained in China?", FactKind.QUANTITY),
        ("What number of flights were cancelled?", FactKind.QUANTITY),
        ("What is Xi Jinping's age?", FactKind.QUANTITY),
        ("What is Bill Gates' net worth?", FactKind.QUANTITY),
        ("What did Xi and Gates agree on?", FactKind.SPEECH),
        ("What is the population of Beijing?", FactKind.QUANTITY),
        ("When will Blinken visit China?", FactKind.TIME),
        ("and when was that?", FactKind.TIME),
        ("What year did the tensions start?", FactKind.TIME),
        ("Where did the near-collision happen?", FactKind.PLACE),
        ("In which sea did it happen?", FactKind.PLACE),
        ("Who will Xi meet in Beijing?", FactKind.PERSON),
        ("Which official visited China in 2019?", FactKind.PERSON),
        ("What did Blinken say after landing?", FactKind.SPEECH),
        ("What was discussed at the meeting?", FactKind.SPEECH),
        # How long it has been is a time ("since 2019"); how long something lasts, an amount.
        ("How long has it been since a US official visited?", FactKind.TIME),
        ("How many years since the last visit?", FactKind.TIME),
        ("how long ago was the balloon incident", FactKind.TIME),
        ("How long will Blinken stay?", FactKind.QUANTITY),
        ("How many years did the talks last?", FactKind.QUANTITY),
        ("What did the balloon cost?", FactKind.QUANTITY),
        ("what was the original date of the trip", FactKind.TIME),
        ("How expensive was the trip?", FactKind.QUANTITY),
        # Typed as keywords, the question word comes last.
        ("blinken china trip when?", FactKind.TIME),
        ("near collision where", FactKind.PLACE),
    ],
)
def test_asked_kind(question: str, kind: FactKind) -> None:
    assert asked_kind(question) is kind


@pytest.mark.parametrize(
    "question",
    [
        "What are the sticking points?",
        "Why does the article bring up Bill Gates?",  # what he has to do with it, not a cause
        "Is fentanyl a problem between the US and China?",
        "What does the article say about trade disputes?",  # about trade, not a quote
        "fentanyl",
    ],
)
def test_questions_that_ask_for_no_checkable_fact(question: str) -> None:
    assert asked_kind(question) is None


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (FactKind.QUANTITY, "The keeper counted forty seagulls."),
        (FactKind.QUANTITY, "It was the 3rd visit in 12 months."),
        (FactKind.TIME, "Blinken is set to visit China on Sunday."),
        (FactKind.TIME, "The trip was scheduled for February."),
        (FactKind.PLACE, "The jets met over the South China Sea."),
        (FactKind.PLACE, "The balloon flew over US territory."),
        (FactKind.PERSON, "He will meet Microsoft founder Bill Gates."),
        (FactKind.PERSON, "Both sides recognize the need for talks."),
        (FactKind.SPEECH, "Blinken said the talks were candid."),
        (FactKind.SPEECH, "According to officials, the meeting went well."),
    ],
)
def test_holds(kind: FactKind, text: str) -> None:
    assert holds(kind, text)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (FactKind.QUANTITY, "the flow of fentanyl from China is a concern."),
        (FactKind.QUANTITY, "It was the first visit since 2019."),
        (FactKind.TIME, "the flow of fentanyl from China is a concern."),
        (FactKind.PLACE, "its outcome remains uncertain."),
        (FactKind.PERSON, "its outcome remains uncertain."),
        (FactKind.SPEECH, "its outcome remains uncertain."),
        (FactKind.SPEECH, "Trust between the United States and China is crucial."),  # no verb
    ],
)
def test_does_not_hold(kind: FactKind, text: str) -> None:
    assert not holds(kind, text)


def fentanyl_passage_index() -> int:
    index = shipped_index()
    [i] = [i for i, p in enumerate(index.passages) if "fentanyl" in p.text.casefold()]
    return i


def test_the_fentanyl_passage_gives_no_amount() -> None:
    passage = shipped_index().passages[fentanyl_passage_index()]
    assert not holds(FactKind.QUANTITY, passage.text)


def test_asking_for_an_amount_the_article_lacks_is_refused() -> None:
    index = shipped_index()
    fentanyl = index.passages[fentanyl_passage_index()]
    evidence = gather(FENTANYL_AMOUNT, index)
    # The passage was found; it is refused for lacking the amount, not for lack of words.
    assert any(c.hit.passage is fentanyl and not c.fact_ok for c in evidence.candidates)
    answer = compose(FENTANYL_AMOUNT, index)
    assert not answer.answered
    assert answer.citations == ()


@pytest.mark.parametrize(
    "question",
    ["What are the sticking points?", "Is fentanyl a problem between the US and China?"],
)
def test_the_same_passage_answers_when_no_amount_is_asked(question: str) -> None:
    index = shipped_index()
    answer = compose(question, index)
    assert answer.answered
    assert answer.citations[0].passage_id == index.passages[fentanyl_passage_index()].id


def test_a_passage_that_holds_the_fact_answers() -> None:
    # "When" finds the passage that gives a month, not one that merely mentions the trip.
    answer = compose("When was Blinken's visit initially scheduled?", shipped_index())
    assert answer.answered
    assert holds(FactKind.TIME, answer.citations[0].quote)


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("Who is the US ambassador to China?", "Blinken met officials in Beijing.", False),
        ("Who is the US ambassador to China?", "Nicholas Burns, the ambassador, was there.", True),
        ("Who was the leader of the delegation?", "The president led the delegation.", True),
        ("Who was the leader of the delegation?", "The president led it, said Blinken.", False),
        ("who is the spokesman for the ministry", "Wang Wenbin said it was a balloon.", False),
        ("Who is the president of the United States?", "Chinese President Xi met him.", False),
        ("Who is the president of China?", "Chinese President Xi met him.", True),
        ("Who is the founder of Microsoft?", "He met Microsoft founder Bill Gates.", True),
    ],
)
def test_asking_who_holds_a_role_needs_a_passage_that_names_the_role(
    question: str, text: str, expected: bool
) -> None:
    # "president" answers "leader": the role may be named by a synonym.
    assert holds(FactKind.PERSON, text, question) is expected


def test_on_what_date_asks_for_a_day_not_a_month() -> None:
    question = "On what date was the balloon shot down?"
    assert not holds(FactKind.TIME, "It was shot down in February.", question)
    assert holds(FactKind.TIME, "It was shot down on 4 February.", question)
    assert holds(FactKind.TIME, "It was shot down in February.", "When was it shot down?")


@pytest.mark.parametrize("question", ["who is the US ambassador to China",
                                      "On what exact date was the spy balloon shot down?"])
def test_role_and_date_questions_the_article_cannot_answer_are_refused(question: str) -> None:
    assert not compose(question, shipped_index()).answered


@pytest.mark.parametrize(
    ("question", "text", "clash"),
    [
        ("When is Blinken going to China?", "The visit was scheduled for February.", True),
        ("When is Blinken going to China?", "Blinken is set to visit on Sunday.", False),
        ("When was the visit first planned?", "Blinken is set to visit on Sunday.", True),
        ("When was the visit first planned?", "It was scheduled for February.", False),
        ("How many people went?", "It was scheduled for February.", False),
    ],
)
def test_a_when_question_and_a_passage_about_another_time_clash(
    question: str, text: str, clash: bool
) -> None:
    from bot.facts import tense_clash

    assert tense_clash(question, text) is clash


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("When will Blinken visit China?", "He is the first to visit since 2019.", False),
        ("When will Blinken visit China?", "The past few years were tense.", False),
        ("When will Blinken visit China?", "He is set to visit on Sunday.", True),
        ("When did an official this senior last visit?", "The first since 2019.", True),
    ],
)
def test_a_time_in_the_past_does_not_say_when_something_will_happen(
    question: str, text: str, expected: bool
) -> None:
    assert holds(FactKind.TIME, text, question) is expected


def test_when_the_visit_will_be_is_answered_by_its_date_not_by_since_2019() -> None:
    answer = compose("When will Blinken visit China?", shipped_index())
    assert answer.answered
    assert "Sunday" in answer.citations[0].quote


@pytest.mark.parametrize(("text", "expected"), [
    ("He is the most senior official to visit since 2019.", False),
    ("It happened in 2019 and again in 2020.", False),
    ("In 2019, 40 officials visited.", True),
    ("About 2,019 tons were shipped.", True),
])
def test_a_year_is_not_an_amount(text: str, expected: bool) -> None:
    assert holds(FactKind.QUANTITY, text, "How many officials visited?") is expected


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("When could an eruption begin?", "An eruption could begin within days.", True),
        ("When will the spa reopen?", "It will reopen soon, officials said.", True),
        ("When did the eruption end?", "An eruption could begin within days.", False),
        ("When did the eruption end?", "It ended on Friday night.", True),
    ],
)
def test_how_soon_answers_when_something_will_happen_not_when_it_did(
    question: str, text: str, expected: bool
) -> None:
    assert holds(FactKind.TIME, text, question) is expected


# The rule `_has_name` implements, as one pattern: slower (its look-behinds are tried at every
# position), so the bot scans from each capital instead, and must agree with it.
_NAME_RULE = re.compile(r"(?<![.!?:]\s)(?<!^)(?<![\"“‘(])\b[A-Z][\w'’-]+")

@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZxBMay Sunday.!?:\"“‘(-'’\n\t 1")), max_size=40))
def test_a_name_is_found_exactly_where_the_rule_says(text: str) -> None:
    expected = any(m not in facts._NOT_NAMES for m in _NAME_RULE.findall(text))
    assert facts._has_name(text) == expected


@pytest.mark.parametrize(("text", "named"), [
    ("Blinken arrives on Sunday.", False),  # opens the text
    ("He met Xi in Beijing.", True),
    ("It ended. Then it began.", False),  # opens a sentence
    ('He said: "Talks resume."', False),  # opens a quote
    ("It was May and then Monday.", False),  # a month and a day are not names
    ("Officials in Jean-Pierre's office", True),
])
def test_names_are_capitalised_words_that_do_not_open_a_sentence(text: str, named: bool) -> None:
    assert facts._has_name(text) is named


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        # A participle ends the role: the leader is asked about, not "seeing".
        ("who is the chinese leader seeing in beijing", "President Xi meets Bill Gates.", True),
        ("Which Chinese foreign minister is Blinken meeting?", "Blinken may meet President Xi.",
         False),
        ("Which Chinese foreign minister is Blinken meeting?",
         "He will meet Foreign Minister Qin Gang.", True),
    ],
)
def test_which_title_asks_who_holds_it(question: str, text: str, expected: bool) -> None:
    assert asked_kind(question) is FactKind.PERSON
    assert holds(FactKind.PERSON, text, question) is expected


@pytest.mark.parametrize(("question", "kind"), [
    ("Which countries were hit by the sanctions?", FactKind.PLACE),
    ("which us state was it flying over", FactKind.PLACE),
    ("What cities did he visit?", FactKind.PLACE),
    ("What state is the relationship in?", None),  # a condition, not a place
])
def test_which_places_asks_for_a_place(question: str, kind: FactKind | None) -> None:
    assert asked_kind(question) is kind


@pytest.mark.parametrize(("question", "text", "expected"), [
    ("Why is Gates meeting Xi?", "Xi meets Microsoft founder Bill Gates in Beijing.", False),
    ("Why is Gates meeting Xi?", "Gates is meeting Xi to discuss health, as he does yearly.",
     True),
    ("how come the trip was postponed", "It was postponed due to the balloon.", True),
    ("What was the reason for the delay?", "The delay came after a storm.", True),
])
def test_a_why_question_is_answered_by_a_passage_that_gives_a_reason(
    question: str, text: str, expected: bool
) -> None:
    assert asked_kind(question) is FactKind.REASON
    assert holds(FactKind.REASON, text, question) is expected


@pytest.mark.parametrize(("question", "text", "expected"), [
    ("What time does Blinken land?", "Blinken lands in Beijing on Sunday.", False),
    ("What time does Blinken land?", "Blinken lands on Sunday at 9 a.m.", True),
    ("What time does Blinken land?", "Blinken lands on Sunday morning.", True),
    ("When exactly was the balloon shot down?", "It was shot down in February.", False),
    ("When exactly was the balloon shot down?", "It was shot down on 4 February.", True),
])
def test_asking_what_time_or_exactly_when_needs_that_precision(
    question: str, text: str, expected: bool
) -> None:
    assert holds(FactKind.TIME, text, question) is expected


def test_when_s_asks_about_what_is_planned() -> None:
    # "when's he heading over" is "when is": a date that is past does not answer it.
    assert not holds(FactKind.TIME, "He has not visited since 2019.", "when's he going?")
    assert holds(FactKind.TIME, "He is set to visit on Sunday.", "when's he going?")


def test_recognising_a_need_is_a_stated_position() -> None:
    question = "What do both sides agree is needed?"
    assert asked_kind(question) is FactKind.SPEECH
    assert holds(FactKind.SPEECH, "Both sides recognize the need for stable channels.", question)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab9_ ,.;:!?'\"()-—–’“”…\n\t")), max_size=60))
def test_a_passage_s_words_are_its_word_characters_between_punctuation(text: str) -> None:
    assert facts._words_of(text) == set(re.findall(r"\w+", text))


@pytest.mark.parametrize("question", ["How did Beijing react to the visit?",
                                      "How did China respond?",
                                      "What was the reaction in Washington?",
                                      "What does Blinken personally think of Xi?",
                                      "what's his opinion of the talks"])
def test_how_someone_reacted_or_what_they_think_is_asked_as_what_they_said(question: str) -> None:
    assert asked_kind(question) is FactKind.SPEECH
    assert not holds(FactKind.SPEECH, "The visit coincides with Xi's meeting with Gates.", question)
    assert holds(FactKind.SPEECH, "Beijing condemned the decision.", question)


@pytest.mark.parametrize(("question", "plain"), [
    ("How many people went?", True), ("Who went?", True), ("When did it happen?", False),
    ("When?", True), ("What day is it?", False), ("Who is the president of China?", False),
])
def test_only_a_fact_asked_plainly_is_read_from_the_index(question: str, plain: bool) -> None:
    fact = facts.read_question(question)
    assert fact is not None
    assert bool(fact.plain_bit) is plain


def test_a_fact_kind_s_cue_words_are_in_every_question_its_pattern_matches() -> None:
    # The cues only spare questions the pattern: they must never hide one it would match.
    import json

    from helpers import ROOT

    questions = [json.loads(line)["question"]
                 for name in ("questions", "holdout", "blind")
                 for line in (ROOT / "tests" / "eval" / f"{name}.jsonl").read_text().splitlines()]
    questions += ["What's Xi's net worth?", "Blinken's age?", "the population of China",
                  "Dates?", "How soon?", "On what date?", "whom did he meet",
                  "which European countries objected", "How did Beijing respond?",
                  "what's his opinion of it", "how come it was delayed"]
    matched = 0
    for question in questions:
        present = set(facts._WORD.findall(question.lower()))
        for kind, pattern in facts._ASKS:
            if pattern.search(question):
                matched += 1
                assert not present.isdisjoint(facts._ASK_CUES[kind]), (kind, question)
    assert matched > 100


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("How much did the new pier cost?", "The new pier cost 4 million dollars.", True),
        ("How much did the new pier cost?", "The pier cost the town $850,000.", True),
        ("How much did the new pier cost?", "The two towns built the new pier.", False),
        ("What is the price of a ferry ticket?", "A ticket is 12 euros each way.", True),
        ("What is the price of a ferry ticket?", "Ferries leave 3 times a day.", False),
        ("How many ferries sail each day?", "Three ferries sail each day.", True),
    ],
)
def test_a_question_about_money_needs_an_amount_of_money(
    question: str, text: str, expected: bool
) -> None:
    # "two superpowers" is a number, but no price.
    assert holds(FactKind.QUANTITY, text, question) is expected
