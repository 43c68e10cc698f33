"""Evidence: the passages a question's terms find, and what each offers as an answer, as a row
of numbers (`FEATURES`) that the answer model weighs. Worked out for the few best candidates
only: a passage's own score, its best sentence's, how much of the question it holds, whether it
holds the kind of fact asked for, and what the question asks that no passage knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot import sentences
from bot.facts import FactKind, kinds_held
from bot.index import Hit, Index
from bot.lexicon import Lexicon
from bot.model import AnswerModel
from bot.question import Query
from bot.text import QueryTerm, english_typos, specificity, stem, zipf_frequency

FEATURES = (
    "bm25",  # the passage's score over the most the question's words can score
    "bm25_rel",  # ...over the best candidate's score
    "sentence",  # its best sentence's score over the most the question's words can score
    "sentence_rel",  # ...over the best candidate's best sentence
    "coverage",  # share of the question's words (by idf) its own text holds
    "synonym_only",  # share held only as a synonym
    "heading_only",  # share held only by its title or section heading
    "sentence_coverage",  # share its best sentence holds
    "missing_rare",  # share of the question's words (by rarity in English) it lacks
    "missing_known",  # share of the question's words the articles use (by idf) it lacks
    "sentence_missing",  # ...that its best sentence lacks
    "number_missing",  # the question names a number the passage does not hold
    "phrase",  # share of the question's word pairs its best sentence holds side by side
    "kind_in_sentence",  # the kind of fact asked for is in its best sentence
    "kind_in_passage",  # ...in the passage
    "kind_missing",  # a kind of fact is asked for and the passage holds none
    "first_rank",  # 1 / its place in BM25's ranking
    "unknown",  # share of the question's words (by rarity) no passage holds
    "unknown_name",  # the question names something no passage names
    "context",  # the question was read with the one before it
    "negated",  # the question holds a negation ("not", "never")
)
TYPO_ZIPF = 2.0  # below this, a word English hardly knows is taken for a typo
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Terms:
    """A question's words as the index knows them: what is searched, and what was asked."""

    search: tuple[QueryTerm, ...]  # asked (or typo-corrected) words, synonyms, context
    asked: tuple[QueryTerm, ...]  # the question's own words (corrected where mistyped)
    unknown: tuple[QueryTerm, ...]  # asked words no passage holds, nor any synonym of them
    unknown_names: tuple[str, ...]
    context: bool  # earlier questions' words are among `search`
    pairs: tuple[tuple[str, str], ...]  # asked tokens side by side, as searched


@dataclass(slots=True, eq=False)
class Candidate:
    """A passage found for a question, with its evidence. `sentence` is its best sentence's
    place among the passage's sentences."""

    hit: Hit
    row: Floats
    sentence: int
    kinds: frozenset[FactKind]
    logit: float = 0.0
    probability: float = 0.0


@dataclass(frozen=True, slots=True)
class Evidence:
    query: Query
    terms: Terms
    candidates: tuple[Candidate, ...]  # in BM25's order until the model ranks them


def resolve(query: Query, index: Index, model: AnswerModel,
            context: Sequence[Query] = ()) -> Terms:
    """`query`'s words as the index knows them: typos corrected to the articles' words (or to
    the English word meant), synonyms the articles use, and the words of `context` (earlier
    questions, newest first) at a lower weight."""
    asked: list[QueryTerm] = []
    unknown: list[QueryTerm] = []
    synonyms_of: dict[str, list[str]] = {}
    for token, of in query.synonyms:
        synonyms_of.setdefault(of, []).append(token)
    renamed: dict[str, str] = {}
    for a in query.asked:
        term = _corrected(a.token, a.word, index, synonyms_of.get(a.token, ()))
        renamed[a.token] = term.token
        asked.append(term)
        if term.origin == "asked" and not _known(term.token, index, synonyms_of.get(a.token)):
            unknown.append(term)
    search = list(asked)
    seen = {t.token for t in asked}
    for term in asked:
        weight = model.synonym_weight if term.token in index else model.stand_in_weight
        for token in synonyms_of.get(_original(term, renamed), ()):
            if token not in seen and token in index:
                search.append(QueryTerm(token, weight, "synonym", term.word))
                seen.add(token)
    weight = model.context_weight
    for earlier in context:
        for term in resolve(earlier, index, model).search:
            if term.token not in seen:
                search.append(QueryTerm(term.token, term.weight * weight, "context", term.word))
                seen.add(term.token)
        weight *= model.context_weight
    pairs = tuple((renamed.get(a, a), renamed.get(b, b)) for a, b in query.phrases)
    return Terms(tuple(search), tuple(asked), tuple(unknown), _unknown_names(query, index),
                 bool(context), pairs)


def _original(term: QueryTerm, renamed: dict[str, str]) -> str:
    return next((old for old, new in renamed.items() if new == term.token), term.token)


def _known(token: str, index: Index, synonyms: Iterable[str] | None) -> bool:
    return token in index or any(s in index for s in synonyms or ())


def _corrected(token: str, word: str, index: Index, synonyms: Sequence[str]) -> QueryTerm:
    if token in index:
        return QueryTerm(token, 1.0, "asked", word)
    # Compare the stem too: "visting" is two edits from "visit", its stem "vist" one.
    fixed = index.typos.correct(word) or index.typos.correct(token, typed=word)
    if fixed is not None and stem(fixed) in index:
        return QueryTerm(stem(fixed), 1.0, "typo", word)
    # A misspelt word the articles do not use may be an English word they do not use either:
    # then it stays unknown as the word meant, not as a misspelling. Only a word English
    # itself hardly knows is taken for a typo ("suposed"; "clashing" is rare, not a typo).
    if not synonyms and zipf_frequency(word) < TYPO_ZIPF:
        meant = english_typos().correct(word)
        if meant is not None and stem(meant) in index:
            return QueryTerm(stem(meant), 1.0, "typo", word)
    return QueryTerm(token, 1.0, "asked", word)


def _unknown_names(query: Query, index: Index) -> tuple[str, ...]:
    """Names the question uses that no passage holds ("Will Blinken meet *Wang Yi*?")."""
    found = []
    for name in query.names:
        token = stem(name.casefold())
        if token in index or index.typos.correct(name.casefold()) is not None:
            continue
        found.append(name)
    return tuple(found)


def gather(query: Query, terms: Terms, index: Index, lexicon: Lexicon,
           candidates: int) -> Evidence:
    """The best `candidates` passages for `terms`, each with its row of evidence."""
    hits = index.search(terms.search, k=candidates)
    if not hits:
        return Evidence(query, terms, ())
    weights = _weights(terms, index)
    ideal = sum(w for w in weights.values()) * (index.k1 + 1) or 1.0
    asked = {t.token for t in terms.asked}
    rarity = {t.token: specificity(t.word) for t in terms.asked}
    total_rarity = sum(rarity.values()) or 1.0
    unknown = sum(specificity(t.word) for t in terms.unknown) / total_rarity
    best = max(h.score for h in hits) or 1.0
    synonyms = {t.token for t in terms.search if t.origin == "synonym"}
    total_idf = sum(w for t, w in weights.items() if t in asked or t not in synonyms) or 1.0
    known = {t: weights[t] for t in asked if t in weights}
    total_known = sum(known.values()) or 1.0
    numbers = {t for t in asked if t.isdigit()}
    rows: list[list[float]] = []
    picked: list[tuple[int, frozenset[FactKind]]] = []
    sentence_best: list[float] = []
    for rank, hit in enumerate(hits):
        text = hit.passage.text
        sentence, score, held = _best_sentence(text, weights, index.k1)
        sentence_best.append(score)
        own = hit.in_text
        concepts = [t for t in weights if t not in synonyms]
        coverage = sum(weights[t] for t in concepts if t in own) / total_idf
        heading = sum(weights[t] for t in concepts if t in hit.matched and t not in own)
        by_synonym = _synonym_share(terms, own, weights) / total_idf
        missing = sum(r for t, r in rarity.items() if t not in hit.matched) / total_rarity
        kinds = kinds_held(text, lexicon) if query.kind is not None else frozenset()
        in_sentence = query.kind is not None and query.kind in _sentence_kinds(
            text, sentence, lexicon)
        in_passage = query.kind is not None and query.kind in kinds
        rows.append([
            hit.score / ideal, hit.score / best, score / ideal, 0.0, coverage, by_synonym,
            heading / total_idf, sum(weights[t] for t in concepts if t in held) / total_idf,
            missing, sum(w for t, w in known.items() if t not in hit.matched) / total_known,
            sum(w for t, w in known.items() if t not in held) / total_known,
            float(not numbers <= hit.matched),
            _pairs_held(terms.pairs, text, sentence), float(in_sentence),
            float(in_passage), float(query.kind is not None and not in_passage),
            1.0 / (rank + 1), unknown, float(bool(terms.unknown_names)), float(terms.context),
            float(query.negated),
        ])
        picked.append((sentence, kinds))
    top_sentence = max(sentence_best) or 1.0
    matrix = np.array(rows, dtype=np.float64)
    matrix[:, 3] = np.array(sentence_best) / top_sentence
    return Evidence(query, terms, tuple(
        Candidate(hit, matrix[i], picked[i][0], picked[i][1]) for i, hit in enumerate(hits)))


def _weights(terms: Terms, index: Index) -> dict[str, float]:
    """Each searched token's idf times its weight in the question."""
    weights: dict[str, float] = {}
    for term in terms.search:
        if term.token in index and term.token not in weights:
            weights[term.token] = index.idf_of(term.token) * term.weight
    return weights


def _synonym_share(terms: Terms, own: frozenset[str], weights: dict[str, float]) -> float:
    """The weight of the asked words a passage holds only as a synonym."""
    held = 0.0
    by_word: dict[str, list[str]] = {}
    for term in terms.search:
        if term.origin == "synonym":
            by_word.setdefault(term.word, []).append(term.token)
    for term in terms.asked:
        if term.token not in own and any(s in own for s in by_word.get(term.word, ())):
            held += weights.get(term.token, 0.0) or max(
                (weights.get(s, 0.0) for s in by_word[term.word]), default=0.0)
    return held


def _best_sentence(text: str, weights: dict[str, float],
                   k1: float) -> tuple[int, float, frozenset[str]]:
    """The sentence of `text` that scores best for the question (BM25 with the passages' idf,
    no length normalisation: a sentence is a sentence), its score and its tokens."""
    best, best_score, best_tokens = 0, -1.0, frozenset[str]()
    for i, tokens in enumerate(sentences.tokens(text)):
        score = 0.0
        counts: dict[str, int] = {}
        for token in tokens:
            if token in weights:
                counts[token] = counts.get(token, 0) + 1
        for token, tf in counts.items():
            score += weights[token] * tf * (k1 + 1) / (tf + k1)
        if score > best_score:
            best, best_score, best_tokens = i, score, frozenset(counts)
    return best, max(best_score, 0.0), best_tokens


def _sentence_kinds(text: str, sentence: int, lexicon: Lexicon) -> frozenset[FactKind]:
    found = sentences.spans(text)
    if not found:
        return frozenset()
    start, end = found[min(sentence, len(found) - 1)]
    return kinds_held(text[start:end], lexicon)


def _pairs_held(pairs: tuple[tuple[str, str], ...], text: str, sentence: int) -> float:
    if not pairs:
        return 0.0
    found = sentences.tokens(text)
    if not found:
        return 0.0
    tokens = found[min(sentence, len(found) - 1)]
    adjacent = set(zip(tokens, tokens[1:], strict=False))
    return sum(1 for pair in pairs if pair in adjacent) / len(pairs)
