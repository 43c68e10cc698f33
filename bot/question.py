"""Reading a question, once, into a plain value (`Query`) that every later step uses: what it
asks for, its words as the index's tokens, the synonyms the lexicon adds, and whether it asks
for more, for an overview, or leans on the question before it. Also what a message holds
besides one question: the small talk it opens with (`small_talk`), and the several questions
it may ask at once (`parts`).

Every pass over the question is a scan of its words with set and dictionary lookups: linear
in its length, whatever it holds.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache
from itertools import islice

from bot.facts import FactKind
from bot.lexicon import Lexicon, Phrase, general
from bot.text import content_words, word_reading, words
from bot.titles import cut


class Intent(Enum):
    QUESTION = "question"  # asks about the articles' content
    MORE = "more"  # asks for more of the last answer ("tell me more", "go on")
    OVERVIEW = "overview"  # asks what the articles are about
    SMALL_TALK = "small_talk"  # says something to the bot ("hi", "thanks", "who are you?")
    LANGUAGE = "language"  # asks in a language the articles are not written in


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
    unit: str | None = None  # the unit of the answer asked for ("what *date*", "how *old*")
    counted: frozenset[str] = frozenset()  # the stems of what "how many..." counts

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
    """Read `question` (with the earlier questions of its conversation, newest first). A
    request for more stays one without a conversation: the answer says there is nothing to
    go on from."""
    lexicon = lexicon or general()
    earlier = tuple(_read_alone(q, lexicon) for q in context)
    query = _read_alone(question, lexicon)
    if (query.intent is Intent.OVERVIEW and earlier and not query.names_the_text
            and _points_back(query.words, lexicon)):
        # In a conversation, "What is *it* about?" asks about what was just discussed;
        # "summarize" and "what's *this* about?" still ask about the articles.
        return replace(query, intent=Intent.QUESTION, context=earlier)
    return replace(query, context=earlier) if earlier else query


def _points_back(said: Sequence[str], lexicon: Lexicon) -> bool:
    anaphora, deixis = lexicon.phrases("anaphora"), lexicon.phrases("deixis")
    return any((w,) in anaphora and (w,) not in deixis for w in said)


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
    unit, counted = _unit(said, lexicon)
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
        unit=unit, counted=counted,
    )


COUNTED_WORDS = 3  # "how many *total volumes*...": the content words that name what is counted


def _unit(said: Sequence[str], lexicon: Lexicon) -> tuple[str | None, frozenset[str]]:
    """The unit of the answer asked for, and for a count, the stems of what is counted: the
    content words right after "how many" ("how many *Huguenots* were killed")."""
    found = lexicon.unit_asks.match(said)
    if found is None:
        return None, frozenset()
    unit, end = found
    if unit != "count":
        return unit, frozenset()
    counted: list[str] = []
    for word in said[end : end + COUNTED_WORDS]:
        token, word_stem = word_reading(word)
        if not token or word in lexicon.question_words:
            break
        counted.append(word_stem)
    return unit, frozenset(counted)


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
    allowed = _overview_words(lexicon)
    return all(a.word in allowed for a in asked)


@lru_cache(maxsize=16)
def _overview_words(lexicon: Lexicon) -> frozenset[str]:
    """The words an overview question may use besides its cue (a lexicon's, worked out once)."""
    return frozenset(w for intent in ("overview", "text", "filler")
                     for phrase in lexicon.phrases(intent) for w in phrase)


def _has_phrase(said: Sequence[str], phrases: frozenset[Phrase]) -> bool:
    lengths = _lengths_by_first_word(phrases)
    return any(tuple(said[i : i + n]) in phrases
               for i, word in enumerate(said) for n in lengths.get(word, ()))


@lru_cache(maxsize=64)
def _lengths_by_first_word(phrases: frozenset[Phrase]) -> dict[str, tuple[int, ...]]:
    """The lengths of the phrases that open with each word (a lexicon's phrase sets are few
    and live as long as it does: each is indexed once)."""
    found: dict[str, set[int]] = {}
    for phrase in phrases:
        if phrase:
            found.setdefault(phrase[0], set()).add(len(phrase))
    return {word: tuple(sorted(lengths)) for word, lengths in found.items()}


def _leans(said: Sequence[str], core: Sequence[str], asked: Sequence[Asked],
           lexicon: Lexicon) -> bool:
    if not asked:
        return True
    anaphora = lexicon.phrases("anaphora")
    if any((w,) in anaphora for w in said):
        return True
    continuation = lexicon.phrases("continuation")
    return any(tuple(said[:n]) in continuation for n in range(1, _longest(continuation) + 1))


@lru_cache(maxsize=64)
def _longest(phrases: frozenset[Phrase]) -> int:
    """The words of the longest of `phrases` (a lexicon's phrase sets are few: each once)."""
    return max((len(p) for p in phrases), default=0)


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


# ---- what a message holds besides one question ---------------------------------------------

_WORD_SPAN = re.compile(r"\w+(?:['’]\w+)*")
# What ends a phrase of small talk that opens a message: "Thanks! ...", "ok, ...", "hi - ...".
_AFTER_TALK = re.compile(r"\s*(?:[,.!?;:…]|\s[-–—])[\s,.!?;:…\-–—]*")
_SPACE_BEFORE_MARK = re.compile(r" ([?!.,;:？])")  # "Why <b>now</b>?" read as "Why now ?"
# Where one question of several ends.
_QUESTION_END = re.compile(r"[?？]+")
# The kind a message of several small-talk phrases gets: the one that asks the most of the bot.
_TALK_PRIORITY = ("identity", "abilities", "wellbeing", "thanks", "farewell", "greeting",
                  "acknowledgement")


@lru_cache(maxsize=64)  # a message is looked at twice: for its parts, then answered
def small_talk(text: str, lexicon: Lexicon | None = None) -> tuple[str | None, str]:
    """The small talk `text` opens with, and what it asks after that: ("thanks", "") for
    "Thanks!", ("greeting", "What's this about?") for "Hello! What's this about?", and
    (None, text) for a message that opens with none. A phrase opens a message only when
    punctuation ends it (or it is all there is), so "right" in "right to vote?" and "help" in
    "help me with the treaty" stay part of the question."""
    lexicon = lexicon or general()
    phrases = lexicon.small_talk
    if not phrases:
        return None, text
    longest = _longest_talk(lexicon)
    spans = _WORD_SPAN.finditer(text)
    said: list[re.Match[str]] = []  # the next few words, read as they are needed
    kinds: list[str] = []
    cut = 0
    while True:
        said.extend(islice(spans, longest - len(said)))
        found = _talk_at(said, phrases, longest) if said else None
        if found is None:
            break
        kind, used, cut = found
        kinds.append(kind)
        del said[:used]
    if not kinds:
        return None, text
    return min(kinds, key=_TALK_PRIORITY.index), text[cut:].strip() if said else ""


@lru_cache(maxsize=16)
def _longest_talk(lexicon: Lexicon) -> int:
    return max(len(p) for p in lexicon.small_talk)


def _talk_at(said: list[re.Match[str]], phrases: Mapping[Phrase, str],
             longest: int) -> tuple[str, int, int] | None:
    """(kind, words used, where the rest starts) of the small-talk phrase `said` opens with,
    if punctuation ends it or nothing follows it."""
    folded = [m.group().casefold().replace("’", "'") for m in said[:longest]]
    for n in range(min(longest, len(folded)), 0, -1):
        kind = phrases.get(tuple(folded[:n]))
        if kind is None:
            continue
        end = said[n - 1].end()
        text = said[n - 1].string
        after = _AFTER_TALK.match(text, end)
        if after is not None:
            return kind, n, after.end()
        if _WORD_SPAN.search(text, end) is None:  # all there is, but emoji or punctuation
            return kind, n, len(text)
    return None


def parts(text: str, lexicon: Lexicon | None = None) -> list[str]:
    """The questions a message asks, in order, each once: it is cut after each question mark
    that ends a question of its own ("Why was it postponed? Who is Xi meeting?"). A piece
    that asks nothing of its own ("Really?") goes with the question after it, and what
    follows the last question mark with that question. A message with one question is one
    part; one with none (a pasted text) is one part too."""
    lexicon = lexicon or general()
    bounds = [m.end() for m in _QUESTION_END.finditer(text)]
    starts = [0, *bounds]
    pieces = [(start, end) for start, end in zip(starts, [*bounds, len(text)], strict=True)
              if _WORD_SPAN.search(text, start, end)]
    found: list[tuple[int, int]] = []
    pending: int | None = None  # where a piece that asks nothing of its own starts
    for at, (start, end) in enumerate(pieces):
        piece = text[start:end]
        last = at == len(pieces) - 1
        if pending is None:
            pending = start
        if not last and not content_words(piece):
            continue  # "Really? Why…": read with the question after it
        if last and found and not piece.rstrip().endswith(("?", "？")):
            # "…? thanks a lot", "…? hasn't anyone gone since": without its own question mark
            # a tail is read with the question before it (measured: as a question of its
            # own it is answered worse, leaning on that one anyway).
            found[-1] = (found[-1][0], end)
        else:
            found.append((pending, end))
        pending = None
    if len(found) == 1:  # the usual message: nothing to tell apart
        return [text[found[0][0] : found[0][1]].strip()]
    questions: dict[tuple[str, ...], str] = {}
    for start, end in found:
        question = text[start:end].strip()
        questions.setdefault(tuple(words(question)), question)
    return list(questions.values()) or [text.strip()]


def as_heading(question: str, limit: int = 100) -> str:
    """A question as a reply shows it above its answer: markup taken out as reading takes it
    out, control characters dropped, white space collapsed, cut at a word."""
    text = question
    if "<" in text or "&" in text:
        text = html.unescape(_MARKUP_TAG.sub(" ", text))
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return cut(_SPACE_BEFORE_MARK.sub(r"\1", " ".join(text.split())), limit)
