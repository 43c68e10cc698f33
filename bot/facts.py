"""Which kinds of fact a text holds (an amount, a time, a place, a person, a reason, something
said), so that a passage can be weighed by whether it holds the kind a question asks for
(`question.Query.kind`, from `config/lexicon/cues.txt`). A passage that shares a question's words
but gives no amount says less about "how many…?" than one that gives one.

A kind is found from the words of `config/lexicon/facts.txt` ("thousand", "because", "said"),
numbers (a year is a time, any other number an amount), names (capitalised words that open
no sentence: a person or a place) and long quotations (something said). Every check is one
scan of the text.
"""

from __future__ import annotations

import re
from collections.abc import Container
from enum import Enum
from functools import lru_cache

from bot.lexicon import Lexicon, general
from bot.text import stem


class FactKind(Enum):
    QUANTITY = "quantity"
    TIME = "time"
    PLACE = "place"
    PERSON = "person"
    SPEECH = "speech"
    REASON = "reason"


_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_CAPITAL = re.compile(r"\b[A-Z]")
_PROPER_WORD = re.compile(r"[A-Z][\w'’-]+")
_QUOTED = re.compile(r"[\"“][^\"”]{30,}[\"”]")
_MONTHS_AND_DAYS = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday I".split())
# Punctuation, as spaces: splitting on them gives a passage's words several times faster than
# a \w+ regex.
_SEPARATORS = str.maketrans({c: " " for c in (
    "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~\u00a0\u00ab\u00bb\u00b7\u2010\u2011\u2012\u2013\u2014"
    "\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u2026\u2032\u2033")})
_CURRENCY = frozenset("$£€¥")


def kinds_held(text: str, lexicon: Lexicon | None = None,
               asked: Container[str] = ()) -> frozenset[FactKind]:
    """The kinds of fact `text` holds besides the words `asked` (a question's tokens): "When
    did the war of 1812 end?" is not answered by "1812", nor "Who founded Rome?" by "Rome"."""
    found: set[FactKind] = set()
    for kind, shown_by in _inventory(text, lexicon or general()):
        if any(token not in asked for token in shown_by):
            found.add(kind)
    return frozenset(found)


@lru_cache(maxsize=8192)
def _inventory(text: str, lexicon: Lexicon) -> tuple[tuple[FactKind, frozenset[str]], ...]:
    """What in `text` shows each kind of fact it holds, as tokens (a kind shown only by the
    question's own words is not held): read once per text, as passages come back."""
    shown: dict[FactKind, set[str]] = {}
    holds = lexicon.holds
    for word in set(text.lower().translate(_SEPARATORS).split()):
        if word in holds:
            shown.setdefault(FactKind(holds[word]), set()).add(stem(word))
    for number in _NUMBER.finditer(text):
        kind = FactKind.TIME if _is_time(text, number) else FactKind.QUANTITY
        shown.setdefault(kind, set()).add(number.group())
    names = _names(text)
    if names:
        shown.setdefault(FactKind.PERSON, set()).update(names)
        shown.setdefault(FactKind.PLACE, set()).update(names)
    if ("\"" in text or "“" in text) and _QUOTED.search(text):
        shown.setdefault(FactKind.SPEECH, set()).add("")
    return tuple((kind, frozenset(tokens)) for kind, tokens in shown.items())


def _is_time(text: str, number: re.Match[str]) -> bool:
    """A year (1000-2099, not an amount of money or a share) or a clock time ("10:30")."""
    digits = number.group()
    if ":" in digits:
        return True
    if len(digits) != 4 or not digits.isdigit() or not ("1000" <= digits <= "2099"):
        return False
    before = text[number.start() - 1] if number.start() else " "
    after = text[number.end() : number.end() + 2].lstrip()
    return before not in _CURRENCY and not after.startswith("%")


def _names(text: str) -> set[str]:
    """The names `text` holds, as tokens: capitalised words of two letters or more that do
    not open the text, a sentence or a quote, and are no month or day."""
    found: set[str] = set()
    for capital in _CAPITAL.finditer(text):
        at = capital.start()
        if at == 0 or text[at - 1] in "\"“‘(" or (
                at >= 2 and text[at - 1].isspace() and text[at - 2] in ".!?:"):
            continue
        word = _PROPER_WORD.match(text, at)
        if word is not None and word.group() not in _MONTHS_AND_DAYS:
            found.add(stem(word.group().casefold()))
    return found


_BITS = {kind: 1 << i for i, kind in enumerate(FactKind)}


def passage_facts(text: str) -> int:
    """`kinds_held`, one bit per kind (kept for the index, which records it per passage)."""
    bits = 0
    for kind in kinds_held(text):
        bits |= _BITS[kind]
    return bits
