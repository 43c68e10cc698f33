"""Grouping near-duplicate questions, so that a report counts "why was the visit postponed" and
"Why was Blinken's visit postponed?" as one question asked twice.

A question is read as a set of tokens: the index's own (case-folded content words, Snowball
stems, so case, punctuation, word order and word endings do not matter) plus its question word
("why" and "when" ask different things about the same words). Two questions are the same when
one's tokens are all in the other and make up two thirds of it (one added detail), or when the
tokens they share are three fifths of all their tokens together; a token matches another one or
two typing errors away (rapidfuzz), and two questions naming different numbers are never the same.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from bot.text import tokenize, words

QUESTION_WORDS = frozenset({"who", "whom", "whose", "what", "which", "when", "where", "why",
                            "how"})


@dataclass(frozen=True, slots=True)
class Group:
    """Questions asked in different words: the most frequent wording, and the positions of all
    of them in the list that was grouped."""

    representative: str
    members: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.members)


def signature(question: str) -> frozenset[str]:
    """The tokens a question is compared by; empty for one without content words."""
    asked = {w.split("'")[0] for w in words(question)} & QUESTION_WORDS  # "what's" asks "what"
    return frozenset(tokenize(question)) | asked


def same_question(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two signatures ask the same thing (see the module's docstring)."""
    if not a or not b:
        return a == b
    if {t for t in a ^ b if t.isdigit()}:  # "in 2019" and "in 2020" are different questions
        return False
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    matched = _matched(small, large)
    s, n = len(small), len(large)
    return (matched == s and 3 * s >= 2 * n) or 8 * matched >= 3 * (s + n)


def _matched(small: frozenset[str], large: frozenset[str]) -> int:
    """How many of `small`'s tokens have a partner in `large`: the same token, else one a typing
    error or two away (each partner used once)."""
    exact = small & large
    left = sorted(large - exact)
    matched = len(exact)
    for token in sorted(small - exact):
        allowed = _edits(token)
        if not allowed:
            continue
        for i, other in enumerate(left):
            if _edits(other) and Levenshtein.distance(token, other,
                                                      score_cutoff=allowed) <= allowed:
                matched += 1
                del left[i]
                break
    return matched


def _edits(token: str) -> int:
    """Typing errors a token may carry and still be itself: none for short words and numbers."""
    if token.isdigit() or len(token) < 5:
        return 0
    return 1 if len(token) < 8 else 2


def group(questions: Sequence[str]) -> list[Group]:
    """The questions in groups of the same question, the largest first (ties: the one asked
    first). Each group is compared by its most frequent wording's signature."""
    by_signature: dict[frozenset[str] | str, list[int]] = defaultdict(list)
    for position, question in enumerate(questions):
        tokens = signature(question)
        # Without content words, only the same words (in any case and spacing) are the same.
        by_signature[tokens if tokens else " ".join(words(question))].append(position)
    ordered = sorted(by_signature.items(), key=lambda item: (-len(item[1]), item[1][0]))
    leaders: list[tuple[frozenset[str], list[int]]] = []
    by_token: dict[str, list[int]] = defaultdict(list)  # token -> leaders holding it
    for key, positions in ordered:
        home = _leader_of(key, leaders, by_token) if isinstance(key, frozenset) else None
        if home is not None:
            leaders[home][1].extend(positions)
            continue
        if isinstance(key, frozenset):
            for token in key:
                by_token[token].append(len(leaders))
        leaders.append((key if isinstance(key, frozenset) else frozenset(), positions))
    groups = [Group(_representative(questions, members), tuple(sorted(members)))
              for _, members in leaders]
    return sorted(groups, key=lambda g: (-g.count, g.members[0]))


def _leader_of(key: frozenset[str], leaders: Sequence[tuple[frozenset[str], list[int]]],
               by_token: dict[str, list[int]]) -> int | None:
    """The first group whose leading signature asks the same as `key`; a candidate shares at
    least one token exactly, which keeps grouping thousands of questions fast."""
    candidates = sorted({i for token in key for i in by_token.get(token, ())})
    return next((i for i in candidates if leaders[i][0] and same_question(key, leaders[i][0])),
                None)


def _representative(questions: Sequence[str], members: Iterable[int]) -> str:
    """The wording asked most often (case and spacing aside); of those, the latest."""
    wordings: Counter[str] = Counter()
    latest: dict[str, str] = {}
    for position in members:
        text = " ".join(questions[position].split())
        wordings[text.casefold()] += 1
        latest[text.casefold()] = text
    best = max(wordings.items(), key=lambda item: item[1])[0]
    return latest[best]
