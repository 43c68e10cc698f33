"""Reading a question, once, into a plain value (`Query`) that every later step uses: what it
asks for, its words as the index's tokens, the synonyms the lexicon adds, and whether it asks
for more, for an overview, or leans on the question before it.

Every pass over the question is a scan of its words with set and dictionary lookups: linear
in its length, whatever it holds.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache

from bot.facts import FactKind
from bot.lexicon import Lexicon, Phrase, general
from bot.text import content_words, word_reading, words


class Intent(Enum):
    QUESTION = "question"  # asks about the articles' content
    MORE = "more"  # asks for more of the last answer ("tell me more", "go on")
    OVERVIEW = "overview"  # asks what the articles are about


@dataclass(frozen=True, slots=True)
class Asked:
    """One content word of the question: its token (stem) and the word as typed."""

    token: str
    word: str


@dataclass(frozen=True, slots=True)
class Query:
    """A question, read. `context` holds the earlier questions of the conversation, newest
    first, each read on its own."""

    text: str
    words: tuple[str, ...]  # case-folded, shorthand spelled out, phrases rewritten
    intent: Intent
    kind: FactKind | None  # the kind of fact asked for, if it asks for one
    asked: tuple[Asked, ...]  # content words, in order, each token once
    synonyms: tuple[tuple[str, str], ...]  # (token, the asked token it stands for)
    phrases: tuple[tuple[str, str], ...]  # asked tokens that stand side by side
    names: tuple[str, ...]  # capitalised words that name something ("Wang Yi"), as typed
    leans_on_context: bool  # points back ("where was *it* found?") or says nothing itself
    yes_no: bool
    names_the_text: bool  # "the *article*", "this *story*"
    negated: bool  # "which city did *not*...": a passage sharing its words may say the opposite
    context: tuple[Query, ...] = ()

    @property
    def has_content(self) -> bool:
        return bool(self.asked)

    @property
    def elliptical(self) -> bool:
        """Two words or fewer of its own ("and the date?"): it may need the one before."""
        return len(self.asked) <= 2

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(a.token for a in self.asked)


MAX_CACHED_CHARS = 300  # longer questions are read again rather than remembered
_MARKUP_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_SPAN = re.compile(r"[\w'’-]+")


def read(question: str, context: Sequence[str] = (),
         lexicon: Lexicon | None = None) -> Query:
    """Read `question` (with the earlier questions of its conversation, newest first)."""
    lexicon = lexicon or general()
    earlier = tuple(_read_alone(q, lexicon) for q in context)
    query = _read_alone(question, lexicon)
    if query.intent is Intent.OVERVIEW and earlier and not query.names_the_text:
        # In a conversation, "What is it about?" asks about what was just discussed.
        return replace(query, intent=Intent.QUESTION, context=earlier)
    if query.intent is Intent.MORE and not earlier:
        return replace(query, intent=Intent.QUESTION)
    return replace(query, context=earlier) if earlier else query


def _read_alone(question: str, lexicon: Lexicon) -> Query:
    if len(question) <= MAX_CACHED_CHARS:
        return _cached(question, lexicon)
    return _read(question, lexicon)


@lru_cache(maxsize=2048)
def _cached(question: str, lexicon: Lexicon) -> Query:
    return _read(question, lexicon)


def _read(question: str, lexicon: Lexicon) -> Query:
    text = question
    if "<" in text or "&" in text:
        # Markup pasted into a chat ("<b>spy balloon</b>", "&amp;") is not what is asked.
        text = html.unescape(_MARKUP_TAG.sub(" ", text))
    said = words(text)
    if lexicon.shorthand:
        said = lexicon.shorthand.apply(said)
    said = lexicon.rewrites.apply(said)
    core = _without_fillers(said, lexicon)
    asked = _asked(said, lexicon)
    kind = lexicon.asks.find(said)
    text_words = lexicon.phrases("text")
    names_the_text = any((w,) in text_words for w in said) or _has_phrase(said, text_words)
    intent = Intent.QUESTION
    if tuple(core) in lexicon.phrases("more"):
        intent = Intent.MORE
    elif _asks_for_overview(said, asked, lexicon):
        intent = Intent.OVERVIEW
    tokens = [a.token for a in asked]
    synonyms: dict[str, str] = {}
    for a in asked:
        for token in sorted(lexicon.synonyms.of_word(a.token)):
            synonyms.setdefault(token, a.token)
    for token in sorted(lexicon.synonyms.in_phrases(tokens)):
        synonyms.setdefault(token, tokens[0])
    for token in tokens:
        synonyms.pop(token, None)
    return Query(
        text=question, words=tuple(said), intent=intent,
        kind=FactKind(kind) if kind else None, asked=tuple(asked),
        synonyms=tuple(synonyms.items()), phrases=_adjacent(said, lexicon),
        names=_names(text), leans_on_context=_leans(said, core, asked, lexicon),
        yes_no=bool(core) and (core[0],) in lexicon.phrases("yesno"),
        names_the_text=names_the_text,
        negated=any((w,) in lexicon.phrases("negation") for w in said),
    )


def _asked(said: Sequence[str], lexicon: Lexicon) -> list[Asked]:
    found: dict[str, Asked] = {}
    for word in said:
        token = word_reading(word)[0]
        if token and word not in lexicon.question_words:
            found.setdefault(token, Asked(token, word))
    return list(found.values())


def _without_fillers(said: Sequence[str], lexicon: Lexicon) -> list[str]:
    fillers = lexicon.phrases("filler")
    start, end = 0, len(said)
    while start < end and (said[start],) in fillers:
        start += 1
    while end > start and (said[end - 1],) in fillers:
        end -= 1
    return list(said[start:end])


def _asks_for_overview(said: Sequence[str], asked: Sequence[Asked], lexicon: Lexicon) -> bool:
    """A word that asks what the articles are about ("about", "summarize", "title"), and no
    word that names something else."""
    cues = lexicon.phrases("overview")
    if not _has_phrase(said, cues) or (len(said) < 2 and said[:1] == ["about"]):
        return False
    allowed = {w for phrase in cues | lexicon.phrases("text") for w in phrase}
    return all(a.word in allowed for a in asked)


def _has_phrase(said: Sequence[str], phrases: frozenset[Phrase]) -> bool:
    longest = max((len(p) for p in phrases), default=0)
    return any(tuple(said[i : i + n]) in phrases
               for i in range(len(said)) for n in range(1, longest + 1))


def _leans(said: Sequence[str], core: Sequence[str], asked: Sequence[Asked],
           lexicon: Lexicon) -> bool:
    if not asked:
        return True
    anaphora = lexicon.phrases("anaphora")
    if any((w,) in anaphora for w in said):
        return True
    continuation = lexicon.phrases("continuation")
    longest = max((len(p) for p in continuation), default=0)
    return any(tuple(said[:n]) in continuation for n in range(1, longest + 1))


def _adjacent(said: Sequence[str], lexicon: Lexicon) -> tuple[tuple[str, str], ...]:
    """Pairs of content words that stand side by side ("Bill Gates", "oil embargo")."""
    pairs: list[tuple[str, str]] = []
    previous: str | None = None
    for word in said:
        token = word_reading(word)[0]
        if not token or word in lexicon.question_words:
            previous = None
            continue
        if previous is not None and previous != token:
            pairs.append((previous, token))
        previous = token
    return tuple(dict.fromkeys(pairs))


def _names(text: str) -> tuple[str, ...]:
    """Capitalised words that do not open a sentence ("Will Blinken meet *Wang Yi*?"), unless
    the whole question is in title case ("What Did Xi Say To Gates?")."""
    found = list(_SPAN.finditer(text))
    capitals = [m for m in found if m.group()[0].isupper() and not _opens_sentence(text, m)]
    if not capitals:
        return ()
    small = [m for m in found if not m.group()[0].isupper()]
    if not any(content_words(m.group()) for m in small) and sum(
            1 for m in found if m.group()[0].isupper() and content_words(m.group())) >= 3:
        return ()
    return tuple(m.group() for m in capitals if content_words(m.group()))


def _opens_sentence(text: str, match: re.Match[str]) -> bool:
    at = match.start() - 1
    while at >= 0 and text[at].isspace():  # each run of spaces is walked back once
        at -= 1
    return at < 0 or text[at] in ".!?:;\"“(«" or match.group() == "I"
