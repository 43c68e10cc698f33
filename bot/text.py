"""The one tokenizer, for passages and questions alike: Unicode words, case-folded, stopwords
removed (config/lexicon/stopwords.txt), Snowball stems; and what reading a question's words
needs besides: a word's rarity in English, and the typo map.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA
from wordfreq import get_frequency_dict
from wordfreq import zipf_frequency as _wordfreq_zipf

from bot.vocabulary import read_words

LEXICON_DIR = Path(__file__).resolve().parent.parent / "config" / "lexicon"


# "US" and "U.S." are the country, not the pronoun: they must survive case folding, so they
# become one token before it; "United States" and "America" join them.
_COUNTRY = re.compile(
    r"(?<!\w)(?:U\.S\.(?:A\.)?|USA|US|United\s+States(?:\s+of\s+America)?|America)(?!\w)"
)
_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
COUNTRY_TOKEN = "usa"

MAX_WORD_CHARS = 40  # longer "words" (a run of letters pasted in) are neither stemmed nor cached
STOPWORDS_FILE = LEXICON_DIR / "stopwords.txt"
STOPWORDS = frozenset(read_words(STOPWORDS_FILE))
# The index cache is keyed by this: a changed stopword list changes every passage's tokens.
TOKENIZER_VERSION = "2-" + hashlib.sha256(STOPWORDS_FILE.read_bytes()).hexdigest()[:16]

_stemmer = Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """NFKC-normalise and mark the country before case folding erases the difference."""
    text = unicodedata.normalize("NFKC", text)
    return _COUNTRY.sub(f" {COUNTRY_TOKEN} ", text)


def words(text: str) -> list[str]:
    """Case-folded Unicode words, stopwords and question words kept."""
    return [w.replace("’", "'") for w in _WORD.findall(normalize(text).casefold())]


def sentence_words(text: str, spans: Iterable[tuple[int, int]]) -> list[list[str]]:
    """`words` of each span of `text`, read in one pass when the text needs no normalising
    (plain ASCII naming no country): the same words, at half the cost."""
    if reads_plainly(text):
        lower = text.lower()
        return [_WORD.findall(lower, start, end) for start, end in spans]
    return [words(text[start:end]) for start, end in spans]


def reads_plainly(text: str) -> bool:
    """Whether `words(text)` needs no normalising: plain ASCII that names no country. Such a
    text's words are its lower-cased text's matches of one pattern, the same whether it is
    read whole or a sentence at a time (sentences are cut at white space)."""
    return text.isascii() and not _may_name_the_country(text)


def _may_name_the_country(text: str) -> bool:
    """Whether `_COUNTRY` may match: each of its forms holds one of these (a few substring
    tests, where the pattern would scan the whole text)."""
    return "US" in text or "U.S" in text or "United" in text or "America" in text


def tokens_of(found: Iterable[str]) -> list[str]:
    """The tokens of words as `words` gives them: `tokenize(t) == tokens_of(words(t))`."""
    return [token for token, _ in map(word_reading, found) if token]


def word_reading(word: str) -> tuple[str, str]:
    """A case-folded word's token ("" for a stopword) and its stem, remembered: a passage's
    sentences are read word by word, and most words come back."""
    found = READINGS.get(word)
    if found is not None:
        return found
    stemmed = stem(word)
    found = (stemmed if _is_content(word) else ""), stemmed
    if len(word) <= MAX_WORD_CHARS:  # absurd "words" are not remembered
        if len(READINGS) >= READINGS_SIZE:
            READINGS.clear()  # cleared, not evicted: refilled in a few questions
        READINGS[word] = found
    return found


READINGS_SIZE = 65536
# The words read so far (`word_reading`); hot loops look a word up here before calling it.
READINGS: dict[str, tuple[str, str]] = {}


def content_words(text: str) -> list[str]:
    """Case-folded words without stopwords, question words and bare punctuation."""
    return [w for w in words(text) if _is_content(w)]


def _is_content(word: str) -> bool:
    if word.isdigit():
        return _is_number(word)
    return word not in STOPWORDS and bool(word.strip("_"))


def _is_number(word: str) -> bool:
    # Years and amounts are content ("since 2019"); lone digits of list markers are not.
    return word.isdigit() and len(word) >= 2


def stem(word: str) -> str:
    """The Snowball stem of a case-folded word (a word of over `MAX_WORD_CHARS` is its own
    stem: no language has such words, and caching them would let one message fill memory)."""
    return word if len(word) > MAX_WORD_CHARS else _stem(word)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word.split("'")[0]))


def tokenize(text: str) -> list[str]:
    """The index's tokens for `text`: content words, stemmed. Used for passages and questions."""
    return [stem(w) for w in content_words(text)]


class QueryTerm(NamedTuple):
    """One token of a question with its weight and why it is there (asked, typo, synonym...).
    (A tuple: a question makes a dozen, and a frozen dataclass costs several times as much.)"""

    token: str
    weight: float
    origin: str
    word: str


COMMON_ZIPF = 3.3  # about once per 500,000 words of English: a real word, not a typo


MEMO_SIZE = 16384  # remembered corrections per index (cleared, not evicted, when full)


class TypoMap:
    """Maps a word that is not in the vocabulary to the closest word that is.

    Short words are never corrected (too many real words lie one edit apart), the first letter
    must agree (people rarely mistype it), and ties go to the more frequent word.
    """

    def __init__(self, vocabulary: Iterable[tuple[str, int]]) -> None:
        ranked = sorted(vocabulary, key=lambda item: (-item[1], item[0]))
        # Words by first letter and length, most frequent first: a word within `limit` edits
        # is at most `limit` letters longer or shorter, so only those few buckets are searched.
        self._buckets: dict[tuple[str, int], list[str]] = {}
        self._rank: dict[str, int] = {}
        for rank, (word, _count) in enumerate(ranked):
            if len(word) >= 4 and not word.isdigit():
                self._buckets.setdefault((word[0], len(word)), []).append(word)
                self._rank[word] = rank
        self._known = {word for word, _ in ranked}
        # Each search costs ~0.4 ms, and a question's unknown words are looked up again (as a
        # possible name, as a follow-up's context) and asked again by others.
        self._memo: dict[tuple[str, str], str | None] = {}

    def __contains__(self, word: str) -> bool:
        return word in self._known

    @staticmethod
    def max_edits(word: str) -> int:
        if len(word) < 4:
            return 0
        if len(word) == 4:
            # Four letters are corrected only when they are no English word at all ("chna").
            return 1 if zipf_frequency(word, "en") < 1.5 else 0
        return 1 if len(word) < 8 else 2

    def correct(self, word: str, typed: str | None = None) -> str | None:
        """The vocabulary word `word` was probably meant to be, or None.

        A common English word is taken as meant ("weather" is not a typo of "whether"), even
        when no passage holds it. `typed` is the word as typed when `word` is its stem: the
        edit budget and the common-word test go by what the person typed.
        """
        typed = typed or word
        if len(typed) > MAX_WORD_CHARS or len(word) > MAX_WORD_CHARS:
            return None  # no word of the articles is that long: nothing to remember
        key = (word, typed)
        if key not in self._memo:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = self._closest(word, typed)
        return self._memo[key]

    def _closest(self, word: str, typed: str) -> str | None:
        limit = self.max_edits(typed)
        if limit == 0 or word in self._known:
            return None
        if zipf_frequency(typed, "en") >= COMMON_ZIPF:
            return None
        best: tuple[float, int, str] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            bucket = self._buckets.get((word[:1], length))
            if bucket:
                match = process.extractOne(word, bucket, scorer=OSA.distance,
                                           score_cutoff=limit)
                if match is not None:
                    found = (match[1], self._rank[match[0]], str(match[0]))
                    best = found if best is None or found < best else best
        return None if best is None else best[2]


ENGLISH_ZIPF = 3.0  # the English words a typo is matched against: about 30,000 of them
TYPO_ZIPF = 2.0  # below this, a word is taken for a typo ("suposed" 1.6, "clashing" 2.9)


@lru_cache(maxsize=1)
def english_typos() -> TypoMap:
    """Common English words, for a typo the articles' own words do not explain. Built on first
    use (about 0.1 s), as most questions never need it."""
    floor = 10 ** (ENGLISH_ZIPF - 9)
    return TypoMap((word, round(freq * 1e9)) for word, freq in english_frequencies().items()
                   if freq >= floor and word.isascii() and word.isalpha())


def zipf_frequency(word: str, lang: str = "en") -> float:
    """wordfreq's Zipf frequency of `word`, looked up directly for a plain ASCII word.

    wordfreq tokenizes every word it is asked about, which costs more than a whole retrieval;
    a word of ASCII letters is its own single token, so its frequency is a dictionary lookup,
    rounded as wordfreq rounds it. Anything else goes through wordfreq itself.
    """
    if lang != "en" or not (word.isascii() and word.isalpha()):
        return float(_wordfreq_zipf(word, lang))
    freq = english_frequencies().get(word.lower(), 0.0)
    if freq <= 0.0:
        return 0.0
    freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
    return round(math.log(freq, 10) + 9, 2)


@lru_cache(maxsize=1)
def english_frequencies() -> dict[str, float]:
    """wordfreq's English word frequencies, read once (about 20 MB; `warm_up` loads them)."""
    return get_frequency_dict("en", "best")


def specificity(word: str) -> float:
    """How much a word says about what a question is about, from its rarity in general English:
    "born" or "vaccine" name what is asked; "want" or "get" hardly do. From 1 (the commonest
    words) to 4 (words English hardly knows, and names)."""
    if len(word) > MAX_WORD_CHARS:
        return SPECIFICITY_MAX
    return _specificity(word)


SPECIFICITY_MAX = 4.0


@lru_cache(maxsize=65536)
def _specificity(word: str) -> float:
    return 1.0 + 0.5 * min(6.0, max(0.0, 7.0 - zipf_frequency(word, "en")))
