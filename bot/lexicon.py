"""The vocabulary questions are read with: general English from `config/lexicon/` (synonyms,
phrase rewrites, chat shorthand, question words, the cues of what a question asks for and of
what a passage holds), plus a knowledge base's own `synonyms.txt`. Loaded once, checked line by
line (`bot.vocabulary`), compiled into lookups that cost a question a few dictionary reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.knowledge import SYNONYMS_FILE
from bot.text import LEXICON_DIR, stem, tokenize
from bot.vocabulary import Rule, read_rules, read_words

KINDS = frozenset({"time", "quantity", "place", "person", "reason", "speech"})
INTENTS = frozenset({"more", "overview", "text", "filler", "anaphora", "deixis", "continuation",
                     "yesno", "negation", "determiner"})
SMALL_TALK = frozenset({"greeting", "thanks", "acknowledgement", "farewell", "wellbeing",
                        "identity", "abilities"})
# Small talk that may open a question without asking anything: "ok, so why…", "thanks! and…".
FILLER_TALK = frozenset({"greeting", "thanks", "acknowledgement"})
KNOWLEDGE_SYNONYMS = SYNONYMS_FILE  # the knowledge folder's own vocabulary, at its top
GAP = 4  # how many words `...` in a cue pattern stands for, at most

Phrase = tuple[str, ...]


class Rewrites:
    """One-way rules (`put off => postpone`) applied to a question's words, longest match
    first, in one left-to-right pass: linear in the question's length."""

    def __init__(self, rules: Iterable[tuple[Phrase, Phrase]], by_stem: bool) -> None:
        self._by_stem = by_stem
        self.rules = list(rules)
        table: dict[str, list[tuple[Phrase, Phrase]]] = {}
        for left, right in self.rules:
            key = tuple(stem(w) for w in left) if by_stem else left
            table.setdefault(key[0], []).append((key, right))
        self._table = {first: sorted(found, key=lambda r: -len(r[0]))
                       for first, found in table.items()}

    def __bool__(self) -> bool:
        return bool(self._table)

    def apply(self, words: Sequence[str]) -> list[str]:
        keys = [stem(w) for w in words] if self._by_stem else list(words)
        out: list[str] = []
        i = 0
        while i < len(words):
            for left, right in self._table.get(keys[i], ()):
                if tuple(keys[i : i + len(left)]) == left:
                    out.extend(right)
                    i += len(left)
                    break
            else:
                out.append(words[i])
                i += 1
        return out


@dataclass(frozen=True, slots=True)
class Synonyms:
    """Equivalent terms, as stems: each single word's equivalents, and the phrases (runs of
    stems) whose presence in a question adds theirs."""

    words: Mapping[str, frozenset[str]] = field(default_factory=dict)
    phrases: Mapping[Phrase, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, groups: Iterable[Sequence[Phrase]]) -> Synonyms:
        words: dict[str, set[str]] = {}
        phrases: dict[Phrase, set[str]] = {}
        for group in groups:
            stems = [tuple(tokenize(" ".join(term))) for term in group]
            stems = [s for s in stems if s]
            every = {t for s in stems for t in s}
            for term in stems:
                if len(term) == 1:
                    words.setdefault(term[0], set()).update(every - {term[0]})
                else:
                    phrases.setdefault(term, set()).update(every - set(term))
        return cls({k: frozenset(v) for k, v in words.items() if v},
                   {k: frozenset(v) for k, v in phrases.items() if v})

    def merged(self, other: Synonyms) -> Synonyms:
        words = {k: self.words.get(k, frozenset()) | other.words.get(k, frozenset())
                 for k in {*self.words, *other.words}}
        phrases = {k: self.phrases.get(k, frozenset()) | other.phrases.get(k, frozenset())
                   for k in {*self.phrases, *other.phrases}}
        return Synonyms(words, phrases)

    def of_word(self, token: str) -> frozenset[str]:
        return self.words.get(token, frozenset())

    def in_phrases(self, tokens: Sequence[str]) -> set[str]:
        """What the phrases among `tokens` (a question's stems, in order) add."""
        found: set[str] = set()
        if not self.phrases:
            return found
        for term, extra in self.phrases.items():
            n = len(term)
            if any(tuple(tokens[i : i + n]) == term for i in range(len(tokens) - n + 1)):
                found |= extra
        return found


class Cues:
    """Patterns of words that say what kind of thing a question asks for, or a passage holds.
    `find` returns the kind of the match that starts first (then the longest), scanning each
    position against the few patterns that open with its word: linear in the text's length."""

    def __init__(self, rules: Iterable[tuple[Phrase, str]]) -> None:
        table: dict[str, list[tuple[Phrase, str]]] = {}
        for pattern, kind in rules:
            table.setdefault(pattern[0], []).append((pattern, kind))
        self._table = {first: sorted(found, key=lambda r: -len(r[0]))
                       for first, found in table.items()}

    def find(self, words: Sequence[str]) -> str | None:
        for i, word in enumerate(words):
            for pattern, kind in self._table.get(word, ()):
                if _matches(pattern, words, i):
                    return kind
        return None


def _matches(pattern: Phrase, words: Sequence[str], at: int) -> bool:
    """Whether `pattern` matches `words` from `at`: `*` is any one word, `...` up to `GAP`
    words. Each pattern holds at most a few wildcards, so this is bounded per position."""
    if not pattern:
        return True
    head, rest = pattern[0], pattern[1:]
    if head == "...":
        return any(_matches(rest, words, at + skip)
                   for skip in range(min(GAP, len(words) - at) + 1))
    if at >= len(words) or (head != "*" and words[at] != head):
        return False
    return _matches(rest, words, at + 1)


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """Everything a question is read with. Immutable; a knowledge base's own synonyms make a
    new one (`with_rules`) that is swapped in with its index."""

    synonyms: Synonyms
    shorthand: Rewrites
    rewrites: Rewrites
    question_words: frozenset[str]
    asks: Cues
    holds: Mapping[str, str]  # a word of a passage -> the kind of fact it shows
    intents: Mapping[str, frozenset[Phrase]]  # intents.txt: kind -> its phrases
    opposites: Mapping[str, frozenset[str]]  # a word's stem -> its opposites' stems
    source: tuple[str, ...] = ()  # the files it was read from
    small_talk: Mapping[Phrase, str] = field(default_factory=dict)  # smalltalk.txt: -> its kind

    def with_rules(self, rules: Sequence[Rule], source: str) -> Lexicon:
        """This lexicon with a knowledge base's own rules added: groups join the synonyms,
        one-way rules the rewrites (they go first: the knowledge base knows its words best)."""
        if not rules:
            return self
        one_way = [(left, rule.right) for rule in rules if rule.one_way for left in rule.left]
        groups = [rule.left for rule in rules if not rule.one_way]
        rewrites = Rewrites([*_one_way(one_way), *self.rewrites.rules], by_stem=True)
        return Lexicon(self.synonyms.merged(Synonyms.of(groups)), self.shorthand, rewrites,
                       self.question_words, self.asks, self.holds, self.intents,
                       self.opposites, (*self.source, source), self.small_talk)

    def phrases(self, intent: str) -> frozenset[Phrase]:
        return self.intents.get(intent, frozenset())


def _one_way(pairs: Iterable[tuple[Phrase, tuple[Phrase, ...]]]) -> list[tuple[Phrase, Phrase]]:
    """`a => b, c` as (a, the words of b and c)."""
    return [(left, tuple(w for term in right for w in term)) for left, right in pairs]


def _rewrite_pairs(rules: Iterable[Rule]) -> list[tuple[Phrase, Phrase]]:
    return _one_way((left, rule.right) for rule in rules if rule.one_way for left in rule.left)


@lru_cache(maxsize=4)
def general(folder: Path = LEXICON_DIR) -> Lexicon:
    """The general English lexicon shipped in `config/lexicon/` (read once; raises
    `VocabularyError` naming the file and line of a mistake)."""
    synonyms = read_rules(folder / "synonyms.txt")
    phrases = read_rules(folder / "phrases.txt")
    shorthand = read_rules(folder / "shorthand.txt")
    asks = read_rules(folder / "cues.txt", patterns=True, targets=KINDS)
    holds = read_rules(folder / "facts.txt", targets=KINDS)
    opposites: dict[str, set[str]] = {}
    for rule in read_rules(folder / "antonyms.txt", opposites=True):
        first, *others = (stem(" ".join(term)) for term in rule.left)
        for other in others:
            opposites.setdefault(first, set()).add(other)
            opposites.setdefault(other, set()).add(first)
    intents: dict[str, set[Phrase]] = {}
    for rule in read_rules(folder / "intents.txt", patterns=True, targets=INTENTS):
        intents.setdefault(rule.right[0][0], set()).update(rule.left)
    small_talk = {phrase: rule.right[0][0] for rule in read_rules(
        folder / "smalltalk.txt", targets=SMALL_TALK) for phrase in rule.left}
    intents.setdefault("filler", set()).update(
        phrase for phrase, kind in small_talk.items() if kind in FILLER_TALK)
    return Lexicon(
        synonyms=Synonyms.of(rule.left for rule in [*synonyms, *phrases] if not rule.one_way),
        shorthand=Rewrites(_rewrite_pairs(shorthand), by_stem=False),
        rewrites=Rewrites(_rewrite_pairs([*synonyms, *phrases]), by_stem=True),
        question_words=frozenset(read_words(folder / "question_words.txt")),
        asks=Cues((left, rule.right[0][0]) for rule in asks for left in rule.left),
        holds={" ".join(left): rule.right[0][0] for rule in holds for left in rule.left},
        intents={kind: frozenset(phrases) for kind, phrases in intents.items()},
        opposites={word: frozenset(found) for word, found in opposites.items()},
        source=tuple(str(folder / name) for name in (
            "synonyms.txt", "phrases.txt", "shorthand.txt", "cues.txt", "facts.txt",
            "intents.txt", "antonyms.txt", "question_words.txt", "smalltalk.txt")),
        small_talk=small_talk,
    )


def for_knowledge(folder: Path, base: Lexicon | None = None) -> Lexicon:
    """The lexicon for the knowledge base in `folder`: the general one, plus the folder's own
    `synonyms.txt` when it has one (raises `VocabularyError` for a broken line)."""
    base = base or general()
    path = Path(folder) / KNOWLEDGE_SYNONYMS
    if not path.is_file():
        return base
    return base.with_rules(read_rules(path), str(path))
