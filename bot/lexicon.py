"""The vocabulary questions are read with: general English from `config/lexicon/` (synonyms,
phrase rewrites, chat shorthand, question words, the cues of what a question asks for and of
what a passage holds), plus a knowledge base's own `synonyms.txt`. Loaded once, checked line by
line (`bot.vocabulary`), compiled into lookups that cost a question a few dictionary reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
# The units an answer may be asked in (unit_cues.txt) and a passage may give (units.txt).
UNITS = frozenset({"date", "day", "month", "year", "decade", "century", "clock", "duration",
                   "age", "money", "percent", "distance", "size", "mass", "temperature",
                   "speed", "count"})
NUMBER = "0"  # what stands for any number in a pattern of units.txt
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


@dataclass(frozen=True, slots=True, eq=False)
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
        lengths = self._lengths
        phrases = self.phrases
        for i, token in enumerate(tokens):
            for n in lengths.get(token, ()):
                extra = phrases.get(tuple(tokens[i : i + n]))
                if extra is not None:
                    found |= extra
        return found

    @property
    def _lengths(self) -> Mapping[str, tuple[int, ...]]:
        return _phrase_lengths(self)


@lru_cache(maxsize=16)
def _phrase_lengths(synonyms: Synonyms) -> dict[str, tuple[int, ...]]:
    """The lengths of the synonym phrases that open with each token, worked out once."""
    found: dict[str, set[int]] = {}
    for term in synonyms.phrases:
        found.setdefault(term[0], set()).add(len(term))
    return {token: tuple(sorted(lengths)) for token, lengths in found.items()}


class Cues:
    """Patterns of words that say what kind of thing a question asks for, or a passage holds.
    `find` returns the kind of the match that starts first (then the longest pattern, then the
    one listed first). The patterns are a trie of words: each position of the text walks down
    it, trying only the patterns that go on with the words there, so a text costs a few
    dictionary reads a word."""

    def __init__(self, rules: Iterable[tuple[Phrase, str]]) -> None:
        self._root: _Node = {}
        for order, (pattern, kind) in enumerate(rules):
            node = self._root
            for word in pattern:
                child = node.get(word)
                if not isinstance(child, dict):
                    child = node[word] = {}
                node = child
            ends = node.setdefault(_END, [])
            assert isinstance(ends, list)
            ends.append((-len(pattern), order, kind))

    def __bool__(self) -> bool:
        return bool(self._root)

    def find(self, words: Sequence[str]) -> str | None:
        found = self.match(words)
        return found[0] if found else None

    def match(self, words: Sequence[str]) -> tuple[str, int] | None:
        """The kind of the first match and where it ends (the first word after it)."""
        root = self._root
        for i, word in enumerate(words):
            if word not in root:
                continue
            best: tuple[int, int, str, int] | None = None
            for rank, order, kind, end in _walk(root, words, i):
                if best is None or (rank, order) < best[:2]:
                    best = (rank, order, kind, end)
            if best is not None:
                return best[2], best[3]
        return None

    def find_all(self, words: Sequence[str]) -> set[str]:
        """The kinds of every match anywhere in `words`."""
        root = self._root
        return {kind for i, word in enumerate(words) if word in root
                for _, _, kind, _ in _walk(root, words, i)}


_END = ""  # the key under which a trie node lists the patterns that end there
_Node = dict[str, "_Node | list[tuple[int, int, str]]"]


def _walk(node: _Node, words: Sequence[str], at: int) -> list[tuple[int, int, str, int]]:
    """The patterns under `node` that match `words` from `at`, with where each match ends: `*`
    is any one word, `...` up to `GAP` words. A pattern holds at most a few wildcards, so this
    is bounded per position."""
    found: list[tuple[int, int, str, int]] = []
    stack = [(node, at)]
    n = len(words)
    while stack:
        here, i = stack.pop()
        ends = here.get(_END)
        if ends is not None:
            assert isinstance(ends, list)
            found.extend((rank, order, kind, i) for rank, order, kind in ends)
        if i < n:
            for key in (words[i], "*"):
                child = here.get(key)
                if child is not None:
                    assert isinstance(child, dict)
                    stack.append((child, i + 1))
        gap = here.get("...")
        if gap is not None:
            assert isinstance(gap, dict)
            stack.extend((gap, i + skip) for skip in range(min(GAP, n - i) + 1))
    return found


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
    unit_asks: Cues = field(default_factory=lambda: Cues(()))  # unit_cues.txt
    units: Cues = field(default_factory=lambda: Cues(()))  # units.txt, numbers read as `NUMBER`
    numbers: frozenset[str] = frozenset()  # number words ("five", "million")
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
        return replace(self, synonyms=self.synonyms.merged(Synonyms.of(groups)),
                       rewrites=rewrites, source=(*self.source, source))

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
    unit_asks = read_rules(folder / "unit_cues.txt", patterns=True, targets=UNITS)
    units = read_rules(folder / "units.txt", patterns=True, targets=UNITS | {"number"})
    return Lexicon(
        synonyms=Synonyms.of(rule.left for rule in [*synonyms, *phrases] if not rule.one_way),
        shorthand=Rewrites(_rewrite_pairs(shorthand), by_stem=False),
        rewrites=Rewrites(_rewrite_pairs([*synonyms, *phrases]), by_stem=True),
        question_words=frozenset(read_words(folder / "question_words.txt")),
        asks=Cues((left, rule.right[0][0]) for rule in asks for left in rule.left),
        holds={" ".join(left): rule.right[0][0] for rule in holds for left in rule.left},
        intents={kind: frozenset(phrases) for kind, phrases in intents.items()},
        opposites={word: frozenset(found) for word, found in opposites.items()},
        unit_asks=Cues((left, rule.right[0][0]) for rule in unit_asks for left in rule.left),
        units=Cues((left, " ".join(unit)) for rule in units if rule.right != (("number",),)
                   for left in rule.left for unit in rule.right),
        numbers=frozenset(" ".join(left) for rule in units if rule.right == (("number",),)
                          for left in rule.left),
        source=tuple(str(folder / name) for name in (
            "synonyms.txt", "phrases.txt", "shorthand.txt", "cues.txt", "facts.txt",
            "intents.txt", "antonyms.txt", "question_words.txt", "smalltalk.txt",
            "unit_cues.txt", "units.txt")),
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
