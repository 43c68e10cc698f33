"""The one tokenizer for passages and questions, and the question-side typo map and synonyms."""

from __future__ import annotations

import pytest
from helpers import shipped_index

from bot.index import passage_tokens
from bot.text import (
    QUESTION_WORDS,
    TypoMap,
    analyze_question,
    specificity,
    stem,
    synonyms_of,
    tokenize,
    words,
)


def test_inflections_share_one_stem() -> None:
    assert tokenize("visited") == tokenize("visits") == tokenize("visit") == tokenize("Visiting")


def test_case_is_folded() -> None:
    assert tokenize("BALLOON Balloon balloon") == [tokenize("balloon")[0]] * 3


@pytest.mark.parametrize("word", sorted(QUESTION_WORDS))
def test_question_words_are_dropped(word: str) -> None:
    assert tokenize(word) == []
    assert tokenize(word.capitalize() + " balloon?") == tokenize("balloon")


def test_stopwords_are_dropped() -> None:
    assert tokenize("the visit of the balloon to the sea") == tokenize("visit balloon sea")


@pytest.mark.parametrize("spelling", ["US", "U.S.", "United States", "USA", "U.S.A."])
def test_the_country_has_one_token_however_it_is_spelled(spelling: str) -> None:
    assert tokenize(f"flights to the {spelling} resumed") == tokenize(
        "flights to the United States resumed")
    assert len(tokenize(spelling)) == 1


def test_the_pronoun_us_is_dropped_but_the_country_is_not() -> None:
    [country] = tokenize("US")
    assert country not in tokenize("Tell us about the balloon")
    assert country in tokenize("Tell us about the US balloon")


def test_passages_and_questions_share_the_tokenizer() -> None:
    # A question's words are found in the index under the tokens the passages were given.
    index = shipped_index()
    tokens = set().union(*(passage_tokens(p) for p in index.passages))
    for question in ["Why was Blinken's visit postponed?", "the U.S. surveillance planes"]:
        assert set(tokenize(question)) <= tokens
        assert set(tokenize(question)) <= set(index.vocabulary)


def test_words_keep_question_words_and_apostrophes() -> None:
    assert words("Why was Blinken's visit postponed?") == [
        "why", "was", "blinken's", "visit", "postponed"]


def test_numbers_of_two_or_more_digits_are_content() -> None:
    assert "2019" in tokenize("visited in 2019")
    assert tokenize("point 1") == tokenize("point")


# ---- typo map ------------------------------------------------------------------------------

@pytest.mark.parametrize(("typo", "meant"), [("Blinkin", "blinken"), ("balloom", "balloon")])
def test_typos_in_questions_are_corrected_to_article_words(typo: str, meant: str) -> None:
    index = shipped_index()
    terms = analyze_question(f"What about {typo}?", index.vocabulary, index.typos)
    assert [(t.token, t.origin, t.word) for t in terms if t.origin != "synonym"] == [
        (stem(meant), "typo", typo.casefold())]


def test_typo_map_never_corrects_short_words() -> None:
    typos = TypoMap([("china", 10), ("chin", 3), ("tart", 2)])
    assert typos.max_edits("chn") == 0
    assert typos.correct("chn") is None
    assert typos.correct("tar") is None


def test_typo_map_never_corrects_common_english_words() -> None:
    typos = TypoMap([("whether", 5), ("balloon", 5)])
    assert "weather" not in typos
    assert typos.correct("weather") is None
    assert typos.correct("balloom") == "balloon"  # the same map does correct a real typo


def test_a_common_word_absent_from_the_article_stays_as_asked() -> None:
    index = shipped_index()
    terms = analyze_question("What's the weather in Paris?", index.vocabulary, index.typos)
    assert (stem("weather"), "asked") in [(t.token, t.origin) for t in terms]
    assert all(t.origin == "asked" for t in terms)


def test_known_words_are_not_corrected() -> None:
    typos = TypoMap([("balloon", 5), ("ballooning", 1)])
    assert "balloon" in typos
    assert typos.correct("balloon") is None


def test_ties_go_to_the_more_frequent_word() -> None:
    assert TypoMap([("plant", 1), ("plans", 9)]).correct("plans") is None
    assert TypoMap([("bland", 1), ("blind", 9)]).correct("blund") == "blind"
    assert TypoMap([("bland", 9), ("blind", 1)]).correct("blund") == "bland"


# ---- synonyms and weights ------------------------------------------------------------------

def test_synonyms_are_symmetric_and_weighted_below_asked_words() -> None:
    assert stem("visit") in synonyms_of(stem("trip"))
    assert stem("trip") in synonyms_of(stem("visit"))
    index = shipped_index()
    terms = analyze_question("the trip", index.vocabulary, index.typos)
    asked = [t for t in terms if t.origin == "asked"]
    added = [t for t in terms if t.origin == "synonym"]
    assert asked
    assert added
    assert all(t.token in index.vocabulary for t in added)
    assert max(t.weight for t in added) < min(t.weight for t in asked)


def test_rare_words_are_more_specific_than_common_ones() -> None:
    assert specificity("fentanyl") > specificity("want")
    assert specificity("want") >= 1.0


def test_fast_zipf_frequency_equals_wordfreq_on_its_own_word_list() -> None:
    import itertools

    from wordfreq import iter_wordlist
    from wordfreq import zipf_frequency as wordfreq_zipf

    from bot.text import zipf_frequency

    words = list(itertools.islice(iter_wordlist("en"), 0, 60000, 3))
    words += ["Blinken", "BLINKEN", "muvemu", "don't", "2019", "café", "İstanbul", "ß", "x"]
    assert [zipf_frequency(w) for w in words] == [wordfreq_zipf(w, "en") for w in words]
    assert zipf_frequency("the") > 7 > zipf_frequency("fentanyl") > 0 == zipf_frequency("qzxv")


@pytest.mark.parametrize(
    ("question", "reads_as"),
    [
        ("What's the point of the trip?", "the purpose of"),
        ("What is he hoping to achieve there?", "objective"),
        ("What does Washington want to get out of it?", "objective"),
        ("Did they meet at the same time?", "simultaneously"),
        ("Can the two sides work together?", "cooperate"),
        ("How will they get past the tensions?", "overcome"),
        ("What's Blinken's job title?", "who is Blinken"),
        ("Why was the trip put off?", "postponed"),
        ("Why was the visit pushed back?", "postponed"),
        ("What is Antony Blinken's role?", "who is Antony Blinken"),
        ("What's the US secretary of state's name?", "who is the US secretary of state"),
        ("what is the name of the microsoft founder?", "who is the microsoft founder?"),
        ("How big a deal is this visit?", "how significant"),
        ("what's the deal with the balloon", "what about the balloon"),
        ("what does blinken want?", "what is the objective of blinken"),
        ("is it a big deal", "significant"),
        ("How should they deal with the tension?", "handle"),
        ("do we know how the trip will turn out", "outcome"),
        ("what are the sore spots", "sticking points"),
        ("what have they been butting heads over", "clashing"),
        ("are the two sides at odds", "clashing"),
        ("when did an official this high up visit", "senior"),
        ("whats still stuck between them, like the main sore points", "sticking points"),
        ("what does it all come down to in the end", "depends on"),
        ("what stands in the way of a deal", "is an obstacle"),
        ("how do they wanna keep the rivalry from turning into a war", "want to prevent"),
        ("what went wrong over the last few years", "past few years"),
    ],
)
def test_idioms_are_read_literally(question: str, reads_as: str) -> None:
    from bot.text import normalize_question

    assert reads_as in normalize_question(question)


def test_an_idiom_rewrite_leaves_other_questions_alone() -> None:
    from bot.text import normalize_question

    for question in ["What is the role of trust?", "Who hopes for a thaw?",
                     "What did the officials work on?", "Is a trade deal likely?",
                     "Did the talks turn to trade?", "How high are the stakes?",
                     "When did he last go there?"]:
        assert normalize_question(question) == question


@pytest.mark.parametrize(
    ("question", "holds"),
    [("What's Blinken's job title?", ("Secretary of State", "official")),
     ("What is Washington hoping to get out of this trip?", ("objective",))],
)
def test_idiomatic_questions_find_the_passage_that_answers(
    question: str, holds: tuple[str, ...]
) -> None:
    from bot.answer import compose

    answer = compose(question, shipped_index())
    assert answer.answered
    assert any(words in answer.citations[0].quote for words in holds)


def test_typo_corrections_are_remembered_and_the_memory_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot import text

    typos = text.TypoMap([("balloon", 5), ("blinken", 9)])
    searched: list[str] = []
    closest = typos._closest
    monkeypatch.setattr(typos, "_closest", lambda w, t: searched.append(w) or closest(w, t))
    assert typos.correct("ballon") == "balloon"
    assert typos.correct("ballon") == "balloon"
    assert searched == ["ballon"]  # the second time from memory
    monkeypatch.setattr(text, "MEMO_SIZE", 3)
    for word in ["blinkn", "blinkem", "balloom", "ballooon"]:
        typos.correct(word)
    assert len(typos._memo) <= 3


def test_whether_something_matters_is_its_significance_but_what_is_the_matter_is_not() -> None:
    from bot.answer import compose
    from bot.text import normalize_question

    answer = compose("Why does the visit matter?", shipped_index())
    assert answer.answered
    assert "significance" in answer.citations[0].quote
    assert normalize_question("What's the matter?") == "what is wrong?"
    assert "matter" not in normalize_question("Will they talk, no matter what?")


def test_markup_pasted_into_a_question_is_not_read_as_words() -> None:
    from bot.text import normalize_question

    read = normalize_question("What was the <b>spy balloon</b> incident? &amp; <i>now</i>")
    assert "spy balloon" in read
    assert "<b>" not in read
    assert "amp" not in read
    assert normalize_question("Is 3 < 5 & 6 > 2?") == "Is 3 < 5 & 6 > 2?"  # not markup


def test_a_typo_the_articles_cannot_explain_is_read_as_the_english_word_meant() -> None:
    from bot.text import analyze_question

    vocabulary = {"summit", "plan", "first"}
    typos = TypoMap([(w, 3) for w in vocabulary])
    terms = analyze_question("when was the summit originaly suposed to happen", vocabulary, typos)
    # "suposed" is "supposed" and "originaly" "original", whose synonyms the articles use.
    assert {"plan", "first"} <= {t.token for t in terms}
    # A rare but real word is not a typo of a common one ("crashing", a synonym of collision).
    collision = {stem("collision")}
    asked = analyze_question("were they clashing", collision, TypoMap([("collision", 3)]))
    assert [t.token for t in asked] == [stem("clashing")]


@pytest.mark.parametrize(("asked", "written"), [
    ("rebuilt", "rebuilding"),  # an irregular form the stemmer leaves alone
    ("collide", "collision"),   # the verb asked, the noun written
    ("restoring", "rebuilding"),
    ("cancelled", "postponed"),
])
def test_asked_forms_reach_the_written_ones(asked: str, written: str) -> None:
    assert stem(written) in synonyms_of(stem(asked))
