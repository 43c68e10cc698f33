"""Evidence: the passages a question's terms find, and what each offers as an answer, as a row
of numbers (`FEATURES`) that the answer model weighs. Worked out for the few best candidates
only: a passage's own score, its best sentence's, how much of the question it holds, whether it
holds the kind of fact asked for, and what the question asks that no passage knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

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
)
TYPO_ZIPF = 2.0  # below this, a word English hardly knows is taken for a typo
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Concept:
    """Something the question asks about: an asked word (or an earlier question's, for a
    follow-up), with the synonyms that stand for it, weighed by its idf in the articles (a
    word they never use weighs as the rarest) and its weight in the question."""

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
    concepts = terms.concepts
    total = sum(c.weight for c in concepts) or 1.0
    asked = [c for c in concepts if c.asked]
    total_rarity = sum(c.rarity for c in asked) or 1.0
    unknown = sum(c.rarity for c in asked if not c.known) / total_rarity
    known = [c for c in asked if c.known]
    total_known = sum(c.weight for c in known) or 1.0
    numbers = {c.token for c in asked if c.token.isdigit()}
    asked_tokens = {c.token for c in asked}
    bigrams = _ngrams(query, lexicon)
    asked_words = frozenset(a.word for a in query.asked)
    names = {t for t in (stem(n.casefold()) for n in query.names) if t in index}
    said_stems = {stem(w) for w in query.words}
    best = max(h.score for h in hits) or 1.0
    rows: list[list[float]] = []
    picked: list[tuple[int, frozenset[FactKind]]] = []
    sentence_best: list[float] = []
    for rank, hit in enumerate(hits):
        text = hit.passage.text
        parsed = sentences.analysed(text) or (_EMPTY,)
        sentence, score, held, window = _best_sentence(parsed, weights, index.k1)
        chosen = parsed[sentence]
        sentence_best.append(score)
        own, matched = hit.in_text, hit.matched
        coverage = by_synonym = heading = in_sentence_share = 0.0
        missing_rare = missing_known = sentence_missing = 0.0
        for c in concepts:
            if c.token in own:
                coverage += c.weight
            elif not c.synonyms.isdisjoint(own):
                by_synonym += c.weight
            elif c.token in matched or not c.synonyms.isdisjoint(matched):
                heading += c.weight
            in_sentence = c.token in held or not c.synonyms.isdisjoint(held)
            if in_sentence:
                in_sentence_share += c.weight
            if not c.asked:
                continue
            if c.token not in matched and c.synonyms.isdisjoint(matched):
                missing_rare += c.rarity
                if c.known:
                    missing_known += c.weight
            if c.known and not in_sentence:
                sentence_missing += c.weight
        kinds = kinds_held(text, lexicon, asked_tokens) if query.kind is not None \
            else frozenset()
        kind_in_sentence = query.kind is not None and query.kind in _sentence_kinds(
            text, sentence, lexicon, asked_tokens)
        in_passage = query.kind is not None and query.kind in kinds
        rows.append([
            hit.score / ideal, hit.score / best, score / ideal, 0.0, coverage / total,
            by_synonym / total, heading / total, in_sentence_share / total,
            missing_rare / total_rarity, missing_known / total_known,
            sentence_missing / total_known, float(not numbers <= matched),
            float(not names <= matched), _opposite(said_stems, chosen, lexicon),
            _pairs_held(terms.pairs, chosen), _ngrams_held(bigrams, chosen),
            _exact(asked_words, chosen), _proximity(asked_tokens, parsed),
            window / ideal, float(kind_in_sentence),
            float(in_passage), float(query.kind is not None and not in_passage),
            1.0 / (rank + 1), float(hit.passage.paragraph == 1), float(sentence == 0), unknown,
            float(bool(terms.unknown_names)), float(terms.context), float(query.negated),
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


_EMPTY = sentences.Sentence((), ())


def _best_sentence(parsed: Sequence[sentences.Sentence], weights: dict[str, float],
                   k1: float) -> tuple[int, float, frozenset[str], float]:
    """The sentence that scores best for the question (BM25 with the passages' idf, no length
    normalisation: a sentence is a sentence), its score and its tokens the question asks; and
    the best score of two neighbouring sentences."""
    best, best_score, best_tokens = 0, -1.0, frozenset[str]()
    window = previous = 0.0
    for i, sentence in enumerate(parsed):
        score = 0.0
        counts: dict[str, int] = {}
        for token in sentence.tokens:
            if token in weights:
                counts[token] = counts.get(token, 0) + 1
        for token, tf in counts.items():
            score += weights[token] * tf * (k1 + 1) / (tf + k1)
        if score > best_score:
            best, best_score, best_tokens = i, score, frozenset(counts)
        window, previous = max(window, previous + score), score
    return best, max(best_score, 0.0), best_tokens, max(window, best_score, 0.0)


def _opposite(said: set[str], sentence: sentences.Sentence, lexicon: Lexicon) -> float:
    """Whether the sentence holds the opposite of a word of the question, and not the word."""
    opposites = lexicon.opposites
    wanted = [w for w in said if w in opposites]
    if not wanted:
        return 0.0
    held = sentence.stems
    return float(any(w not in held and not opposites[w].isdisjoint(held) for w in wanted))


def _proximity(asked: set[str], parsed: Sequence[sentences.Sentence]) -> float:
    """The question's words the passage holds, over the length of the shortest run of its
    tokens that holds them all (1: side by side)."""
    # Only the places of the asked words matter: the window slides over those.
    places: list[tuple[int, str]] = []
    at = 0
    for sentence in parsed:
        for token in sentence.tokens:
            if token in asked:
                places.append((at, token))
            at += 1
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
    return len(asked.intersection(sentence.words)) / len(asked)


def _ngrams(query: Query, lexicon: Lexicon) -> frozenset[tuple[str, str]]:
    """The question's neighbouring words as typed, question words left out."""
    return frozenset(pairwise(w for w in query.words if w not in lexicon.question_words))


def _ngrams_held(ngrams: frozenset[tuple[str, str]], sentence: sentences.Sentence) -> float:
    if not ngrams:
        return 0.0
    return len(ngrams.intersection(pairwise(sentence.words))) / len(ngrams)


def _sentence_kinds(text: str, sentence: int, lexicon: Lexicon,
                    asked: set[str]) -> frozenset[FactKind]:
    found = sentences.spans(text)
    if not found:
        return frozenset()
    start, end = found[min(sentence, len(found) - 1)]
    return kinds_held(text[start:end], lexicon, asked)


def _pairs_held(pairs: tuple[tuple[str, str], ...], sentence: sentences.Sentence) -> float:
    if not pairs:
        return 0.0
    adjacent = set(pairwise(sentence.tokens))
    return sum(1 for pair in pairs if pair in adjacent) / len(pairs)
