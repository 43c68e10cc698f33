"""Telling the language of a question (and of the articles): by script, then by the words of
the languages that share it; an English question is never called foreign."""

from __future__ import annotations

import pytest
from helpers import SEED_FILE

from bot.language import detect, foreign, languages, named

ENGLISH = next(lang for lang in languages() if lang.code == "en")
FRENCH = next(lang for lang in languages() if lang.code == "fr")


@pytest.mark.parametrize(("text", "code"), [
    (SEED_FILE.read_text(encoding="utf-8"), "en"),
    ("Le ministre est arrivé à Pékin dimanche pour une visite de deux jours, la première "
     "depuis des années.", "fr"),
    ("Der Minister ist am Sonntag zu einem zweitägigen Besuch in Peking eingetroffen.", "de"),
    ("Министр прибыл в Пекин в воскресенье с двухдневным визитом.", "ru"),
    ("Ο υπουργός έφτασε στο Πεκίνο την Κυριακή.", "el"),
    ("大臣は日曜日に北京に到着した。", "ja"),
])
def test_the_language_of_a_text(text: str, code: str) -> None:
    found = detect(text)
    assert found is not None
    assert found.code == code


@pytest.mark.parametrize("text", ["", "12345 !!!", "x", "Xi Jinping Beijing", "😀🎈"])
def test_too_little_to_tell_is_no_language(text: str) -> None:
    assert detect(text) is None or text == "x"
    assert not foreign(text, ENGLISH)


@pytest.mark.parametrize("question", [
    "¿Por qué se pospuso la visita?", "Warum wurde der Besuch verschoben?",
    "Waarom werd het bezoek uitgesteld?", "Perché la visita è stata rinviata?",
    "中国间谍气球事件是什么？", "ما هو حادث منطاد التجسس؟", "Почему визит был отложен?",
])
def test_questions_in_other_languages_are_foreign_to_english(question: str) -> None:
    assert foreign(question, ENGLISH)


@pytest.mark.parametrize("question", [
    "recipe for kung pao chicken", "who won the nba finals", "bitcoin price today",
    "how do i reset my iphone", "Why was Blinken's visit postponed?", "fentanyl",
    "what is the gates foundation doing in china",
])
def test_english_questions_are_not_foreign_to_english(question: str) -> None:
    assert not foreign(question, ENGLISH)


def test_foreign_is_relative_to_the_language_the_articles_are_in() -> None:
    assert foreign("Why was the visit postponed?", FRENCH)
    assert not foreign("Pourquoi la visite a-t-elle été reportée ?", FRENCH)
    assert named("fr") == "French"
    assert named("xx") == "xx"


def test_a_text_of_names_or_made_up_words_is_no_language() -> None:
    from corpora import words

    assert detect(" ".join(words(400, seed=3))) is None  # "lv" won on the likelihood alone
    assert detect("Xi Jinping, Bill Gates, Antony Blinken, Wang Yi, Beijing, Washington. " * 5) \
        is None
