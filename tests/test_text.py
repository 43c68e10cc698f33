"""The one tokenizer for passages and questions (stopwords from config/lexicon/stopwords.txt),
the typo map, and word rarity; none of them keeps absurd "words" in memory."""

from __future__ import annotations

import pytest
from helpers import shipped_index

from bot.answer import shipped_model
from bot.evidence import resolve
from bot.index import passage_tokens
from bot.question import read
from bot.text import (
    MAX_WORD_CHARS,
    TypoMap,
    sentence_words,
    specificity,
    stem,
    tokenize,
    tokens_of,
    words,
)

QUESTION_WORDS = ("what", "when", "where", "who", "whom", "whose", "why", "how", "which")


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
    terms = resolve(read(f"What about {typo}?"), index, shipped_model()).asked
    assert [(t.token, t.origin, t.word) for t in terms] == [(stem(meant), "typo", typo.casefold())]


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
    terms = resolve(read("What's the weather in Paris?"), index, shipped_model()).asked
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

# ---- bounded by size -----------------------------------------------------------------------

def test_absurd_words_are_neither_stemmed_nor_remembered() -> None:
    from bot import text

    before = text._stem.cache_info().currsize
    huge = "x" * (MAX_WORD_CHARS + 1)
    assert stem(huge) == huge
    assert specificity(huge) == text.SPECIFICITY_MAX
    assert TypoMap([("balloon", 3)]).correct(huge + "s") is None
    assert text._stem.cache_info().currsize == before
    assert tokenize(f"{huge} balloons") == [huge, "balloon"]


def test_reading_sentences_in_one_pass_gives_the_tokenizer_s_words() -> None:
    for text in ["The U.S. and China met in 2019. It isn't over.", "Plain words. More words!",
                 "Café ß Straße: 9.75 and X.25.", "’Quoted’ US policy. America."]:
        spans = [(0, len(text) // 2), (len(text) // 2, len(text))]
        assert sentence_words(text, spans) == [words(text[a:b]) for a, b in spans]
        assert tokens_of(words(text)) == tokenize(text)
