"""Grouping near-duplicate questions, so that a report counts "why was the visit postponed" and
"Why was Blinken's visit postponed?" as one question asked twice.

A question is read as a set of tokens: the index's own (case-folded content words, Snowball
stems, so case, punctuation, word order and word endings do not matter) plus its question word
("why" and "when" ask different things about the same words). Each token weighs what its word
says in general English (`text.specificity`: "Lyon" or "tariffs" much, "say" or "people"
little). Two questions are the same when one holds all of the other's tokens and the other
weighs at least half of it (it only adds detail: "Blinken's visit" for "the visit"), or when
the tokens they share weigh at least 65% of all their tokens together: in a longer question one
common word said otherwise ("say", "announce") keeps it the same; another place or person
("Paris", "Lyon") does not. A token matches another one or two typing errors away (rapidfuzz),
and two questions naming different numbers are never the same.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from bot.text import content_words, specificity, stem, words

QUESTION_WORDS = frozenset({"who", "whom", "whose", "what", "which", "when", "where", "why",
                            "how"})
# A question word is common English but tells apart questions on the same words.
QUESTION_WORD_WEIGHT = 2.5
DETAIL_SHARE = 0.5  # of a question, what one whose tokens are all in it must weigh
SAME_SHARE = 0.65  # of all the tokens' weight, what two questions must share to be one

Signature = Mapping[str, float]  # token -> weight
_CANDIDATES = 20  # groups a question is compared with in full


@dataclass(frozen=True, slots=True)
class Group:
    """Questions asked in different words: the most frequent wording, and the positions of all
    of them in the list that was grouped."""

    representative: str
    members: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.members)


def signature(question: str) -> dict[str, float]:
    """The tokens a question is compared by, with their weights; empty for one without content
    words."""
    tokens: dict[str, float] = {}
    for word in content_words(question):
        token = stem(word)
        tokens[token] = max(tokens.get(token, 0.0), specificity(word))
    for word in words(question):
        asked = word.split("'")[0]  # "what's" asks "what"
        if asked in QUESTION_WORDS:
            tokens[asked] = QUESTION_WORD_WEIGHT
    return tokens


def same_question(a: Signature, b: Signature) -> bool:
    """Whether two signatures ask the same thing (see the module's docstring)."""
    if not a or not b:
        return a.keys() == b.keys()
    if {t for t in a.keys() ^ b.keys() if t.isdigit()}:  # "in 2019" is not "in 2020"
        return False
    shared, matched = _shared(a, b)
    weight_a, weight_b = sum(a.values()), sum(b.values())
    small, large = (weight_a, weight_b) if len(a) <= len(b) else (weight_b, weight_a)
    if matched == min(len(a), len(b)) and small >= DETAIL_SHARE * large:
        return True
    return shared >= SAME_SHARE * (weight_a + weight_b - shared)


def _shared(a: Signature, b: Signature) -> tuple[float, int]:
    """The weight of the tokens `a` and `b` share, and how many: the same token, else one a
    typing error or two away (each partner used once; a pair weighs the mean of its two)."""
    exact = a.keys() & b.keys()
    shared, matched = sum((a[t] + b[t]) / 2 for t in exact), len(exact)
    left = sorted(b.keys() - exact)
    for token in sorted(a.keys() - exact):
        allowed = _edits(token)
        if not allowed:
            continue
        for i, other in enumerate(left):
            if _edits(other) and Levenshtein.distance(token, other,
                                                      score_cutoff=allowed) <= allowed:
                shared, matched = shared + (a[token] + b[other]) / 2, matched + 1
                del left[i]
                break
    return shared, matched


def _edits(token: str) -> int:
    """Typing errors a token may carry and still be itself: none for short words and numbers."""
    if token.isdigit() or len(token) < 5:
        return 0
    return 1 if len(token) < 8 else 2


def group(questions: Sequence[str]) -> list[Group]:
    """The questions in groups of the same question, the largest first (ties: the one asked
    first). Each group is compared by its most frequent wording's signature."""
    by_tokens: dict[frozenset[str] | str, list[int]] = defaultdict(list)
    signatures: dict[frozenset[str] | str, dict[str, float]] = {}
    for position, question in enumerate(questions):
        found = signature(question)
        # Without content words, only the same words (in any case and spacing) are the same.
        key: frozenset[str] | str = frozenset(found) if found else " ".join(words(question))
        by_tokens[key].append(position)
        signatures.setdefault(key, found)
    ordered = sorted(by_tokens.items(), key=lambda item: (-len(item[1]), item[1][0]))
    leaders: list[tuple[dict[str, float], list[int]]] = []
    by_token: dict[str, list[int]] = defaultdict(list)  # token -> leaders holding it
    for key, positions in ordered:
        found = signatures[key]
        home = _leader_of(found, leaders, by_token) if found else None
        if home is not None:
            leaders[home][1].extend(positions)
            continue
        for token in found.keys() - QUESTION_WORDS:
            by_token[token].append(len(leaders))
        leaders.append((found, positions))
    groups = [Group(_representative(questions, members), tuple(sorted(members)))
              for _, members in leaders]
    return sorted(groups, key=lambda g: (-g.count, g.members[0]))


def _leader_of(found: Signature, leaders: Sequence[tuple[dict[str, float], list[int]]],
               by_token: Mapping[str, list[int]]) -> int | None:
    """The group whose leading signature asks the same as `found`, of those sharing the most
    content words with it (at most `_CANDIDATES` are compared: a group that shares fewer
    words than that many others is not the same question), the earliest of equals."""
    shared: Counter[int] = Counter()
    for token in found:
        if token not in QUESTION_WORDS:  # in half of all questions: no sign of the same one
            shared.update(by_token.get(token, ()))
    ranked = sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:_CANDIDATES]
    return next((i for i, _ in ranked if same_question(found, leaders[i][0])), None)


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
