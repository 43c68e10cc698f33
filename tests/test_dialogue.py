"""A conversation, message by message (`bot.dialogue.respond`, as `chat` and Telegram answer):
context only when a question needs it, "tell me more" until the articles are exhausted, small
talk and other languages, several questions in one message; on the seed article and on
made-up articles about chemistry and sport."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from conversations import chemistry_folder, sport_folder
from helpers import KNOWLEDGE_DIR

from bot.answer import Answer
from bot.conversation import Turn
from bot.dialogue import MAX_PARTS, next_turn
from bot.question import Intent
from bot.render import render_text
from bot.serving import KnowledgeService
from bot.settings import load_settings

BALLOON = "What was the spy balloon incident?"
OFF_TOPIC = "Can you recommend a good book?"


def service_for(folder: Path) -> KnowledgeService:
    return KnowledgeService.from_settings(
        load_settings(_env_file=None, knowledge_dir=folder, cache_dir=None))


@pytest.fixture(scope="module")
def seed() -> KnowledgeService:
    return service_for(KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def chemistry(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeService:
    return service_for(chemistry_folder(tmp_path_factory.mktemp("kb")))


@pytest.fixture(scope="module")
def sport(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeService:
    return service_for(sport_folder(tmp_path_factory.mktemp("kb")))


def converse(service: KnowledgeService, messages: Iterable[str]) -> list[Answer]:
    """Each message in turn, in one conversation, as `chat` asks them."""
    turn: Turn | None = None
    answers = []
    for message in messages:
        answer, turn = service.respond(message, turn)
        answers.append(answer)
    return answers


def paragraphs(answer: Answer) -> list[int]:
    return [c.paragraph for c in answer.citations]


# ---- context only when the question needs it -----------------------------------------------

@pytest.mark.parametrize("overview", ["summarize", "hello! what's this about?",
                                      "What is this article about?"])
def test_after_an_off_topic_question_an_overview_is_still_an_overview(
        seed: KnowledgeService, overview: str) -> None:
    off, answer = converse(seed, [OFF_TOPIC, overview])
    assert not off.answered
    assert answer.answered
    assert answer.intent is Intent.OVERVIEW
    assert answer == seed.respond(overview)[0]  # as if asked first: the refusal left nothing


def test_after_a_question_summarize_summarizes_the_article(seed: KnowledgeService) -> None:
    balloon, summary = converse(seed, [BALLOON, "summarize"])
    assert "balloon" in balloon.citations[0].quote
    assert summary.intent is Intent.OVERVIEW
    assert summary.citations == seed.respond("summarize")[0].citations  # as in `ask`
    assert "balloon" not in summary.citations[0].quote


@pytest.mark.parametrize(("service_name", "first", "follow_up", "expected"), [
    ("seed", BALLOON, "where did that happen?", "US territory"),
    ("seed", "Why was the visit postponed?", "and who was involved?", "Chinese"),
    ("chemistry", "Who won the Nobel Prize for ammonia?", "and when did the first plant open?",
     "1913"),
    ("chemistry", "When did the first ammonia plant open?", "where was that?", "Oppau"),
    ("sport", "Why was the final played at Riverside Park?", "and who was involved?",
     "Northport"),
])
def test_pronouns_and_ellipsis_are_read_with_the_question_before(
        request: pytest.FixtureRequest, service_name: str, first: str, follow_up: str,
        expected: str) -> None:
    service: KnowledgeService = request.getfixturevalue(service_name)
    asked, answer = converse(service, [first, follow_up])
    assert asked.answered
    assert answer.answered, follow_up
    assert any(expected in c.quote for c in answer.citations), [c.quote for c in
                                                                  answer.citations]
    assert answer.context[:1] == (first,)


def test_a_question_that_stands_on_its_own_starts_afresh(chemistry: KnowledgeService) -> None:
    _, alone = converse(chemistry, ["Who won the Nobel Prize for ammonia?",
                                    "What does platinum turn carbon monoxide into?"])
    assert alone.context == ()
    assert alone == chemistry.respond("What does platinum turn carbon monoxide into?")[0]


def test_small_talk_keeps_the_conversation_where_it_was(seed: KnowledgeService) -> None:
    direct = converse(seed, [BALLOON, "where did that happen?"])[-1]
    after_thanks = converse(seed, [BALLOON, "thanks!", "ok", "where did that happen?"])[-1]
    assert after_thanks == direct


def test_a_refused_question_forgets_the_thread_unless_it_leaned_on_it() -> None:
    before = Turn(BALLOON, (), ("doc#6",))
    refused = Answer(OFF_TOPIC, False, reason="not_covered")
    assert next_turn(OFF_TOPIC, refused, before) is None
    leaning = Answer("what was it carrying?", False, reason="not_covered", context=(BALLOON,))
    assert next_turn("what was it carrying?", leaning, before) is before


# ---- "tell me more" until the articles are exhausted ---------------------------------------

@pytest.mark.parametrize(("service_name", "question"), [
    ("seed", BALLOON),
    ("chemistry", "What does the Haber process make?"),
    ("sport", "When was the final of the Harbour Cup?"),
])
def test_tell_me_more_goes_on_until_that_is_all(
        request: pytest.FixtureRequest, service_name: str, question: str) -> None:
    service: KnowledgeService = request.getfixturevalue(service_name)
    answers = converse(service, [question, *["tell me more"] * 12])
    shown = [p for answer in answers for p in paragraphs(answer)]
    assert len(shown) == len(set(shown))  # never the same passage twice
    more = answers[1:]
    exhausted = next(i for i, a in enumerate(more) if not a.answered)
    assert exhausted >= 3  # more than the three turns the context keeps
    assert all(a.answered for a in more[:exhausted])
    assert all(a.reason == "no_more" for a in more[exhausted:])
    assert "That is all the article says about it." in render_text(more[exhausted])
    # Every paragraph of the first answer's section was shown by then.
    first = answers[0].citations[0]
    section = [p.paragraph for p in service.index.passages
               if p.document.id == first.document and p.section == first.section]
    assert set(section) <= set(shown)


def test_more_without_a_conversation_asks_what_about(seed: KnowledgeService) -> None:
    answer = seed.respond("tell me more")[0]
    assert not answer.answered
    assert answer.intent is Intent.MORE
    assert answer.reason == "empty"
    assert answer.suggestions  # what it could be asked instead


def test_a_follow_up_after_more_is_read_with_the_question(chemistry: KnowledgeService) -> None:
    answers = converse(chemistry, ["Who won the Nobel Prize for ammonia?", "tell me more",
                                   "more", "where did that happen?"])
    assert answers[-1].answered
    assert answers[-1].context[:1] == ("Who won the Nobel Prize for ammonia?",)


def test_an_answer_known_only_by_its_quotes_reads_on_to_the_end(
        sport: KnowledgeService) -> None:
    first = sport.respond("When was the final of the Harbour Cup?")[0]
    turn = sport.turn_from_quotes([" ".join(c.quote.split()) for c in first.citations])
    assert turn is not None
    assert not turn.asked
    assert turn.shown == tuple(c.passage_id for c in first.citations)
    seen = set(turn.shown)
    for _ in range(10):  # as if every reply reached another instance, or came after a restart
        answer, _ = sport.respond("tell me more", turn)
        if not answer.answered:
            break
        new = {c.passage_id for c in answer.citations}
        assert not new & seen
        seen |= new
        turn = sport.turn_from_quotes([" ".join(c.quote.split()) for c in answer.citations])
    assert answer.reason == "no_more"
    assert sport.turn_from_quotes([]) is None
    assert sport.turn_from_quotes(["words no passage holds"]) == Turn(
        "words no passage holds", (), (), asked=False)


# ---- small talk and other languages --------------------------------------------------------

@pytest.mark.parametrize(("message", "kind"), [
    ("hi", "greeting"), ("Hello!", "greeting"), ("thanks", "thanks"), ("Thank you so much!!",
                                                                         "thanks"),
    ("ok", "acknowledgement"), ("who are you?", "identity"), ("Hi, who are you?", "identity"),
    ("what can you do?", "abilities"), ("help", "abilities"), ("how are you?", "wellbeing"),
    ("bye", "farewell"),
])
@pytest.mark.parametrize("service_name", ["seed", "chemistry"])
def test_small_talk_gets_a_friendly_reply_with_examples(
        request: pytest.FixtureRequest, service_name: str, message: str, kind: str) -> None:
    service: KnowledgeService = request.getfixturevalue(service_name)
    answer = service.respond(message)[0]
    assert answer.reason == "small_talk"
    assert answer.small_talk == kind
    assert answer.citations == ()
    if kind != "farewell":
        assert len(answer.suggestions) == 2
        assert all(service.respond(q)[0].answered for q in answer.suggestions)


@pytest.mark.parametrize("question", [
    "¿Por qué se pospuso la visita de Blinken?", "Warum wurde der Besuch verschoben?",
    "Quel est le rôle de la Chine dans cette affaire ?", "Почему визит был отложен?",
    "中国间谍气球事件是什么？", "ما هو حادث منطاد التجسس؟",
])
def test_a_question_in_another_language_is_told_which_language_the_bot_reads(
        seed: KnowledgeService, question: str) -> None:
    answer = seed.respond(question)[0]
    assert answer.reason == "other_language"
    assert answer.language == "English"
    assert answer.suggestions


@pytest.mark.parametrize("question", [
    OFF_TOPIC, "recipe for kung pao chicken", "who won the nba finals", "Xi Jinping Beijing",
    "bitcoin price today",
])
def test_an_english_question_is_never_called_foreign(seed: KnowledgeService,
                                                     question: str) -> None:
    assert seed.respond(question)[0].reason != "other_language"


def test_a_french_knowledge_base_reads_french(tmp_path: Path) -> None:
    folder = tmp_path / "fr"
    folder.mkdir()
    (folder / "visite.md").write_text(
        "# La visite\n\nLe ministre est arrivé à Pékin dimanche pour une visite de deux jours."
        "\n\nLa visite avait été reportée en février à cause d'un ballon espion.\n",
        encoding="utf-8")
    service = service_for(folder)
    assert service.respond("Pourquoi la visite a-t-elle été reportée ?")[0].answered
    english = service.respond("Why was the visit of the minister postponed in February?")[0]
    assert english.reason == "other_language"
    assert english.language == "French"


# ---- several questions in one message ------------------------------------------------------

def test_two_questions_in_one_message_are_both_answered(seed: KnowledgeService) -> None:
    answer = seed.respond("Why was it postponed? Who is Xi meeting with?")[0]
    assert [p.question for p in answer.parts] == ["Why was it postponed?",
                                                  "Who is Xi meeting with?"]
    first, second = answer.parts
    assert "postponed" in first.citations[0].quote
    assert "Bill Gates" in second.citations[0].quote
    assert answer.citations == first.citations  # its own fields are the first question's
    assert answer.question == "Why was it postponed? Who is Xi meeting with?"


def test_each_question_is_read_with_the_one_before(sport: KnowledgeService) -> None:
    answer = sport.respond("Who scored the winning goal? In which minute?")[0]
    assert "Lena Okafor" in answer.parts[0].citations[0].quote
    assert "88th minute" in answer.parts[1].citations[0].quote


def test_a_question_left_unanswered_says_so(chemistry: KnowledgeService) -> None:
    answer = chemistry.respond("What does platinum turn carbon monoxide into? "
                               "What is the capital of Mongolia?")[0]
    answered, refused = answer.parts
    assert answered.answered
    assert not refused.answered
    assert refused.reason == "not_covered"


def test_at_most_three_questions_are_answered_and_the_rest_counted(
        chemistry: KnowledgeService) -> None:
    questions = ["What do catalysts do?", "Who won the Nobel Prize in 1918?",
                 "Where did the first plant open?", "What does platinum turn into?",
                 "Why do thieves steal converters?"]
    answer = chemistry.respond(" ".join(questions))[0]
    assert len(answer.parts) == MAX_PARTS
    assert [p.question for p in answer.parts] == questions[:MAX_PARTS]
    assert answer.unanswered_parts == 2


def test_a_repeated_question_and_a_greeting_are_no_parts(seed: KnowledgeService) -> None:
    assert not seed.respond((BALLOON + " ") * 40)[0].parts
    hello = seed.respond("Hi! Why was the visit postponed?")[0]
    assert not hello.parts
    assert hello.answered
    assert hello.question == "Hi! Why was the visit postponed?"


def test_after_several_questions_a_follow_up_leans_on_the_last(
        seed: KnowledgeService) -> None:
    _, follow_up = converse(seed, ["Why was it postponed? Who is Xi meeting with?",
                                   "where will they meet?"])
    assert follow_up.context[:1] == ("Who is Xi meeting with?",)
