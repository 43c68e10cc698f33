"""Evidence: the passages a question's terms find, and what each offers as an answer, as a row
of numbers (`FEATURES`) that the answer model weighs. Worked out for the few best candidates
only: a passage's own score, its best sentence's, how much of the question it holds, whether it
holds the kind of fact asked for, and what the question asks that no passage knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bot import sentences
from bot.facts import FactKind, held_besides, holds_unit, sentence_facts
from bot.index import Hit, Index
from bot.lexicon import Lexicon
from bot.model import AnswerModel
from bot.question import Query
from bot.text import QueryTerm, english_typos, specificity, stem, tokenize, zipf_frequency

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
    "name_missing",  # ...or a name the articles use that the passage does not
    "opposite",  # its best sentence says the opposite of a word of the question
    "phrase",  # share of the question's word pairs its best sentence holds side by side
    "bigrams",  # share of the question's word pairs as typed (with "of", "in"...) it holds
    "exact",  # share of the question's words its best sentence holds in the very form asked
    "proximity",  # how close together its words that the question asks stand
    "window",  # the best two neighbouring sentences' score over the most the words can score
    "kind_in_sentence",  # the kind of fact asked for is in its best sentence
    "kind_in_passage",  # ...in the passage
    "kind_missing",  # a kind of fact is asked for and the passage holds none
    "first_rank",  # 1 / its place in BM25's ranking
    "lead",  # it opens its document, where articles say what they are about
    "first_sentence",  # its best sentence opens it
    "unknown",  # share of the question's words (by rarity) no passage holds
    "unknown_name",  # the question names something no passage names
    "context",  # the question was read with the one before it
    "negated",  # the question holds a negation ("not", "never")
    "unit_in_sentence",  # its best sentence gives a fact in the unit asked ("what *date*")
    "unit_in_passage",  # ...the passage does
    "unit_missing",  # a unit is asked for and the passage gives no fact in it
)
TYPO_ZIPF = 2.0  # below this, a word English hardly knows is taken for a typo
Floats = npt.NDArray[np.float64]


class Concept(NamedTuple):
    """Something the question asks about: an asked word (or an earlier question's, for a
    follow-up), with the synonyms that stand for it, weighed by its idf in the articles (a
    word they never use weighs as the rarest) and its weight in the question. (A tuple, as
    `QueryTerm`: a question makes one a word, and a frozen dataclass costs several times as
    much to make.)"""

    token: str
    synonyms: frozenset[str]
    weight: float
    asked: bool  # the question's own word, not the context's
    known: bool  # the articles use it, or a synonym of it
    rarity: float  # its specificity in English


@dataclass(frozen=True, slots=True)
class Terms:
    """A question's words as the index knows them: what is searched, and what was asked."""

    search: tuple[QueryTerm, ...]  # asked (or typo-corrected) words, synonyms, context
    concepts: tuple[Concept, ...]
    asked: tuple[QueryTerm, ...]  # the question's own words (corrected where mistyped)
    unknown: tuple[QueryTerm, ...]  # asked words no passage holds, nor any synonym of them
    unknown_names: tuple[str, ...]
    context: bool  # earlier questions' words are among `search`
    pairs: tuple[tuple[str, str], ...]  # asked tokens side by side, as searched


@dataclass(slots=True, eq=False)
class Candidate:
    """A passage found for a question, with its evidence. `sentence` is its best sentence's
    place among the passage's sentences (`read`)."""

    hit: Hit
    row: Floats
    sentence: int
    kinds: frozenset[FactKind]
    read: tuple[sentences.Sentence, ...] = ()
    logit: float = 0.0
    probability: float = 0.0


@dataclass(frozen=True, slots=True)
class Evidence:
    query: Query
    terms: Terms
    candidates: tuple[Candidate, ...]  # in BM25's order until the model ranks them
    answerable: float = 0.0  # the model's chance that the question is answered at all


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
    return Terms(tuple(search), _concepts(search, asked, index), tuple(asked), tuple(unknown),
                 _unknown_names(query, index), bool(context), pairs)


def _concepts(search: Sequence[QueryTerm], asked: Sequence[QueryTerm],
              index: Index) -> tuple[Concept, ...]:
    by_word: dict[str, set[str]] = {}
    for term in search:
        if term.origin == "synonym":
            by_word.setdefault(term.word, set()).add(term.token)
    out = []
    for term in asked:
        synonyms = frozenset(by_word.get(term.word, ()))
        known = term.token in index or bool(synonyms)
        idf = index.idf_of(term.token) if term.token in index else max(
            (index.idf_of(s) for s in synonyms), default=index.max_idf)
        out.append(Concept(term.token, synonyms, idf, True, known, specificity(term.word)))
    for term in search:
        if term.origin == "context":
            out.append(Concept(term.token, frozenset(), index.idf_of(term.token) * term.weight,
                               False, True, specificity(term.word)))
    return tuple(out)


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
        token = _name_token(name)
        if token in index or index.typos.correct(name.casefold()) is not None:
            continue
        found.append(name)
    return tuple(found)


@lru_cache(maxsize=4096)  # a question's names are looked up twice, and come back
def _name_token(name: str) -> str:
    """A name's token as the index reads it ("US" is the country's token, not "us")."""
    found = tokenize(name)
    return found[0] if len(found) == 1 else stem(name.casefold())


def gather(query: Query, terms: Terms, index: Index, lexicon: Lexicon,
           candidates: int) -> Evidence:
    """The best `candidates` passages for `terms`, each with its row of evidence."""
    hits = index.search(terms.search, k=candidates)
    if not hits:
        return Evidence(query, terms, ())
    asked = _Asked.of(query, terms, index, lexicon)
    best = max(h.score for h in hits) or 1.0
    rows: list[list[float]] = []
    picked: list[tuple[int, frozenset[FactKind], tuple[sentences.Sentence, ...]]] = []
    for rank, hit in enumerate(hits):
        read = index.sentences(hit.passage)
        row, sentence, kinds = _row(hit, read, rank, best, asked, lexicon)
        rows.append(row)
        picked.append((sentence, kinds, read))
    matrix = np.array(rows, dtype=np.float64)
    top_sentence = max(row[_SENTENCE] for row in rows) or 1.0
    matrix[:, _SENTENCE_REL] = matrix[:, _SENTENCE] / top_sentence
    return Evidence(query, terms, tuple(
        Candidate(hit, matrix[i], *picked[i]) for i, hit in enumerate(hits)))


_SENTENCE = FEATURES.index("sentence")
_SENTENCE_REL = FEATURES.index("sentence_rel")


@dataclass(frozen=True, slots=True)
class _Asked:
    """What the evidence of every candidate is weighed against: the question's concepts and
    their totals, worked out once per question."""

    query: Query
    terms: Terms
    weights: dict[str, float]  # each searched token's idf times its weight in the question
    k1: float
    ideal: float  # the most the question's words can score
    total: float
    total_rarity: float
    total_known: float
    unknown: float
    numbers: frozenset[str]
    names: frozenset[str]
    tokens: frozenset[str]
    words: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    opposed: tuple[str, ...]  # its words' stems that have opposites

    @classmethod
    def of(cls, query: Query, terms: Terms, index: Index, lexicon: Lexicon) -> _Asked:
        weights = _weights(terms, index)
        concepts = terms.concepts
        asked = [c for c in concepts if c.asked]
        total_rarity = sum(c.rarity for c in asked) or 1.0
        opposites = lexicon.opposites
        return cls(
            query=query, terms=terms, weights=weights, k1=index.k1,
            ideal=sum(weights.values()) * (index.k1 + 1) or 1.0,
            total=sum(c.weight for c in concepts) or 1.0,
            total_rarity=total_rarity,
            total_known=sum(c.weight for c in asked if c.known) or 1.0,
            unknown=sum(c.rarity for c in asked if not c.known) / total_rarity,
            numbers=frozenset(c.token for c in asked if c.token.isdigit()),
            names=frozenset(t for t in (_name_token(n) for n in query.names) if t in index),
            tokens=frozenset(c.token for c in asked),
            words=frozenset(a.word for a in query.asked),
            bigrams=_ngrams(query, lexicon),
            opposed=tuple(dict.fromkeys(w for w in (stem(w) for w in query.words)
                                        if w in opposites)),
        )


def _row(hit: Hit, read: tuple[sentences.Sentence, ...], rank: int, best: float, asked: _Asked,
         lexicon: Lexicon) -> tuple[list[float], int, frozenset[FactKind]]:
    """A candidate's row of evidence (`FEATURES`; `sentence_rel` is filled in by `gather`),
    its best sentence and the kinds of fact it holds; `read` are its sentences."""
    text = hit.passage.text
    query, terms = asked.query, asked.terms
    parsed = read or (_EMPTY,)
    sentence, score, window = _best_sentence(parsed, asked.weights, asked.k1)
    chosen = parsed[sentence]
    held = chosen.token_set
    own, matched = hit.in_text, hit.matched
    coverage = by_synonym = heading = in_sentence_share = 0.0
    missing_rare = missing_known = sentence_missing = 0.0
    for c in terms.concepts:
        synonyms = c.synonyms
        if c.token in own:
            coverage += c.weight
        elif synonyms and not synonyms.isdisjoint(own):
            by_synonym += c.weight
        elif c.token in matched or (synonyms and not synonyms.isdisjoint(matched)):
            heading += c.weight
        in_sentence = c.token in held or bool(synonyms and not synonyms.isdisjoint(held))
        if in_sentence:
            in_sentence_share += c.weight
        if not c.asked:
            continue
        if c.token not in matched and (not synonyms or synonyms.isdisjoint(matched)):
            missing_rare += c.rarity
            if c.known:
                missing_known += c.weight
        if c.known and not in_sentence:
            sentence_missing += c.weight
    kind = query.kind
    kinds: frozenset[FactKind] = frozenset()
    kind_in_sentence = in_passage = False
    if kind is not None and parsed[0].words:
        inventories = sentence_facts(text, lexicon, read)
        kinds = held_besides(inventories, asked.tokens)
        in_passage = kind in kinds
        kind_in_sentence = in_passage and kind in held_besides(
            inventories[sentence : sentence + 1], asked.tokens)
    unit_sentence = unit_passage = False
    if query.unit is not None and parsed[0].words:
        by_sentence = holds_unit(text, query.unit, query.counted, lexicon, read)
        unit_sentence, unit_passage = by_sentence[sentence], any(by_sentence)
    ideal, total, total_known = asked.ideal, asked.total, asked.total_known
    row = [
        hit.score / ideal, hit.score / best, score / ideal, 0.0, coverage / total,
        by_synonym / total, heading / total, in_sentence_share / total,
        missing_rare / asked.total_rarity, missing_known / total_known,
        sentence_missing / total_known, float(not asked.numbers <= matched),
        float(not asked.names <= matched), _opposite(asked.opposed, chosen, lexicon),
        _pairs_held(terms.pairs, chosen), _ngrams_held(asked.bigrams, chosen),
        _exact(asked.words, chosen), _proximity(asked.tokens, parsed),
        window / ideal, float(kind_in_sentence), float(in_passage),
        float(kind is not None and not in_passage), 1.0 / (rank + 1),
        float(hit.passage.paragraph == 1), float(sentence == 0), asked.unknown,
        float(bool(terms.unknown_names)), float(terms.context), float(query.negated),
        float(unit_sentence), float(unit_passage),
        float(query.unit is not None and not unit_passage),
    ]
    return row, sentence, kinds


def _weights(terms: Terms, index: Index) -> dict[str, float]:
    """Each searched token's idf times its weight in the question."""
    weights: dict[str, float] = {}
    for term in terms.search:
        if term.token in index and term.token not in weights:
            weights[term.token] = index.idf_of(term.token) * term.weight
    return weights


_EMPTY = sentences.Sentence((), ())


def _best_sentence(parsed: Sequence[sentences.Sentence], weights: dict[str, float],
                   k1: float) -> tuple[int, float, float]:
    """The sentence that scores best for the question (BM25 with the passages' idf, no length
    normalisation: a sentence is a sentence) and its score; and the best score of two
    neighbouring sentences."""
    best, best_score = 0, -1.0
    window = previous = 0.0
    saturation = k1 + 1
    for i, sentence in enumerate(parsed):
        held, tokens = sentence.token_set, sentence.tokens
        score = 0.0
        for token, weight in weights.items():
            if token in held:
                tf = tokens.count(token)
                score += weight * tf * saturation / (tf + k1)
        if score > best_score:
            best, best_score = i, score
        window, previous = max(window, previous + score), score
    return best, max(best_score, 0.0), max(window, best_score, 0.0)


def _opposite(wanted: Sequence[str], sentence: sentences.Sentence, lexicon: Lexicon) -> float:
    """Whether the sentence holds the opposite of a word of the question, and not the word."""
    if not wanted:
        return 0.0
    opposites = lexicon.opposites
    held = sentence.stems
    return float(any(w not in held and not opposites[w].isdisjoint(held) for w in wanted))


def _proximity(asked: frozenset[str], parsed: Sequence[sentences.Sentence]) -> float:
    """The question's words the passage holds, over the length of the shortest run of its
    tokens that holds them all (1: side by side)."""
    # Only the places of the asked words matter: the window slides over those.
    places: list[tuple[int, str]] = []
    at = 0
    for sentence in parsed:
        tokens = sentence.tokens
        if not asked.isdisjoint(sentence.token_set):
            places.extend((at + i, token) for i, token in enumerate(tokens) if token in asked)
        at += len(tokens)
    wanted = len({token for _, token in places})
    if wanted < 2:
        return 0.0
    counts: dict[str, int] = {}
    best, start, covered = at, 0, 0
    for end_at, token in places:
        counts[token] = counts.get(token, 0) + 1
        covered += counts[token] == 1
        while covered == wanted:
            first_at, first = places[start]
            best = min(best, end_at - first_at + 1)
            counts[first] -= 1
            covered -= counts[first] == 0
            start += 1
    return wanted / best


def _exact(asked: frozenset[str], sentence: sentences.Sentence) -> float:
    if not asked:
        return 0.0
    return len(asked & sentence.word_set) / len(asked)


def _ngrams(query: Query, lexicon: Lexicon) -> frozenset[tuple[str, str]]:
    """The question's neighbouring words as typed, question words left out."""
    return frozenset(pairwise(w for w in query.words if w not in lexicon.question_words))


def _ngrams_held(ngrams: frozenset[tuple[str, str]], sentence: sentences.Sentence) -> float:
    if not ngrams:
        return 0.0
    words = sentence.word_set
    found = sum(1 for a, b in ngrams if a in words and b in words
                and _side_by_side(sentence.words, a, b))
    return found / len(ngrams)


def _pairs_held(pairs: tuple[tuple[str, str], ...], sentence: sentences.Sentence) -> float:
    if not pairs:
        return 0.0
    held = sentence.token_set
    found = sum(1 for a, b in pairs if a in held and b in held
                and _side_by_side(sentence.tokens, a, b))
    return found / len(pairs)


def _side_by_side(items: tuple[str, ...], first: str, second: str) -> bool:
    """Whether `second` follows `first` somewhere in `items` (which holds `first`)."""
    at = items.index(first)
    last = len(items) - 1
    while at < last:
        if items[at + 1] == second:
            return True
        try:
            at = items.index(first, at + 1)
        except ValueError:
            return False
    return False
