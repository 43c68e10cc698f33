"""The BM25 index: rank-bm25's scores served from a sparse matrix of precomputed term weights.

rank-bm25 defines the scores (`LuceneBM25`); `Index` holds the same per-term weights in a
terms x passages CSR matrix, so a question costs time in proportion to its words' postings,
not to the size of the knowledge base. The search itself runs in one C call (`_scoring.c`) when
that was built, and in numpy otherwise: the same hits to the last bit, the C loop about three
times faster at 100,000 passages.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from rank_bm25 import BM25Okapi
from scipy import sparse

from bot.corpus import analyse
from bot.facts import passage_facts
from bot.knowledge import KnowledgeBase, Passage
from bot.text import QueryTerm, TypoMap, tokenize

try:
    from bot import _scoring
except ImportError:  # built without a C compiler: numpy gives the same hits, slower
    _scoring = None  # type: ignore[assignment]
_SCORING_VERSION = 1  # the bot/_scoring.c this code calls (its VERSION)


def _current(loop: object) -> bool:
    """Whether the C loop (if any) was built from the source this code calls. One built from
    older source (the checkout changed since the last install) may take other arguments, so
    numpy serves until it is rebuilt."""
    if loop is None or getattr(loop, "VERSION", None) == _SCORING_VERSION:
        return True
    logging.getLogger(__name__).warning(
        "bot/_scoring is out of date: searching with numpy until it is rebuilt "
        "(run `make run`, or `.venv/bin/pip install -e .`)")
    return False


if not _current(_scoring):
    _scoring = None  # type: ignore[assignment]

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
# Above this many postings, the best passages' terms are found by a binary search per term
# rather than by reading every posting (measured: the two cost the same at about 8,000).
_SEARCH_POSTINGS_FROM = 8192
# The C search loop keeps each term as one bit of a 64-bit mask.
_KERNEL_TERMS = 64
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
    """rank-bm25's Okapi BM25 with Lucene's idf: the definition our index reproduces exactly."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
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
    facts: int = -1  # the passage's `passage_facts`, when the index knows them


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
    fact_bits: npt.NDArray[np.uint8]  # per passage, the kinds of fact it holds (facts.py)
    _scratch: threading.local  # per thread, the C loop's scores: one float64 per passage

    def __init__(
        self,
        knowledge: KnowledgeBase,
        *,
        k1: float = DEFAULT_K1,
        b: float = DEFAULT_B,
        tokens: Sequence[Sequence[str]] | None = None,
    ) -> None:
        """Build from `knowledge`; `tokens` (one list per passage) overrides the tokenizer."""
        self.knowledge = knowledge
        self.passages = knowledge.passages
        self.k1, self.b = k1, b
        corpus = analyse(knowledge.passages, tokens)
        self.vocabulary = {term: i for i, term in enumerate(corpus.terms)}
        self._weigh(corpus.term_ids, corpus.doc_ids, corpus.in_text, len(corpus.terms))
        self._set_surface(corpus.surface_words)
        self.fact_bits = np.fromiter((passage_facts(p.text) for p in self.passages),
                                     dtype=np.uint8, count=len(self.passages))
        self._scratch = threading.local()

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
        surface_words: list[tuple[str, int]],
        fact_bits: npt.NDArray[np.uint8],
    ) -> Index:
        """An index restored from its saved parts (the on-disk cache), without rebuilding."""
        index = cls.__new__(cls)
        index.knowledge, index.passages = knowledge, knowledge.passages
        index.k1, index.b = k1, b
        index.vocabulary, index.matrix, index.idf = vocabulary, matrix, idf
        index.text_bits, index.avgdl = text_bits, avgdl
        index._set_surface(surface_words)
        index.fact_bits = fact_bits
        index._scratch = threading.local()
        return index

    def _set_surface(self, surface_words: list[tuple[str, int]]) -> None:
        # Kept as a list and an array rather than as pairs: 80 bytes a word less.
        self.typos = TypoMap(surface_words)
        self.surface = [word for word, _ in surface_words]
        self.surface_counts = np.array([count for _, count in surface_words], dtype=np.int64)

    @property
    def surface_words(self) -> list[tuple[str, int]]:
        """Every word of the passages, titles and headings, with its count."""
        return list(zip(self.surface, self.surface_counts.tolist(), strict=True))

    @property
    def in_text(self) -> npt.NDArray[np.bool_]:
        """Per stored weight: whether the passage's own text holds the term."""
        bits = np.unpackbits(self.text_bits, count=self.matrix.nnz)
        return bits.astype(bool)

    @property
    def doc_freq(self) -> Floats:
        """How many passages hold each term."""
        return np.diff(self.matrix.indptr).astype(np.float64)

    def _weigh(
        self, term_ids: Ints, doc_ids: Ints, in_text: npt.NDArray[np.bool_], n_terms: int
    ) -> None:
        """Turn (term, passage) token occurrences into rank-bm25's per-term weights."""
        n_docs = len(self.passages)
        # Converting to CSR buckets the occurrences by term without a global sort, and summing
        # the duplicate (term, passage) pairs gives the term frequencies.
        counts = sparse.csr_matrix(
            (1.0 + _TEXT * in_text, (term_ids, doc_ids)), shape=(n_terms, n_docs)
        )
        counts.sum_duplicates()
        tf = np.mod(counts.data, _TEXT)
        doc_len = np.bincount(doc_ids, minlength=n_docs).astype(np.float64)
        avgdl = float(term_ids.size) / max(n_docs, 1)
        doc_freq = np.diff(counts.indptr).astype(np.float64)
        # math.log, as rank-bm25 computes it, so that the weights are equal to the last bit.
        idf = np.array([lucene_idf(df, n_docs) for df in doc_freq.tolist()], dtype=np.float64)
        rows = np.repeat(np.arange(n_terms, dtype=np.int32), np.diff(counts.indptr))
        # rank-bm25's expression, operation for operation.
        norm = self.k1 * (1 - self.b + self.b * doc_len[counts.indices] / (avgdl or 1.0))
        weights = idf[rows] * (tf * (self.k1 + 1) / (tf + norm))
        self.matrix = sparse.csr_matrix(
            (weights, counts.indices.astype(np.int32, copy=False), counts.indptr.astype(np.int32)),
            shape=(n_terms, n_docs),
        )
        self.text_bits = np.packbits(counts.data >= _TEXT)
        self.idf, self.avgdl = idf, avgdl

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

    @cached_property
    def max_idf(self) -> float:
        """The idf of a word no passage holds: what an unknown word of a question weighs."""
        return lucene_idf(0, len(self.passages))

    def idf_of(self, token: str) -> float:
        row = self.vocabulary.get(token)
        return self.max_idf if row is None else float(self.idf[row])

    def postings(self, token: str) -> Ints:
        """The passages holding `token`, in reading order."""
        row = self.vocabulary.get(token)
        if row is None:
            return np.empty(0, dtype=np.int32)
        indptr = self.matrix.indptr
        postings: Ints = self.matrix.indices[indptr[row] : indptr[row + 1]]
        return postings

    def scores(self, tokens: Iterable[str]) -> Floats:
        """Dense BM25 scores of every passage, exactly as rank-bm25's `get_scores` would give."""
        idx, weights, _ = self._postings([(token, 1.0) for token in tokens])
        return _sum_by(idx, weights, len(self.passages))

    def _postings(
        self, weighted: Sequence[tuple[str, float]]
    ) -> tuple[Ints, Floats, list[_Run]]:
        """The question's postings, in question order: passage ids and weighted term weights,
        and where each term's run of them ends with the most that term can add to a score."""
        indptr, indices, data = self.matrix.indptr, self.matrix.indices, self.matrix.data
        chunks_i: list[Ints] = []
        chunks_w: list[Floats] = []
        runs: list[_Run] = []
        end = 0
        for token, weight in weighted:
            row = self.vocabulary.get(token)
            if row is None:
                continue
            lo, hi = indptr[row], indptr[row + 1]
            chunks_i.append(indices[lo:hi])
            chunks_w.append(data[lo:hi] if weight == 1.0 else data[lo:hi] * weight)
            runs.append(_Run(token, int(row), end, end + int(hi - lo),
                             float(self._term_max[row]) * weight))
            end = runs[-1].stop
        if not chunks_i:
            return np.empty(0, dtype=np.int32), np.empty(0), runs
        if len(chunks_i) == 1:
            return chunks_i[0], chunks_w[0], runs
        return np.concatenate(chunks_i), np.concatenate(chunks_w), runs

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
        weighted = [(t, 1.0) if isinstance(t, str) else (t.token, t.weight) for t in terms]
        weighted = [(token, weight) for token, weight in weighted if weight > 0]
        if k <= 0:
            return []
        if _scoring is not None and self._kernel_fits and len(weighted) <= _KERNEL_TERMS:
            return self._search_in_c(weighted, k)
        idx, weights, runs = self._postings(weighted)
        if idx.size == 0:
            return []
        docs, scores = self._best(idx, weights, runs, k)
        matched, in_text = self._matched(idx, runs, docs)
        return [
            Hit(self.passages[doc], score, frozenset(found), frozenset(own), facts)
            for doc, score, found, own, facts in zip(
                docs.tolist(), scores.tolist(), matched, in_text, self.fact_bits[docs].tolist(),
                strict=True)
        ]

    @cached_property
    def _kernel_fits(self) -> bool:
        """Whether the C search loop takes this index's arrays as they are."""
        m = self.matrix
        return (m.indptr.dtype == np.int32
                and m.indices.dtype == np.int32 and m.data.dtype == np.float64
                and all(a.flags.c_contiguous for a in (m.indptr, m.indices, m.data)))

    def _search_in_c(self, weighted: list[tuple[str, float]], k: int) -> list[Hit]:
        """`search` by the C loop: the same hits, to the last bit, in a few microseconds plus
        a few nanoseconds a posting."""
        rows: list[int] = []
        weights: list[float] = []
        tokens: list[str] = []
        for token, weight in weighted:
            row = self.vocabulary.get(token)
            if row is not None:
                rows.append(row)
                weights.append(weight)
                tokens.append(token)
        if not rows:
            return []
        scratch: Floats | None = getattr(self._scratch, "scores", None)
        if scratch is None:  # one per thread: the loop adds into it and leaves it all zero
            scratch = self._scratch.scores = np.zeros(len(self.passages))
        m, passages = self.matrix, self.passages
        found = _scoring.search(m.indptr, m.indices, m.data, self.text_bits, self.fact_bits,
                                rows, weights, tokens, k, scratch)
        return [Hit(passages[doc], score, held, own, facts)
                for doc, score, held, own, facts in found]

    def _best(
        self, idx: Ints, weights: Floats, runs: list[_Run], k: int
    ) -> tuple[Ints, Floats]:
        """The k best of the passages the postings touch, and their scores, best first."""
        n = len(self.passages)
        if idx.size < n * _SPARSE_SHARE:
            # A stable sort keeps each passage's postings in question order, so the sums add
            # up in rank-bm25's order; and the postings come as sorted runs, one per term,
            # which the stable sort merges rather than sorts.
            perm = np.argsort(idx, kind="stable")
            ordered = idx[perm]
            first = np.empty(ordered.size, dtype=bool)
            first[0] = True
            np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
            docs = ordered[first]
            scores = _sum_by(np.cumsum(first) - 1, weights[perm], docs.size)
        else:
            dense = _sum_by(idx, weights, n)
            if n < _CONTENDERS_FROM:
                docs = np.flatnonzero(dense).astype(np.int32)
            else:
                docs = _contenders(idx, dense, runs, k)
            scores = dense[docs]
        order = _top_k(docs, scores, k)
        return docs[order], scores[order]

    def _matched(
        self, idx: Ints, runs: list[_Run], docs: Ints
    ) -> tuple[list[set[str]], list[set[str]]]:
        """Which tokens each of `docs` holds, and which of those its own text holds, read off
        the question's postings `idx` in a fixed number of array operations."""
        if idx.size > _SEARCH_POSTINGS_FROM and docs.size:
            term, slot, where = self._find_docs(idx, runs, docs)
        else:
            chosen = np.zeros(len(self.passages), dtype=bool)
            chosen[docs] = True
            at = np.flatnonzero(chosen[idx])  # the postings of the chosen passages
            by_doc = np.argsort(docs)
            slot = by_doc[np.searchsorted(docs[by_doc], idx[at])]
            term = np.searchsorted(np.array([r.start for r in runs]), at, side="right") - 1
            where = at + self._shift(runs)[term]  # the same postings' places in the matrix
        text = ((self.text_bits[where >> 3] >> (7 - (where & 7))) & 1).tolist()
        found: list[set[str]] = [set() for _ in range(len(docs))]
        own: list[set[str]] = [set() for _ in range(len(docs))]
        tokens = [r.token for r in runs]
        for t, i, in_text in zip(term.tolist(), slot.tolist(), text, strict=True):
            found[i].add(tokens[t])
            if in_text:
                own[i].add(tokens[t])
        return found, own

    def _find_docs(
        self, idx: Ints, runs: list[_Run], docs: Ints
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.int64]]:
        """For many postings: each term's are in reading order, so a binary search per term
        finds `docs` among them without reading the common terms' postings end to end.
        Returns, per posting found, its term, the position of its passage in `docs`, and its
        place in the matrix."""
        by_doc = np.argsort(docs)
        ordered = docs[by_doc]
        at = np.empty((len(runs), ordered.size), dtype=np.int64)
        for i, run in enumerate(runs):
            at[i] = np.searchsorted(idx[run.start : run.stop], ordered)
        at += np.array([r.start for r in runs], dtype=np.int64)[:, None]
        inside = at < np.array([r.stop for r in runs], dtype=np.int64)[:, None]
        held = inside & (idx[np.where(inside, at, 0)] == ordered)
        term, column = np.nonzero(held)
        return term, by_doc[column], at[term, column] + self._shift(runs)[term]

    def _shift(self, runs: list[_Run]) -> npt.NDArray[np.int64]:
        """Per term, from a place in the question's postings to the same place in the matrix."""
        indptr = self.matrix.indptr
        return np.array([int(indptr[r.row]) - r.start for r in runs], dtype=np.int64)

    @property
    def nbytes(self) -> int:
        """Bytes of the scoring arrays: the weight matrix with its own-text flags, and each
        term's idf and largest weight."""
        m = self.matrix
        arrays = (m.data, m.indices, m.indptr, self.text_bits, self.idf, self._term_max,
                  self.fact_bits)
        return sum(int(a.nbytes) for a in arrays)


class _Run(NamedTuple):
    """One term's postings within a question's: its row of the matrix, where they start and
    stop, and the most the term can add to a passage's score. (A tuple: a question builds
    one per word, and a frozen dataclass costs several times as much to make.)"""

    token: str
    row: int
    start: int
    stop: int
    bound: float


def _contenders(idx: Ints, dense: Floats, runs: list[_Run], k: int) -> Ints:
    """The passages that may be among the k best, in reading order, from the dense scores.

    The k-th best score among the passages of the question's rarest terms is a lower bound of
    the k-th best overall (every score is positive). The commonest terms whose most they can add
    sums below it cannot lift a passage that holds nothing else to that bound, so only the
    postings of the other terms need looking at, not every passage of the knowledge base.
    """
    by_length = sorted(runs, key=lambda r: r.stop - r.start)
    sample: list[Ints] = []
    size = 0
    for run in by_length:
        sample.append(idx[run.start : run.stop])
        size += run.stop - run.start
        if size >= _SAMPLE_FACTOR * k:
            break
    seen = np.unique(np.concatenate(sample)) if len(sample) > 1 else sample[0]
    if seen.size < k:
        return np.flatnonzero(dense).astype(np.int32)
    held = dense[seen]
    bound = held[np.argpartition(held, seen.size - k)[seen.size - k]]
    reach, kept = 0.0, len(by_length)
    while kept > 1 and reach + by_length[kept - 1].bound < bound:
        kept -= 1
        reach += by_length[kept].bound
    essential = by_length[:kept]
    if sum(r.stop - r.start for r in essential) * _GATHER_COST >= dense.size:
        return np.flatnonzero(dense >= bound).astype(np.int32)
    touched = np.concatenate([idx[r.start : r.stop] for r in essential])
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
    if docs.size > k:
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above = np.flatnonzero(scores > kth)
        ties = np.flatnonzero(scores == kth)[: k - above.size]
        chosen = np.concatenate((above, ties))
    else:
        chosen = np.arange(docs.size)
    return chosen[np.lexsort((docs[chosen], -scores[chosen]))]
