"""Sentences of a passage, where answers live: where each starts and ends, and its tokens.

A sentence ends at ".", "!", "?" or "…" (with any closing quote, bracket or wiki reference such
as "[12]" after it) followed by white space and a capital, a digit or an opening quote. A full
stop after an abbreviation ("i.e.", "Dr.", "U.S.") or an initial ("Rutherford B. Hayes") ends
none, and one inside a number ("9.75", "X.25") is no full stop at all. One scan of the text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from operator import itemgetter

from bot.text import READINGS, sentence_words, word_reading

# Possessive quantifiers and the look-behind (each run of stops is tried once, from its start)
# keep the scan linear whatever the text holds.
_END = re.compile(
    r"(?<![.!?…])[.!?…]++[\"”’')\]]*+"  # the stop, and what closes with it
    r"(?:\[[^\[\]\n]{1,40}\])*+"  # wiki references: "[12]", "[citation needed]"
    r"(?=\s++[\"“‘(\[]*+[A-Z0-9À-Þ])"  # white space, then what opens a sentence
)
_WORD_BEFORE = re.compile(r"[\w.'’-]{1,24}$")
# Words a full stop follows without ending a sentence (lower-case, without their final stop).
ABBREVIATIONS = frozenset((
    "mr mrs ms dr prof st jr sr vs etc e.g i.e cf al inc ltd co corp no nos vol fig figs approx "
    "ca c gen col lt sgt capt cmdr adm rev hon sen rep gov pres mt ft ave blvd dept est op pp "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n a.m p.m b.c a.d ph.d m.d "
    "b.a m.a d.c"
).split())
ARTEFACT_CHARS = 40  # "[citation needed]", "[12]", "[h]": short bracketed notes

Span = tuple[int, int]


@lru_cache(maxsize=8192)
def spans(text: str) -> tuple[Span, ...]:
    """Where each sentence of `text` starts and ends (no white space at either end),
    remembered: the passages an answer quotes come back."""
    return find_spans(text)


def find_spans(text: str) -> tuple[Span, ...]:
    """`spans`, not remembered: for reading every passage once, when the index is built."""
    out: list[Span] = []
    start = _skip_space(text, 0)
    for stop in _END.finditer(text):
        if stop.start() < start or not _ends_sentence(text, stop):
            continue
        out.append((start, stop.end()))
        start = _skip_space(text, stop.end())
    end = len(text.rstrip())
    if start < end:
        out.append((start, end))
    return tuple(out)


class Sentence:
    """A sentence of a passage, read once: where it is (`start`, `end` in the passage's text),
    its words (case-folded, stopwords kept) and its tokens (as the index's tokenizer gives
    them), with the sets of both that the evidence looks things up in, and the stems of its
    words (worked out when first asked: seldom)."""

    __slots__ = ("_stems", "end", "start", "token_set", "tokens", "word_set", "words")

    def __init__(self, words: tuple[str, ...], tokens: tuple[str, ...], start: int = 0,
                 end: int = 0) -> None:
        self.start, self.end = start, end
        self.words, self.tokens = words, tokens
        self.token_set = frozenset(tokens)
        self.word_set = frozenset(words)
        self._stems: frozenset[str] | None = None

    @property
    def stems(self) -> frozenset[str]:
        """The stems of all its words, stopwords too."""
        if self._stems is None:
            self._stems = self._find_stems()
        return self._stems

    def _find_stems(self) -> frozenset[str]:
        return frozenset(word_reading(w)[1] for w in self.words)

    def has_number(self) -> bool:
        """Whether a word of it starts with a digit (it may give an amount or a time)."""
        return any(w[:1].isdigit() for w in self.words)


ANALYSED = 8192  # passages whose reading is kept (a question reads about six)


@lru_cache(maxsize=ANALYSED)
def analysed(text: str) -> tuple[Sentence, ...]:
    """Each sentence of `text`, read once (passages come back: their reading is kept)."""
    found = spans(text)
    out = []
    for (start, end), said in zip(found, sentence_words(text, found), strict=True):
        readings = list(map(READINGS.get, said))  # most words were read before
        if None in readings:
            readings = [r or word_reading(w) for r, w in zip(readings, said, strict=True)]
        tokens = tuple(filter(None, map(_TOKEN, readings)))  # type: ignore[arg-type]
        out.append(Sentence(tuple(said), tokens, start, end))
    return tuple(out)


_TOKEN = itemgetter(0)


def tokens(text: str) -> tuple[tuple[str, ...], ...]:
    """Each sentence's tokens, in order."""
    return tuple(s.tokens for s in analysed(text))


def clean(text: str, span: Span) -> Span:
    """`span` without wiki artefacts ("[citation needed]", "[h]") at its edges."""
    start, end = span
    while end > start and text[end - 1] == "]":
        opening = text.rfind("[", max(start, end - ARTEFACT_CHARS - 2), end - 1)
        if opening <= start or "]" in text[opening : end - 1]:
            break
        end = opening
        while end > start and text[end - 1].isspace():
            end -= 1
    while start < end and text[start] == "[":
        closing = text.find("]", start, min(end, start + ARTEFACT_CHARS + 2))
        if closing < 0 or closing + 1 >= end:
            break
        start = closing + 1
        while start < end and text[start].isspace():
            start += 1
    return start, end


def _ends_sentence(text: str, stop: re.Match[str]) -> bool:
    if text[stop.start()] != ".":
        return True
    before = _WORD_BEFORE.search(text, max(0, stop.start() - 24), stop.start())
    if before is None:
        return True
    word = before.group().lower().rstrip(".")
    last = word.rsplit(".", 1)[-1]
    if len(last) == 1 and last.isalpha():
        return False  # an initial ("B."), or the end of "U.S."
    return word not in ABBREVIATIONS


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at
