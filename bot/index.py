"""The BM25 index: rank-bm25's scores served from a sparse matrix of precomputed term weights.

rank-bm25 defines the scores (`LuceneBM25`); `Index` holds the same per-term weights in a
terms x passages CSR matrix, so a question costs time in proportion to its words' postings,
not to the size of the knowledge base.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rank_bm25 import BM25Okapi
from scipy import sparse

from bot.knowledge import KnowledgeBase, Passage
from bot.text import QueryTerm, TypoMap, tokenize, words

DEFAULT_K1 = 1.5
DEFAULT_B = 0.75


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


@dataclass(frozen=True, slots=True)
class Hit:
    """A scored passage and which of the question's tokens it holds."""

    passage: Passage
    score: float
    matched: frozenset[str]


def passage_tokens(passage: Passage) -> list[str]:
    """What a passage is indexed under: its own words plus its title and section heading."""
    return tokenize(passage.text) + tokenize(passage.context)


class Index:
    """A searchable, immutable BM25 index over a knowledge base's passages."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        *,
        k1: float = DEFAULT_K1,
        b: float = DEFAULT_B,
        tokens: Sequence[Sequence[str]] | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.passages = knowledge.passages
        self.k1, self.b = k1, b
        corpus = tokens if tokens is not None else [passage_tokens(p) for p in self.passages]
        self._build(corpus)
        self.surface_words = self._surface_words()
        self.typos = TypoMap(self.surface_words)

    @classmethod
    def from_parts(
        cls,
        knowledge: KnowledgeBase,
        *,
        k1: float,
        b: float,
        vocabulary: dict[str, int],
        matrix: sparse.csr_matrix,
        idf: npt.NDArray[np.float64],
        doc_freq: npt.NDArray[np.float64],
        avgdl: float,
        surface_words: list[tuple[str, int]],
    ) -> Index:
        """An index restored from its saved parts (the on-disk cache), without rebuilding."""
        index = cls.__new__(cls)
        index.knowledge, index.passages = knowledge, knowledge.passages
        index.k1, index.b = k1, b
        index.vocabulary, index.matrix, index.idf = vocabulary, matrix, idf
        index.doc_freq, index.avgdl = doc_freq, avgdl
        index.surface_words = surface_words
        index.typos = TypoMap(surface_words)
        return index

    def _build(self, corpus: Sequence[Sequence[str]]) -> None:
        vocabulary: dict[str, int] = {}
        term_ids: list[int] = []
        doc_ids: list[int] = []
        for doc, doc_tokens in enumerate(corpus):
            for token in doc_tokens:
                term_ids.append(vocabulary.setdefault(token, len(vocabulary)))
            doc_ids.extend([doc] * len(doc_tokens))
        n_docs, n_terms = len(corpus), len(vocabulary)
        doc_len = np.array([len(t) for t in corpus], dtype=np.float64)
        avgdl = float(doc_len.sum()) / max(n_docs, 1)
        # Count each (term, passage) pair once: its term frequency.
        keys = np.array(term_ids, dtype=np.int64) * max(n_docs, 1) + np.array(doc_ids, np.int64)
        pairs, tf = np.unique(keys, return_counts=True)
        rows, cols = pairs // max(n_docs, 1), pairs % max(n_docs, 1)
        doc_freq = np.bincount(rows, minlength=n_terms).astype(np.float64)
        idf = np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
        tf_f = tf.astype(np.float64)
        norm = self.k1 * (1 - self.b + self.b * doc_len[cols] / (avgdl or 1.0))
        weights = idf[rows] * (tf_f * (self.k1 + 1) / (tf_f + norm))
        self.vocabulary = vocabulary
        self.idf = idf
        self.doc_freq = doc_freq
        self.avgdl = avgdl
        self.matrix = sparse.csr_matrix(
            (weights, (rows, cols)), shape=(n_terms, n_docs), dtype=np.float64
        )
        self.matrix.sort_indices()

    def _surface_words(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for passage in self.passages:
            counts.update(words(passage.text))
        for section in {p.context for p in self.passages}:
            counts.update(words(section))
        return list(counts.items())

    def __len__(self) -> int:
        return len(self.passages)

    def __contains__(self, token: object) -> bool:
        return token in self.vocabulary

    @property
    def max_idf(self) -> float:
        """The idf of a word no passage holds: what an unknown word of a question weighs."""
        return lucene_idf(0, len(self.passages))

    def idf_of(self, token: str) -> float:
        row = self.vocabulary.get(token)
        return self.max_idf if row is None else float(self.idf[row])

    def scores(self, tokens: Iterable[str]) -> npt.NDArray[np.float64]:
        """Dense BM25 scores of every passage, exactly as rank-bm25's `get_scores` would give."""
        return self._accumulate([(token, 1.0) for token in tokens])[0]

    def _accumulate(
        self, weighted: Sequence[tuple[str, float]]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]:
        indptr, indices, data = self.matrix.indptr, self.matrix.indices, self.matrix.data
        chunks_i: list[npt.NDArray[np.int32]] = []
        chunks_w: list[npt.NDArray[np.float64]] = []
        for token, weight in weighted:
            row = self.vocabulary.get(token)
            if row is None:
                continue
            lo, hi = indptr[row], indptr[row + 1]
            chunks_i.append(indices[lo:hi])
            chunks_w.append(data[lo:hi] if weight == 1.0 else data[lo:hi] * weight)
        n = len(self.passages)
        if not chunks_i:
            return np.zeros(n), np.empty(0, dtype=np.int32)
        idx = np.concatenate(chunks_i)
        return np.bincount(idx, weights=np.concatenate(chunks_w), minlength=n), idx

    def search(self, terms: Sequence[QueryTerm] | Sequence[str], k: int = 10) -> list[Hit]:
        """The k best passages for the weighted terms, best first, ties by passage order."""
        weighted = [(t, 1.0) if isinstance(t, str) else (t.token, t.weight) for t in terms]
        scores, touched = self._accumulate(weighted)
        if touched.size == 0 or k <= 0:
            return []
        candidates = np.flatnonzero(scores)
        if candidates.size > k:
            top = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        else:
            top = candidates
        # Best first; equal scores keep reading order so answers never flip between runs.
        order = top[np.lexsort((top, -scores[top]))]
        tokens = list(dict.fromkeys(token for token, _ in weighted if token in self.vocabulary))
        matched = self._matched(tokens, order)
        return [
            Hit(self.passages[doc], float(scores[doc]), frozenset(matched[i]))
            for i, doc in enumerate(order.tolist())
        ]

    def _matched(self, tokens: list[str], docs: npt.NDArray[np.intp]) -> list[set[str]]:
        found: list[set[str]] = [set() for _ in range(len(docs))]
        indptr, indices = self.matrix.indptr, self.matrix.indices
        for token in tokens:
            row = self.vocabulary[token]
            postings = indices[indptr[row] : indptr[row + 1]]
            at = np.searchsorted(postings, docs)
            hit = postings[np.minimum(at, postings.size - 1)] == docs
            for i in np.flatnonzero(hit).tolist():
                found[i].add(token)
        return found

    def holds(self, passage_index: int, token: str) -> bool:
        row = self.vocabulary.get(token)
        if row is None:
            return False
        postings = self.matrix.indices[self.matrix.indptr[row] : self.matrix.indptr[row + 1]]
        at = int(np.searchsorted(postings, passage_index))
        return at < postings.size and int(postings[at]) == passage_index

    @property
    def nbytes(self) -> int:
        """Memory held by the scoring structures (matrix, idf, vocabulary strings excluded)."""
        m = self.matrix
        return int(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes + self.idf.nbytes
                   + self.doc_freq.nbytes)
