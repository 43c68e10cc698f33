"""The BM25 index: rank-bm25's scores served from a sparse matrix of precomputed term weights.

rank-bm25 defines the scores: the index is built from a `LuceneBM25` model of the passages'
tokens (rank-bm25's Okapi BM25 with Lucene's idf), whose idf, document lengths, average length,
k1 and b become one weight per (term, passage) in a terms x passages CSR matrix. A question then
costs time in proportion to its words' postings, not to the size of the knowledge base, and its
scores equal the model's `get_scores`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from rank_bm25 import BM25Okapi
from scipy import sparse

from bot.corpus import Corpus, analyse
from bot.knowledge import KnowledgeBase, Passage
from bot.readings import Readings, read_passages
from bot.sentences import Sentence, analysed
from bot.text import QueryTerm, TypoMap, tokenize

DEFAULT_K1 = 1.5
DEFAULT_B = 0.75
# Below this share of the passages, a question's touched passages are found by sorting its
# postings; above it, by a dense score array (measured cheaper from about 1,500 postings in
# 100,000 passages, once the rarest terms bound which passages can be among the best).
_SPARSE_SHARE = 1 / 64
# Postings of the rarest terms whose passages' scores bound the k-th best score from below:
# this many times k, so that a few passages shared by two terms still leave k distinct ones.
_SAMPLE_FACTOR = 4
# Below this many passages, picking the best of every touched one costs less than first
# bounding which can be among them (measured: 25 against 50 us at 1,000; 82 against 45 at
# 10,000).
_CONTENDERS_FROM = 4096
# Reading a passage's dense score by its number costs about this many times scanning one in
# order (scattered reads miss the cache): below that share, the postings are read instead.
_GATHER_COST = 12
# Up to this many passages, the best are picked by sorting them all: fewer calls than finding
# the k-th best score first.
_SORT_UP_TO = 256
# Term frequencies and own-text frequencies are summed in one float: tf + _TEXT * text_tf,
# exact while a passage holds fewer than 2**26 tokens (a 10 MB file holds at most ~5 million).
_TEXT = float(2**26)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int32]


def lucene_idf(doc_freq: float, corpus_size: int) -> float:
    """Lucene's idf, always positive.

    rank-bm25's Okapi idf gives 0 to a term in exactly half the passages and floors the terms
    in more than half, which on a one-article corpus drowns the words people actually ask about.
    """
    return math.log(1.0 + (corpus_size - doc_freq + 0.5) / (doc_freq + 0.5))


class LuceneBM25(BM25Okapi):  # type: ignore[misc]
    """rank-bm25's Okapi BM25 with Lucene's idf: the definition of the index's scores.

    `_calc_idf` is rank-bm25's extension point for the idf (its own BM25L and BM25Plus override
    it the same way)."""

    def _calc_idf(self, nd: dict[Any, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = lucene_idf(freq, self.corpus_size)
        self.average_idf = sum(self.idf.values()) / max(len(self.idf), 1)


class Hit(NamedTuple):
    """A scored passage, the question's tokens it holds, and those its own text holds (the
    rest only in its title or section heading). (A tuple: a question makes ten or thirty, and
    a frozen dataclass costs several times as much to make.)"""

    passage: Passage
    score: float
    matched: frozenset[str]
    in_text: frozenset[str] = frozenset()


def passage_tokens(passage: Passage) -> list[str]:
    """What a passage is indexed under: its own words plus its title and section heading."""
    return tokenize(passage.text) + tokenize(passage.context)


class Index:
    """A searchable, immutable BM25 index over a knowledge base's passages."""

    vocabulary: dict[str, int]
    matrix: sparse.csr_matrix
    # One bit per stored weight, packed (numpy's big-endian bit order): the passage's own
    # text holds the term, not only its title or heading.
    text_bits: npt.NDArray[np.uint8]
    idf: Floats
    avgdl: float
    surface: list[str]  # every word of the passages, titles and headings, most frequent first
    surface_counts: npt.NDArray[np.int64]
    readings: Readings  # each passage's sentences, read once

    def __init__(
        self,
        knowledge: KnowledgeBase,
        *,
        k1: float = DEFAULT_K1,
        b: float = DEFAULT_B,
        tokens: Sequence[Sequence[str]] | None = None,
    ) -> None:
        """Build from `knowledge`; `tokens` (one list per passage) overrides the tokenizer."""
        corpus = analyse(knowledge.passages, tokens)
        readings = read_passages(knowledge.passages, corpus)
        model = bm25_model(corpus, len(knowledge.passages), k1, b)
        parameters = _Parameters.of(model, corpus.terms, len(knowledge.passages))
        # The model's per-passage term counts take about 1 KB a passage: freed before the
        # weights are worked out, so that the two do not add up in the build's peak memory.
        del model
        matrix, text_bits = _weigh(corpus, parameters)
        self._set(knowledge, k1, b, {term: i for i, term in enumerate(corpus.terms)}, matrix,
                  text_bits, parameters.idf, parameters.avgdl, corpus.surface_words, readings)

    @classmethod
    def from_parts(
        cls,
        knowledge: KnowledgeBase,
        *,
        k1: float,
        b: float,
        vocabulary: dict[str, int],
        matrix: sparse.csr_matrix,
        text_bits: npt.NDArray[np.uint8],
        idf: Floats,
        avgdl: float,
        surface_words: Sequence[tuple[str, int]],
        readings: Mapping[str, npt.NDArray[Any]],
    ) -> Index:
        """An index restored from its saved parts (the on-disk cache), without rebuilding."""
        index = cls.__new__(cls)
        index._set(knowledge, k1, b, vocabulary, matrix, text_bits, idf, avgdl, surface_words,
                   readings)
        return index

    def _set(self, knowledge: KnowledgeBase, k1: float, b: float, vocabulary: dict[str, int],
             matrix: sparse.csr_matrix, text_bits: npt.NDArray[np.uint8], idf: Floats,
             avgdl: float, surface_words: Sequence[tuple[str, int]],
             readings: Mapping[str, npt.NDArray[Any]]) -> None:
        self.knowledge, self.passages = knowledge, knowledge.passages
        self.k1, self.b = k1, b
        self.vocabulary, self.matrix, self.text_bits = vocabulary, matrix, text_bits
        self.idf, self.avgdl = idf, avgdl
        self.typos = TypoMap(surface_words)
        # Kept as a list and an array rather than as pairs: 80 bytes a word less.
        self.surface = [word for word, _ in surface_words]
        self.surface_counts = np.array([count for _, count in surface_words], dtype=np.int64)
        terms = [""] * len(vocabulary)
        for term, row in vocabulary.items():
            terms[row] = term
        self.readings = Readings(readings, self.surface, terms)

    def __len__(self) -> int:
        return len(self.passages)

    def __contains__(self, token: object) -> bool:
        return token in self.vocabulary

    @cached_property
    def sections(self) -> tuple[str, ...]:
        """The knowledge base's section headings in reading order, computed once per index."""
        return tuple(self.knowledge.sections)

    @cached_property
    def _document_starts(self) -> dict[str, int]:
        """Where each document's passages start (they are contiguous, numbered from 1)."""
        return {p.document.id: i for i, p in enumerate(self.passages) if p.paragraph == 1}

    def position(self, document: str, paragraph: int) -> int | None:
        """Where a document's paragraph (as a citation names it) is in `passages`, found
        without reading them all."""
        start = self._document_starts.get(document)
        if start is None or paragraph < 1:
            return None
        at = start + paragraph - 1
        if at >= len(self.passages):
            return None
        found = self.passages[at]
        return at if found.document.id == document and found.paragraph == paragraph else None

    def sentences(self, passage: Passage) -> tuple[Sentence, ...]:
        """The passage's sentences (`sentences.analysed`), as read when the index was built."""
        at = self.position(passage.document.id, passage.paragraph)
        if at is None or self.passages[at] is not passage:  # not one of this index's
            return analysed(passage.text)
        return self.readings.sentences(at, passage.text)

    @cached_property
    def max_idf(self) -> float:
        """The idf of a word no passage holds: what an unknown word of a question weighs."""
        return lucene_idf(0, len(self.passages))

    def idf_of(self, token: str) -> float:
        row = self.vocabulary.get(token)
        return self.max_idf if row is None else float(self.idf[row])

    @cached_property
    def _term_max(self) -> Floats:
        """Each term's largest weight: the most it can add to any passage's score."""
        m = self.matrix
        out = np.zeros(m.shape[0], dtype=np.float64)
        held = np.flatnonzero(np.diff(m.indptr))
        if held.size:
            out[held] = np.maximum.reduceat(m.data, m.indptr[held])
        return out

    def search(self, terms: Sequence[QueryTerm] | Sequence[str], k: int = 10) -> list[Hit]:
        """The k best passages for the weighted terms, best first, ties in reading order.

        Only the passages holding a term are scored, so the work follows the postings; the top
        k are selected without sorting. Terms of weight 0 or less are ignored.
        """
        if k <= 0:
            return []
        runs = self._runs(terms)
        if not runs:
            return []
        docs, scores = self._best(runs, k)
        matched, own = self._matched(runs, docs)
        passages = self.passages
        return [Hit(passages[doc], score, frozenset(found), frozenset(mine))
                for doc, score, found, mine in zip(docs.tolist(), scores.tolist(), matched, own,
                                                   strict=True)]

    def _runs(self, terms: Sequence[QueryTerm] | Sequence[str]) -> list[Run]:
        """The question's terms that passages hold, in question order, each with where its
        postings are in the matrix."""
        vocabulary, indptr, term_max = self.vocabulary, self.matrix.indptr, self._term_max
        runs: list[Run] = []
        for term in terms:
            token, weight = (term, 1.0) if isinstance(term, str) else (term.token, term.weight)
            row = vocabulary.get(token)
            if row is None or weight <= 0:
                continue
            lo, hi = indptr[row : row + 2].tolist()
            if lo == hi:  # a term whose only occurrences were read again otherwise
                continue
            runs.append(Run(token, lo, hi, float(term_max[row]) * weight, weight))
        return runs

    def _weights(self, run: Run) -> Floats:
        """A run's term weights, times the term's weight in the question."""
        data = self.matrix.data[run.lo : run.hi]
        return data if run.weight == 1.0 else data * run.weight

    def _best(self, runs: list[Run], k: int) -> tuple[Ints, Floats]:
        """The k best of the passages the runs' postings touch, and their scores, best first."""
        n, indices = len(self.passages), self.matrix.indices
        if len(runs) == 1:
            # One term: its postings are distinct passages in reading order already.
            docs, scores = indices[runs[0].lo : runs[0].hi], self._weights(runs[0])
        elif sum(run.hi - run.lo for run in runs) < n * _SPARSE_SHARE:
            idx = np.concatenate([indices[run.lo : run.hi] for run in runs])
            weights = np.concatenate([self._weights(run) for run in runs])
            # A stable sort keeps each passage's postings in question order, so the sums add
            # up in rank-bm25's order; and the postings come as sorted runs, one per term,
            # which the stable sort merges rather than sorts.
            perm = idx.argsort(kind="stable")
            ordered = idx[perm]
            first = np.empty(ordered.size, dtype=bool)
            first[0] = True
            np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
            docs = ordered[first]
            scores = _sum_by(first.cumsum() - 1, weights[perm], docs.size)
        else:
            dense = np.zeros(n)
            # Added run by run, in question order as rank-bm25 adds its per-term scores (so
            # the sums are equal to the last bit): a term's postings are distinct passages,
            # and the question's postings are never copied into one array (measured: 75
            # against 100 us a question at 100,000 passages).
            for run in runs:
                np.add.at(dense, indices[run.lo : run.hi], self._weights(run))
            if n < _CONTENDERS_FROM:
                docs = dense.nonzero()[0].astype(np.int32)
            else:
                docs = contenders(indices, dense, runs, k)
            scores = dense[docs]
        order = _top_k(docs, scores, k)
        return docs[order], scores[order]

    def _matched(self, runs: list[Run], docs: Ints) -> tuple[list[set[str]], list[set[str]]]:
        """Which tokens each of `docs` holds, and which of those its own text holds: a binary
        search of each term's postings (in reading order) for the few passages found."""
        indices = self.matrix.indices
        found: list[set[str]] = [set() for _ in range(docs.size)]
        own: list[set[str]] = [set() for _ in range(docs.size)]
        at = np.concatenate([indices[run.lo : run.hi].searchsorted(docs) for run in runs])
        lo = np.array([run.lo for run in runs]).repeat(docs.size)
        last = np.array([run.hi - 1 for run in runs]).repeat(docs.size)
        # A passage past a term's last posting is looked for at that posting: not equal to it.
        place = np.minimum(at + lo, last)
        term, slot = (indices[place].reshape(len(runs), docs.size) == docs).nonzero()
        where = place[term * docs.size + slot]
        text = ((self.text_bits[where >> 3] >> (7 - (where & 7))) & 1).tolist()
        tokens = [run.token for run in runs]
        for t, i, in_text in zip(term.tolist(), slot.tolist(), text, strict=True):
            found[i].add(tokens[t])
            if in_text:
                own[i].add(tokens[t])
        return found, own

    @property
    def nbytes(self) -> int:
        """Bytes of the scoring arrays: the weight matrix with its own-text flags, and each
        term's idf and largest weight."""
        m = self.matrix
        arrays = (m.data, m.indices, m.indptr, self.text_bits, self.idf, self._term_max)
        return sum(int(a.nbytes) for a in arrays)


class Run(NamedTuple):
    """One term's postings: its token, where they are in the matrix (lo, hi), the most the
    term can add to a passage's score, and its weight in the question.
    (A tuple: a question builds one per word, and a frozen dataclass costs several times as
    much to make.)"""

    token: str
    lo: int
    hi: int
    bound: float
    weight: float


def bm25_model(corpus: Corpus, n_docs: int, k1: float, b: float) -> LuceneBM25:
    """rank-bm25's model of the passages' tokens, through its public constructor."""
    order = np.argsort(corpus.doc_ids, kind="stable")
    # Every occurrence of a term is the same string object: a list of them costs a pointer each.
    tokens = np.array(corpus.terms, dtype=object)[corpus.term_ids[order]].tolist()
    ends = np.cumsum(np.bincount(corpus.doc_ids, minlength=n_docs)).tolist()
    documents = [tokens[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    del tokens
    if not documents:  # rank-bm25 divides by the number of passages
        documents = [[]]
    return LuceneBM25(documents, k1=k1, b=b)


class _Parameters(NamedTuple):
    """What the weights are computed from, taken from a rank-bm25 model."""

    idf: Floats
    doc_len: Floats
    avgdl: float
    k1: float
    b: float

    @classmethod
    def of(cls, model: LuceneBM25, terms: Sequence[str], n_docs: int) -> _Parameters:
        unseen = lucene_idf(0, n_docs)  # a term whose only occurrences were read again otherwise
        idf = np.array([model.idf.get(term, unseen) for term in terms], dtype=np.float64)
        return cls(idf, np.array(model.doc_len[:n_docs], dtype=np.float64), float(model.avgdl),
                   float(model.k1), float(model.b))


def _weigh(corpus: Corpus, bm25: _Parameters) -> tuple[sparse.csr_matrix, npt.NDArray[np.uint8]]:
    """The weight matrix and own-text bits: per (term, passage), rank-bm25's term score from the
    model's idf, document lengths, average length, k1 and b, with the term frequencies counted
    from the corpus arrays (the same tokens the model counted)."""
    n_terms, n_docs = len(corpus.terms), bm25.doc_len.size
    # Converting to CSR buckets the occurrences by term without a global sort, and summing
    # the duplicate (term, passage) pairs gives the term frequencies.
    counts = sparse.csr_matrix(
        (1.0 + _TEXT * corpus.in_text, (corpus.term_ids, corpus.doc_ids)),
        shape=(n_terms, n_docs))
    counts.sum_duplicates()
    tf = np.mod(counts.data, _TEXT)
    rows = np.repeat(np.arange(n_terms, dtype=np.int32), np.diff(counts.indptr))
    k1, b, avgdl = bm25.k1, bm25.b, bm25.avgdl or 1.0
    # rank-bm25's `get_scores` expression, operation for operation.
    norm = k1 * (1 - b + b * bm25.doc_len[counts.indices] / avgdl)
    weights = bm25.idf[rows] * (tf * (k1 + 1) / (tf + norm))
    matrix = sparse.csr_matrix(
        (weights, counts.indices.astype(np.int32, copy=False), counts.indptr.astype(np.int32)),
        shape=(n_terms, n_docs))
    return matrix, np.packbits(counts.data >= _TEXT)


def contenders(indices: Ints, dense: Floats, runs: list[Run], k: int) -> Ints:
    """The passages that may be among the k best, in reading order, from the dense scores.

    The k-th best score among the passages of the question's rarest terms is a lower bound of
    the k-th best overall (every score is positive). The commonest terms whose most they can add
    sums below it cannot lift a passage that holds nothing else to that bound, so only the
    postings of the other terms need looking at, not every passage of the knowledge base.
    """
    by_length = sorted(runs, key=lambda r: r.hi - r.lo)
    # One term's postings are distinct passages: the shortest run of k or more bounds it.
    seen = next((indices[r.lo : r.hi] for r in by_length if r.hi - r.lo >= k), None)
    if seen is None:
        return dense.nonzero()[0].astype(np.int32)
    held = dense[seen]
    bound = held[held.argpartition(seen.size - k)[seen.size - k]]
    reach, kept = 0.0, len(by_length)
    while kept > 1 and reach + by_length[kept - 1].bound < bound:
        kept -= 1
        reach += by_length[kept].bound
    essential = by_length[:kept]
    if sum(r.hi - r.lo for r in essential) * _GATHER_COST >= dense.size:
        return np.flatnonzero(dense >= bound).astype(np.int32)
    touched = np.concatenate([indices[r.lo : r.hi] for r in essential])
    # A few dozen passages: a Python set sorts them faster than numpy's unique.
    found = sorted(set(touched[dense[touched] >= bound].tolist()))
    return np.array(found, dtype=np.int32)


def _sum_by(idx: npt.NDArray[np.integer[Any]], weights: Floats, n: int) -> Floats:
    """Per position below n, the sum of the weights at it; added in array order, as rank-bm25
    adds its per-term scores, so that the sums are equal to the last bit."""
    return cast(Floats, np.bincount(idx, weights=weights, minlength=n))


def _top_k(docs: Ints, scores: Floats, k: int) -> npt.NDArray[np.intp]:
    """Positions of the k best scores, best first; equal scores in ascending `docs` order.

    `argpartition` finds the k-th best score without sorting; every score above it is in, and
    the ties at it are taken from the front, so the answer never depends on partition order.
    """
    if docs.size <= _SORT_UP_TO:
        return np.lexsort((docs, -scores))[:k]
    if docs.size > k:
        kth = scores[(-scores).argpartition(k - 1)[k - 1]]
        above = (scores > kth).nonzero()[0]
        ties = (scores == kth).nonzero()[0][: k - above.size]
        chosen = np.concatenate((above, ties))
    else:
        chosen = np.arange(docs.size)
    return chosen[np.lexsort((docs[chosen], -scores[chosen]))]
