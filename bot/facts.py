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
from collections.abc import Callable, Container, Iterable, Sequence
from enum import Enum
from typing import Generic, TypeVar

from bot.lexicon import NUMBER, Lexicon, general
from bot.sentences import ANALYSED, Sentence, analysed
from bot.text import stem, word_reading


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
_CURRENCY = frozenset("$£€¥")


Inventory = tuple[tuple[FactKind, frozenset[str]], ...]
T = TypeVar("T")


class _PerText(Generic[T]):
    """What is worked out of a passage's text, kept for `ANALYSED` texts per lexicon (passages
    come back), for functions also given the text's sentences, which are no part of the key
    (so `functools.lru_cache` cannot keep them)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, Lexicon], T] = {}

    def get(self, text: str, lexicon: Lexicon, make: Callable[[], T]) -> T:
        key = (text, lexicon)
        found = self._values.get(key)
        if found is None:
            if len(self._values) >= ANALYSED:
                self._values.clear()  # cleared, not evicted: refilled in a few questions
            found = self._values[key] = make()
        return found


_FACTS: _PerText[tuple[Inventory, ...]] = _PerText()
_UNITS: _PerText[tuple[frozenset[str], ...]] = _PerText()


def kinds_held(text: str, lexicon: Lexicon | None = None,
               asked: Container[str] = ()) -> frozenset[FactKind]:
    """The kinds of fact `text` holds besides the words `asked` (a question's tokens): "When
    did the war of 1812 end?" is not answered by "1812", nor "Who founded Rome?" by "Rome"."""
    return held_besides(sentence_facts(text, lexicon or general()), asked)


def held_besides(inventories: Iterable[Inventory], asked: Container[str]) -> frozenset[FactKind]:
    """The kinds the `inventories` (of sentences) show by a token not among `asked`."""
    found: set[FactKind] = set()
    for inventory in inventories:
        for kind, shown_by in inventory:
            if kind not in found and any(token not in asked for token in shown_by):
                found.add(kind)
    return frozenset(found)


def sentence_facts(text: str, lexicon: Lexicon,
                   parsed: Sequence[Sentence] | None = None) -> tuple[Inventory, ...]:
    """What in each sentence of `text` (`parsed`, else `sentences.analysed`) shows each kind
    of fact it holds, as tokens (a kind shown only by the question's own words is not held):
    read once per text, as passages come back."""
    return _FACTS.get(text, lexicon, lambda: _inventories(
        text, analysed(text) if parsed is None else parsed, lexicon))


def _inventories(text: str, parsed: Sequence[Sentence],
                 lexicon: Lexicon) -> tuple[Inventory, ...]:
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)] \
        if "\"" in text or "“" in text else []
    return tuple(_inventory(text, sentence, lexicon, quoted) for sentence in parsed)


def _inventory(text: str, sentence: Sentence, lexicon: Lexicon,
               quoted: list[tuple[int, int]]) -> Inventory:
    shown: dict[FactKind, set[str]] = {}
    holds = lexicon.holds
    for word in holds.keys() & sentence.word_set:  # a few words of forty, found in C
        shown.setdefault(_KINDS[holds[word]], set()).add(stem(word))
    part = text[sentence.start : sentence.end]
    if sentence.has_number():
        for number in _NUMBER.finditer(part):
            shown.setdefault(FactKind.TIME if _is_time(part, number) else FactKind.QUANTITY,
                             set()).add(number.group())
    names = _names(part)
    if names:
        shown.setdefault(FactKind.PERSON, set()).update(names)
        shown.setdefault(FactKind.PLACE, set()).update(names)
    if any(start < sentence.end and end > sentence.start for start, end in quoted):
        shown.setdefault(FactKind.SPEECH, set()).add("")
    return tuple((kind, frozenset(tokens)) for kind, tokens in shown.items())


_KINDS = {kind.value: kind for kind in FactKind}


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


_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)")
_DECADE = re.compile(r"\d+s")
_CURRENCY_BEFORE = re.compile(r"[$£€¥]\s?\d")
_PERCENT_AFTER = re.compile(r"\d\s?%")
_CLOCK = re.compile(r"\b\d{1,2}:\d\d\b")
_YEAR_UNITS = frozenset({"year", "decade", "century"})


def units_held(text: str, lexicon: Lexicon | None = None) -> tuple[frozenset[str], ...]:
    """The units (`lexicon.UNITS`) in which each sentence of `text` (`sentences.analysed`)
    gives a fact: by the patterns of units.txt over its words, and by its text: years, clock
    times, currency signs and percent signs."""
    return _units(text, lexicon or general())


def _units(text: str, lexicon: Lexicon,
           parsed: Sequence[Sentence] | None = None) -> tuple[frozenset[str], ...]:
    return _UNITS.get(text, lexicon, lambda: tuple(
        _sentence_units(text[s.start : s.end], s.words, lexicon)
        for s in (analysed(text) if parsed is None else parsed)))


def _sentence_units(text: str, words: tuple[str, ...], lexicon: Lexicon) -> frozenset[str]:
    found = lexicon.units.find_all(number_words(words, lexicon))
    if any(c.isdigit() for c in text):
        if _CLOCK.search(text):
            found.add("clock")
        if ("$" in text or "£" in text or "€" in text or "¥" in text) \
                and _CURRENCY_BEFORE.search(text):
            found.add("money")
        if "%" in text and _PERCENT_AFTER.search(text):
            found.add("percent")
        if any(_is_time(text, number) and ":" not in number.group()
               for number in _NUMBER.finditer(text)):
            found |= _YEAR_UNITS
    return frozenset(found)


def holds_unit(text: str, unit: str, counted: frozenset[str], lexicon: Lexicon | None = None,
               parsed: Sequence[Sentence] | None = None) -> tuple[bool, ...]:
    """Whether each sentence of `text` (`parsed`, else `sentences.analysed`) gives a fact in
    `unit`; for a count, a number of the thing `counted`, or any number when the question
    does not say what is counted."""
    lexicon = lexicon or general()
    if unit == "count":
        return tuple(counts(s.words, counted, lexicon)
                     for s in (analysed(text) if parsed is None else parsed))
    return tuple(unit in held for held in _units(text, lexicon, parsed))


def number_words(words: tuple[str, ...], lexicon: Lexicon) -> list[str]:
    """`words` with each number (digits, "18th", number words, "5 million", "1,200" read as
    two words) as one `NUMBER`, and "1990s" as `NUMBER` "s"."""
    out: list[str] = []
    numbers = lexicon.numbers
    for word in words:
        if word[:1].isdigit():
            if word.isdigit() or _ORDINAL.fullmatch(word):
                if not out or out[-1] != NUMBER:
                    out.append(NUMBER)
                continue
            if _DECADE.fullmatch(word):
                out.extend((NUMBER, "s"))
                continue
        elif word in numbers:
            if not out or out[-1] != NUMBER:
                out.append(NUMBER)
            continue
        out.append(word)
    return out


COUNT_REACH = 3  # a number counts a thing when at most this many words stand between them


def counts(words: tuple[str, ...], counted: frozenset[str], lexicon: Lexicon) -> bool:
    """Whether the sentence of `words` gives a number of the thing `counted` (its stems):
    "how many *goals*" is answered by "scored 3 *goals*" or "3 late *goals*"."""
    read = number_words(words, lexicon)
    if not counted:
        return NUMBER in read
    since = COUNT_REACH + 1
    for word in read:
        if word == NUMBER:
            since = 0
            continue
        since += 1
        if since <= COUNT_REACH + 1 and word_reading(word)[1] in counted:
            return True
    return False
