"""Composing answers: verbatim quotes with citations and their answering sentence marked, plain
refusals with suggestions, follow-ups read with the earlier question, long passages trimmed at
sentence boundaries; and questions on made-up articles about chemistry, sport and law."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import shipped_index, write_folder

from bot.answer import Answer, AnswerOptions, compose, evaluate
from bot.conversation import Turn
from bot.dialogue import guide_for, respond
from bot.evaluation import load_questions
from bot.index import Index
from bot.knowledge import load_folder
from bot.question import read

QUESTIONS = [q.question for q in load_questions()]
OFF_TOPIC = "Can you recommend a good book?"
BALLOON = "What was the spy balloon incident?"
INTERCEPTED = "Where was it intercepted?"
BEFORE_THAT = "When was the trip supposed to happen before that?"


def test_every_quote_is_verbatim_and_every_label_is_its_passages() -> None:
    index = shipped_index()
    by_id = {p.id: p for p in index.passages}
    answered = 0
    for question in QUESTIONS:
        answer = compose(question, index)
        answered += answer.answered
        for c in answer.citations:
            passage = by_id[c.passage_id]
            doc = passage.document
            assert c.quote
            assert c.quote in doc.text
            assert c.quote in passage.text
            assert (c.document, c.title, c.section, c.paragraph, c.url) == (
                doc.id, doc.title, passage.section, passage.paragraph, doc.url)
    assert answered > len(QUESTIONS) // 2


@pytest.mark.parametrize("max_citations", [1, 2, 3])
def test_at_most_max_citations(max_citations: int) -> None:
    options = AnswerOptions(max_citations=max_citations)
    counts = [len(compose(q, shipped_index(), options=options).citations) for q in QUESTIONS]
    assert max(counts) <= max_citations
    assert max(counts) >= 1


def test_citations_follow_the_ranking_best_first() -> None:
    index = shipped_index()
    for question in QUESTIONS:
        answer = compose(question, index)
        if not answer.answered:
            continue
        ranking = [c.hit.passage.id for c in evaluate(read(question), index).candidates]
        positions = [ranking.index(c.passage_id) for c in answer.citations]
        assert positions == sorted(positions)
        assert len(set(positions)) == len(positions)


def test_published_scores_are_best_first() -> None:
    index = shipped_index()
    for question in QUESTIONS:
        scores = [c.score for c in compose(question, index).citations]
        assert scores == sorted(scores, reverse=True), question


# ---- refusals ------------------------------------------------------------------------------

def assert_refused(answer: Answer) -> None:
    assert not answer.answered
    assert answer.citations == ()
    assert answer.reason in ("empty", "not_covered")


@pytest.mark.parametrize(
    "question",
    [OFF_TOPIC, "How do I bake bread?", "What's the weather in Paris?", "", "???", "the"],
)
def test_not_in_the_article_is_a_normal_result(question: str) -> None:
    assert_refused(compose(question, shipped_index()))


def test_a_refusal_suggests_example_questions_the_bot_answers() -> None:
    index = shipped_index()
    guide = guide_for(index)
    answer, _ = respond(OFF_TOPIC, None, index, guide=guide)
    assert not answer.answered
    assert len(answer.suggestions) == 2
    assert answer.suggestions == guide.examples[:2]
    assert all(compose(q, index).answered for q in answer.suggestions)
    assert not set(answer.suggestions) & set(index.sections)  # questions, not headings


# ---- follow-ups ----------------------------------------------------------------------------

def test_a_follow_up_is_read_with_the_earlier_question() -> None:
    answer = compose(INTERCEPTED, shipped_index(), context=(BALLOON,))
    assert answer.answered
    assert "interception" in answer.citations[0].quote
    assert answer.context == (BALLOON,)


def test_without_context_the_same_question_stands_alone() -> None:
    index = shipped_index()
    alone = compose(INTERCEPTED, index)
    assert alone.context == ()
    # The article mentions one interception, so this one is found alone too; a follow-up that
    # names nothing of its own is not.
    with_context = compose(BEFORE_THAT, index, context=(BALLOON,))
    without = compose(BEFORE_THAT, index)
    assert with_context.answered
    assert "interception" in with_context.citations[0].quote
    assert not without.answered or without.citations != with_context.citations


def test_a_self_contained_off_topic_question_ignores_the_context() -> None:
    answer = compose(OFF_TOPIC, shipped_index(), context=(BALLOON,))
    assert_refused(answer)
    assert answer.context == ()


def test_the_chain_of_follow_ups_keeps_its_thread() -> None:
    index = shipped_index()
    first = compose(BALLOON, index)
    turn = Turn(BALLOON, first.context)
    second = compose(INTERCEPTED, index, turn.follow_up_context())
    assert BALLOON in second.context
    turn = Turn(INTERCEPTED, second.context)
    assert turn.follow_up_context() == (INTERCEPTED, BALLOON)
    third = compose("and when was that?", index, turn.follow_up_context())
    assert third.answered
    assert BALLOON in third.context
    assert "interception" in third.citations[0].quote


def test_context_depth_bounds_how_far_back_a_follow_up_reads() -> None:
    options = AnswerOptions(context_depth=1)
    answer = compose(INTERCEPTED, shipped_index(), ("Who is Bill Gates?", BALLOON, "x"), options)
    assert len(answer.context) <= 1


# ---- trimming long passages ----------------------------------------------------------------

FILLER = " ".join(f"Sentence {i} is about ordinary harbour matters and nets." for i in range(12))
KEY = "The lighthouse keeper counted forty seagulls at dawn."


@pytest.fixture
def harbour(tmp_path: Path) -> Index:
    folder = write_folder(tmp_path / "k", {"harbour.txt": (
        f"Harbour Report\n\nNews:\n\n{FILLER} {KEY} {FILLER}\n\nA short paragraph about boats.\n"
        f"\nOne run-on sentence {'and then more words ' * 40}about the seagulls ends here\n"
    )})
    return Index(load_folder(folder))


def test_a_long_passage_is_trimmed_at_sentence_boundaries(harbour: Index) -> None:
    options = AnswerOptions(max_quote_chars=200, max_citations=1)
    answer = compose("How many seagulls did the lighthouse keeper count?", harbour, options=options)
    assert answer.answered
    [c] = answer.citations
    passage = harbour.passages[c.paragraph - 1]
    assert len(passage.text) > 200
    assert KEY in c.quote
    assert len(c.quote) <= 200
    assert c.trimmed_start
    assert c.trimmed_end
    assert c.quote in passage.document.text
    at = passage.text.index(c.quote)
    assert re.search(r"[.!?]\s+$", passage.text[:at])  # starts where a sentence starts
    assert c.quote.endswith(".")


def test_a_single_over_long_sentence_is_cut_at_a_word(harbour: Index) -> None:
    options = AnswerOptions(max_quote_chars=100, max_citations=1)
    answer = compose("run-on sentence", harbour, options=options)
    assert answer.answered
    [c] = answer.citations
    passage = harbour.passages[c.paragraph - 1]
    assert len(c.quote) <= 100
    assert c.trimmed_end
    assert c.quote in passage.text
    rest = passage.text[passage.text.index(c.quote) + len(c.quote) :]
    assert rest[:1].isspace()


def test_a_short_passage_is_quoted_whole(harbour: Index) -> None:
    answer = compose("boats", harbour, options=AnswerOptions(max_quote_chars=200))
    assert answer.answered
    c = answer.citations[0]
    assert c.quote == "A short paragraph about boats."
    assert not c.trimmed_start
    assert not c.trimmed_end


# ---- the answering sentence --------------------------------------------------------------

def test_the_highlight_is_a_verbatim_sentence_of_the_quote(harbour: Index) -> None:
    options = AnswerOptions(max_quote_chars=200, max_citations=1)
    [c] = compose("How many seagulls did the lighthouse keeper count?", harbour,
                  options=options).citations
    assert c.highlight == KEY
    assert c.quote[c.highlight_at : c.highlight_at + len(c.highlight)] == c.highlight


def test_every_highlight_lies_in_its_quote_and_holds_at_most_two_sentences() -> None:
    index = shipped_index()
    for question in QUESTIONS:
        for c in compose(question, index).citations:
            if c.highlight:
                assert c.quote[c.highlight_at :].startswith(c.highlight)
                assert c.highlight.count(". ") <= 1


# ---- any subject: made-up articles ---------------------------------------------------------

ARTICLES = {
    "chemistry.md": """---
title: Catalysts
---

# How catalysts work

A catalyst speeds up a chemical reaction without being used up.
Enzymes are the catalysts of living cells.

The Haber process makes ammonia from nitrogen and hydrogen over an iron catalyst at about
450 degrees Celsius.

Platinum in a car's catalytic converter turns carbon monoxide into carbon dioxide.
""",
    "sport.md": """---
title: The Harbour Cup
---

# The final

Northport beat Eastvale 3-1 in the final of the Harbour Cup on 12 May 2024.

The winning goal was scored by Lena Okafor in the 88th minute. She said the team had trained
for this moment all season.

The final was played at Riverside Park because the old stadium was closed for repairs.
""",
    "law.md": """---
title: Tenancy law
---

# Deposits

A landlord must return a tenant's deposit within 30 days of the end of the tenancy.

The Tenancy Act was passed in 1998 after years of disputes over unpaid deposits.

If the landlord keeps the deposit without reason, a court may order him to pay twice its
amount.
""",
}


@pytest.fixture(scope="module")
def subjects(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return Index(load_folder(write_folder(tmp_path_factory.mktemp("kb") / "k", ARTICLES)))


@pytest.mark.parametrize(("question", "answer_in"), [
    ("What are the catalysts of living cells?", "Enzymes are the catalysts"),
    ("At what temperature does the Haber process run?", "450 degrees"),
    ("What does platinum turn carbon monoxide into?", "carbon dioxide"),
    ("Who scored the winning goal in the final?", "Lena Okafor"),
    ("Why was the final played at Riverside Park?", "closed for repairs"),
    ("When was the Harbour Cup final?", "12 May 2024"),
    ("How long does a landlord have to return a deposit?", "30 days"),
    ("When was the Tenancy Act passed?", "1998"),
    ("What can a court order a landlord who keeps a deposit to pay?", "twice its"),
])
def test_questions_on_any_subject_are_answered_with_the_sentence_that_answers(
        subjects: Index, question: str, answer_in: str) -> None:
    answer = compose(question, subjects)
    assert answer.answered, question
    first = answer.citations[0]
    assert answer_in in first.quote
    assert answer_in in first.highlight


@pytest.mark.parametrize("question", [
    "How do I bake sourdough bread?", "Who won the chess olympiad in Baku?",
    "What is the capital of Mongolia?", "recipe for kung pao chicken",
])
def test_questions_no_article_speaks_of_are_refused(subjects: Index, question: str) -> None:
    answer, _ = respond(question, None, subjects, guide=guide_for(subjects))
    assert not answer.answered
    assert answer.reason == "not_covered"
    assert answer.suggestions  # example questions about these articles, each answered
    for example in answer.suggestions:
        assert compose(example, subjects).answered, example


def test_a_question_with_reaction_in_it_is_no_request_for_a_quote(subjects: Index) -> None:
    answer = compose("What speeds up reactions in cells?", subjects)
    assert answer.answered
    assert "Enzymes are the catalysts of living cells" in answer.citations[0].quote


def test_a_follow_up_on_another_subject_is_read_with_its_question(subjects: Index) -> None:
    answer = compose("and in which minute?", subjects,
                     ("Who scored the winning goal in the final?",))
    assert answer.answered
    assert "88th minute" in answer.citations[0].quote
