"""The C search loop (bot/_scoring.c) gives numpy's hits to the last bit, shares nothing between
threads, and refuses a damaged index without writing outside its arrays."""

from __future__ import annotations

import random
import shutil
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from test_index import knowledge_of

from bot import index as index_module
from bot.index import Hit, Index
from bot.text import QueryTerm

scoring = index_module._scoring


def test_the_c_search_loop_is_built() -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler here: numpy serves the same answers, slower")
    assert scoring is not None, (
        "bot/_scoring.c did not build although a C compiler is here: run "
        "`.venv/bin/pip install -e .` and read the compiler's error")


needs_loop = pytest.mark.skipif(scoring is None, reason="the C search loop is not built")


def random_index(seed: int, passages: int = 2500) -> tuple[Index, list[str]]:
    rng = random.Random(seed)
    vocab = [f"t{i}" for i in range(1500)]
    weights = [1 / (rank + 2) for rank in range(len(vocab))]
    corpus = [rng.choices(vocab, weights, k=rng.randint(2, 25)) for _ in range(passages)]
    return Index(knowledge_of([" ".join(doc) for doc in corpus]), tokens=corpus), vocab


def with_numpy(index: Index, terms: list[QueryTerm], k: int,
               monkeypatch: pytest.MonkeyPatch) -> list[Hit]:
    with monkeypatch.context() as patch:
        patch.setattr(index_module, "_scoring", None)
        return index.search(terms, k)


@needs_loop
def test_weighted_and_repeated_terms_give_numpy_s_hits_to_the_last_bit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index, vocab = random_index(7)
    assert index._kernel_fits
    rng = random.Random(8)
    for round_ in range(120):
        words = rng.choices(vocab[:40] + vocab[-300:], k=rng.randint(1, 9))
        words += rng.sample(words, min(2, len(words)))  # a word asked twice counts twice
        terms = [QueryTerm(w, rng.choice([1.0, 0.5, 0.6 * 0.5, 1.7]), "asked", w)
                 for w in words]
        k = (1, 3, 10, 30, 5000)[round_ % 5]
        in_c = index.search(terms, k)
        # Equal as tuples: the same passages, scores equal as floats, the same token sets.
        assert in_c == with_numpy(index, terms, k, monkeypatch)
        assert len(in_c) == min(k, len({p for w in set(words)
                                        for p in index.postings(w).tolist()}))


@needs_loop
def test_the_scratch_is_left_zero_and_threads_do_not_share_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index, vocab = random_index(9)
    rng = random.Random(10)
    questions = [rng.sample(vocab[:200], 5) for _ in range(200)]
    expected = [with_numpy(index, [QueryTerm(w, 1.0, "asked", w) for w in q], 10, monkeypatch)
                for q in questions]

    def ask_all(offset: int) -> list[list[Hit]]:
        order = questions[offset:] + questions[:offset]
        found = [index.search(q, 10) for q in order]
        scratch = index._scratch.scores
        assert not scratch.any()  # every score added was cleared again
        return found[len(order) - offset:] + found[: len(order) - offset]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(ask_all, [0, 50, 100, 150]))
    for found in results:
        assert found == expected


def arrays(index: Index) -> tuple[np.ndarray, ...]:
    m = index.matrix
    return m.indptr, m.indices.copy(), m.data, index.text_bits, index.fact_bits


@needs_loop
def test_a_posting_outside_the_index_is_refused_and_the_scratch_left_zero() -> None:
    assert scoring is not None
    index, vocab = random_index(12, passages=300)
    indptr, indices, data, text_bits, fact_bits = arrays(index)
    rows = [index.vocabulary[vocab[0]], index.vocabulary[vocab[1]]]
    # Damage a posting of the second term: the first term's sums are already in the scratch.
    indices[indptr[rows[1]] + 1] = len(index)
    scratch = np.zeros(len(index))
    with pytest.raises(ValueError, match="outside the index"):
        scoring.search(indptr, indices, data, text_bits, fact_bits, rows, [1.0, 1.0],
                       ["a", "b"], 10, scratch)
    assert not scratch.any()
    indices[indptr[rows[1]] + 1] = -1
    with pytest.raises(ValueError, match="outside the index"):
        scoring.search(indptr, indices, data, text_bits, fact_bits, rows, [1.0, 1.0],
                       ["a", "b"], 10, scratch)
    assert not scratch.any()


@needs_loop
def test_arrays_of_the_wrong_kind_or_size_are_refused_not_read() -> None:
    assert scoring is not None
    index, vocab = random_index(13, passages=100)
    indptr, indices, data, text_bits, fact_bits = arrays(index)
    row = [index.vocabulary[vocab[0]]]
    scratch = np.zeros(len(index))

    def search(**change: object) -> list[Any]:
        parts: dict[str, object] = dict(
            indptr=indptr, indices=indices, data=data, text_bits=text_bits,
            fact_bits=fact_bits, rows=row, weights=[1.0], tokens=["a"], k=5, scratch=scratch)
        parts.update(change)
        return scoring.search(*parts.values())  # type: ignore[no-any-return]

    assert len(search()) == 5
    everything = search(k=2**62)  # more than memory could hold is only every passage
    assert len(everything) == index.postings(vocab[0]).size
    with pytest.raises(TypeError, match="indptr"):
        search(indptr=indptr.astype(np.int64))
    with pytest.raises(TypeError, match="scratch"):
        search(scratch=np.zeros(len(index), dtype=np.float32))
    with pytest.raises(ValueError, match="fit together"):
        search(fact_bits=fact_bits[:-1])
    with pytest.raises(IndexError, match="outside the index"):
        search(rows=[len(indptr) - 1])
    with pytest.raises(ValueError, match="a weight and a token"):
        search(tokens=["a", "b"])
    with pytest.raises(ValueError, match="at most 64"):
        search(rows=row * 65, weights=[1.0] * 65, tokens=["a"] * 65)
    assert not scratch.any()


def test_more_terms_than_the_loop_takes_are_served_by_numpy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index, vocab = random_index(14, passages=500)
    terms = [QueryTerm(w, 1.0, "asked", w) for w in vocab[:index_module._KERNEL_TERMS + 6]]
    hits = index.search(terms, 10)
    assert hits == with_numpy(index, terms, 10, monkeypatch)
    asked = {t.token for t in terms}
    for hit in hits:  # the words past the 64th count as much as the others
        assert hit.matched == asked & set(hit.passage.text.split())


def test_a_loop_built_from_older_source_is_not_called(caplog: pytest.LogCaptureFixture) -> None:
    # After a pull that changed bot/_scoring.c but before a reinstall, the old build may take
    # other arguments: numpy serves instead, and the log says how to rebuild.
    assert index_module._current(None)
    assert index_module._current(SimpleNamespace(VERSION=index_module._SCORING_VERSION))
    assert not caplog.records
    assert not index_module._current(SimpleNamespace())
    assert not index_module._current(SimpleNamespace(VERSION=index_module._SCORING_VERSION - 1))
    assert len(caplog.records) == 2
    assert "pip install -e ." in caplog.records[0].getMessage()
    if scoring is not None:
        assert index_module._current(scoring)
