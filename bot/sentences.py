"""Sentences of a passage, where answers live: where each starts and ends, and its tokens.

A sentence ends at ".", "!", "?" or "…" (with any closing quote, bracket or wiki reference such
as "[12]" after it) followed by white space and a capital, a digit or an opening quote. A full
stop after an abbreviation ("i.e.", "Dr.", "U.S.") or an initial ("Rutherford B. Hayes") ends
none, and one inside a number ("9.75", "X.25") is no full stop at all. One scan of the text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from bot.text import sentence_words, word_reading

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
    """Where each sentence of `text` starts and ends (no white space at either end)."""
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


class Sentence(NamedTuple):
    """A sentence's words (case-folded, stopwords kept) and its tokens (as the index's
    tokenizer gives them)."""

    words: tuple[str, ...]
    tokens: tuple[str, ...]

    @property
    def stems(self) -> frozenset[str]:
        """The stems of all its words, stopwords too (worked out when asked: seldom)."""
        return frozenset(word_reading(w)[1] for w in self.words)


@lru_cache(maxsize=8192)
def analysed(text: str) -> tuple[Sentence, ...]:
    """Each sentence of `text`, read once (passages come back: their reading is kept)."""
    return tuple(Sentence(tuple(found), tuple(token for token, _ in map(word_reading, found)
                                              if token))
                 for found in sentence_words(text, spans(text)))


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
