"""The index serves rank-bm25's scores (with Lucene's idf) from its sparse matrix, built from a
rank-bm25 model; it ranks ties in reading order, only ever looks at the postings of the
question's words, and gives every thread the same hits."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from helpers import index_scores
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import corpus as corpus_module
from bot import index as index_module
from bot.corpus import analyse
from bot.index import Hit, Index, LuceneBM25, bm25_model, contenders, passage_tokens
from bot.knowledge import Document, KnowledgeBase, Passage
from bot.text import QueryTerm, tokenize

WORDS = [f"w{i}" for i in range(12)]
# Monkeypatched settings hold for the whole test: nothing to reset between examples.
PATCHED = [HealthCheck.function_scoped_fixture]


def knowledge_of(texts: list[str], section: str | None = None) -> KnowledgeBase:
    """One document whose paragraphs are `texts`, in order."""
    body = "\n\n".join(texts)
    doc = Document(id="doc", path="doc.md", title="Title", text=body, digest="x")
    passages, start = [], 0
    for number, text in enumerate(texts, 1):
        passages.append(Passage(f"doc#{number}", doc, section, number, text, start,
                                start + len(text)))
        start += len(text) + 2
    return KnowledgeBase((doc,), tuple(passages), "digest")


def reference_ranking(oracle: LuceneBM25, corpus: list[list[str]], query: list[str],
                      k: int) -> list[int]:
    """rank-bm25's scores, best first, ties in reading order, passages holding a query token."""
    scores = oracle.get_scores(query)
    holding = [i for i, doc in enumerate(corpus) if set(doc) & set(query)]
    return sorted(holding, key=lambda i: (-scores[i], i))[:k]


def check_against_rank_bm25(corpus: list[list[str]], queries: list[list[str]], k: int) -> None:
    index = Index(knowledge_of([" ".join(doc) for doc in corpus]), tokens=corpus)
    oracle = LuceneBM25(corpus)
    for query in queries:
        expected = oracle.get_scores(query)
        np.testing.assert_allclose(index_scores(index, query), expected, rtol=0, atol=1e-9)
        hits = index.search(query, k)
        assert [int(h.passage.id.split("#")[1]) - 1 for h in hits] == reference_ranking(
            oracle, corpus, query, k)
        for hit in hits:
            assert hit.score == pytest.approx(expected[hit.passage.paragraph - 1], abs=1e-9)


documents = st.lists(st.sampled_from(WORDS), min_size=0, max_size=12)
corpora = st.lists(documents, min_size=1, max_size=25).filter(lambda c: any(c))
queries = st.lists(st.sampled_from([*WORDS, "unknown", "other"]), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=PATCHED)
@given(corpus=corpora, query_list=st.lists(queries, min_size=1, max_size=4),
       k=st.integers(1, 30))
def test_scores_and_ranking_equal_rank_bm25(corpus: list[list[str]],
                                            query_list: list[list[str]], k: int) -> None:
    check_against_rank_bm25(corpus, query_list, k)


@pytest.mark.parametrize("corpus", [[["a"]], [["a", "a", "b"]], [["a"], ["b"]], [["a"], []],
                                    [["a", "b"], ["a", "b"]]])
def test_tiny_corpora_with_repeated_and_unknown_tokens(corpus: list[list[str]]) -> None:
    check_against_rank_bm25(corpus, [["a"], ["a", "a"], ["b", "a", "b"], ["zzz"], ["zzz", "a"]],
                            k=3)


@pytest.mark.parametrize("contenders_from", [0, 10**9])
def test_large_random_corpus_takes_both_the_sparse_and_the_dense_path(
    monkeypatch: pytest.MonkeyPatch, contenders_from: int
) -> None:
    # Dense questions pick the best among every touched passage, or among the contenders
    # that the rarest terms bound: both must give rank-bm25's ranking.
    monkeypatch.setattr(index_module, "_CONTENDERS_FROM", contenders_from)
    rng = random.Random(5)
    vocab = [f"t{i}" for i in range(3000)]
    weights = [1 / (rank + 3) for rank in range(len(vocab))]
    corpus = [rng.choices(vocab, weights, k=rng.randint(3, 30)) for _ in range(3000)]
    # Rare words touch a few passages (sorted postings), common ones most of them (dense).
    rare = [[rng.choice(vocab[2000:]), rng.choice(vocab[1000:])] for _ in range(15)]
    common = [[vocab[0], vocab[1], rng.choice(vocab)] for _ in range(15)]
    check_against_rank_bm25(corpus, rare + common, k=10)


def test_common_terms_that_cannot_reach_the_k_th_score_are_not_read_for_contenders() -> None:
    rng = random.Random(11)
    # Two words in nearly every passage, a few rare ones: a question mixing them takes the
    # dense path, and the common words alone can never lift a passage into the top k.
    corpus = [["common", "usual", *rng.choices([f"r{i}" for i in range(400)], k=3)]
              for _ in range(2000)]
    queries = [["common", "usual", f"r{i}"] for i in range(0, 400, 37)]
    check_against_rank_bm25(corpus, queries, k=10)
    index = Index(knowledge_of([" ".join(d) for d in corpus]), tokens=corpus)
    runs = index._runs(queries[0])
    dense = index_scores(index, queries[0])
    found = contenders(index.matrix.indices, dense, runs, 10)
    kth = np.sort(dense)[-10]
    # Exactly the passages at or above the k-th best score, found without the common postings.
    assert found.tolist() == np.flatnonzero(dense >= kth).tolist()
    assert sum(r.hi - r.lo for r in runs) > 20 * found.size


def test_matched_words_tell_own_text_from_the_heading() -> None:
    # Which of the question's words each hit holds, and which its own text (not its heading)
    # holds, for few hits and for many.
    rng = random.Random(3)
    vocab = ["balloon", "spy", "china", "visit", "trade", "fentanyl", "talks", "beijing",
             "military", "summit", "senator", "tariff"]
    texts = [" ".join(rng.choices(vocab, k=rng.randint(2, 9))) for _ in range(400)]
    kb = knowledge_of(texts, section="Summit talks")
    index = Index(kb)
    for round_ in range(40):
        query = tokenize(" ".join(rng.sample(vocab, 4)))
        for hit in index.search(query, k=200 if round_ % 4 == 0 else 10):
            own = set(tokenize(hit.passage.text)) & set(query)
            assert hit.in_text == own
            assert hit.matched == own | (set(tokenize("Summit talks")) & set(query))


def test_equal_scores_are_ranked_in_reading_order_even_at_the_cut() -> None:
    corpus = [["x", "y"] if i % 3 == 0 else ["x", "z"] for i in range(200)]
    index = Index(knowledge_of([" ".join(d) for d in corpus]), tokens=corpus)
    hits = index.search(["x", "y"], k=5)
    assert [h.passage.paragraph - 1 for h in hits] == [0, 3, 6, 9, 12]
    hits = index.search(["x"], k=7)  # 200 passages tie: the first seven win
    assert [h.passage.paragraph - 1 for h in hits] == list(range(7))


def test_search_returns_only_passages_that_hold_a_term() -> None:
    corpus = [["a"], ["b"], ["c"], ["a", "c"]]
    index = Index(knowledge_of([" ".join(d) for d in corpus]), tokens=corpus)
    hits = index.search(["a", "nothing"], k=10)
    assert sorted(h.passage.paragraph for h in hits) == [1, 4]
    assert index.search(["nothing"], k=10) == []
    assert index.search(["a"], k=0) == []


def test_work_follows_the_postings_of_the_question() -> None:
    corpus = [["a", "b"], ["b"], ["c"], ["c", "d"], ["a"]]
    index = Index(knowledge_of([" ".join(d) for d in corpus]), tokens=corpus)
    runs = index._runs(["a", "d", "zzz"])
    # Only the passages holding "a" (two) and "d" (one) are ever looked at.
    assert [index.matrix.indices[r.lo : r.hi].tolist() for r in runs] == [[0, 4], [3]]
    assert [run.token for run in runs] == ["a", "d"]


def test_weighted_terms_scale_their_contribution() -> None:
    corpus = [["a", "b"], ["b", "c"], ["c"]]
    index = Index(knowledge_of([" ".join(d) for d in corpus]), tokens=corpus)
    full = index_scores(index, ["b"])
    terms = [QueryTerm("b", 0.5, "asked", "b"), QueryTerm("c", 0.0, "synonym", "c")]
    hits = index.search(terms, k=3)
    # "c" weighs nothing: the passage holding only "c" is not a hit at all.
    assert [h.passage.paragraph for h in hits] == [1, 2]
    assert [h.score for h in hits] == pytest.approx([0.5 * full[0], 0.5 * full[1]])


def test_default_tokens_are_the_tokenizer_s_and_own_text_is_told_apart() -> None:
    texts = ["The balloon drifted over Montana.", "Officials said the balloon was a spy craft.",
             "Nothing here."]
    kb = knowledge_of(texts, section="Montana skies")
    built = Index(kb)
    given_tokens = Index(kb, tokens=[passage_tokens(p) for p in kb.passages])
    assert built.vocabulary.keys() == given_tokens.vocabulary.keys()
    for token in built.vocabulary:
        np.testing.assert_array_equal(index_scores(built, [token]),
                                      index_scores(given_tokens, [token]))
    hits = {h.passage.paragraph: h for h in built.search(tokenize("Montana skies"), k=3)}
    # The heading's words match every passage, but only the first one's own text holds one.
    assert hits[3].matched == set(tokenize("Montana skies"))
    assert hits[3].in_text == frozenset()
    assert hits[1].in_text == set(tokenize("Montana"))


@settings(max_examples=150, deadline=None, suppress_health_check=PATCHED)
@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6))
def test_fast_corpus_tokens_equal_tokenize_on_any_text(texts: list[str]) -> None:
    kb = knowledge_of(texts, section="Ünïcode heading")
    built = Index(kb)
    reference = [passage_tokens(p) for p in kb.passages]
    by_hand = Index(kb, tokens=reference)
    assert built.vocabulary.keys() == by_hand.vocabulary.keys()
    assert built.surface == by_hand.surface
    assert built.surface_counts.tolist() == by_hand.surface_counts.tolist()
    for token in built.vocabulary:
        np.testing.assert_array_equal(index_scores(built, [token]), index_scores(by_hand, [token]))
    for p, tokens in zip(kb.passages, reference, strict=True):
        own = set(tokenize(p.text))
        for hit in built.search(list(dict.fromkeys(tokens)), k=len(texts)):
            if hit.passage is p:
                assert hit.in_text == own & hit.matched


def test_memory_is_counted_and_proportional_to_postings() -> None:
    corpus = [["a", "b", "c"]] * 10
    index = Index(knowledge_of([" ".join(d) for d in corpus]), tokens=corpus)
    nnz = index.matrix.nnz
    assert nnz == 30
    # Per stored weight: the weight, the passage number and one bit; per term: idf, largest
    # weight, offsets.
    terms = len(index.vocabulary)
    assert index.nbytes == nnz * (8 + 4) + (nnz + 7) // 8 + terms * 16 + (terms + 1) * 4
    assert np.unpackbits(index.text_bits, count=nnz).all()


def test_the_weights_come_from_a_rank_bm25_model_of_the_passages() -> None:
    corpus = [["a", "b", "a"], ["b", "c"], ["c", "c", "c", "d"], ["e"]]
    kb = knowledge_of([" ".join(d) for d in corpus])
    index = Index(kb, k1=1.2, b=0.6, tokens=corpus)
    model = bm25_model(analyse(kb.passages, corpus), len(corpus), 1.2, 0.6)
    assert isinstance(model, LuceneBM25)
    assert (model.k1, model.b) == (1.2, 0.6)
    assert model.doc_len == [3, 2, 4, 1]
    assert index.avgdl == model.avgdl == 2.5
    by_words = LuceneBM25(corpus)
    for term in "abcde":
        row = index.vocabulary[term]
        assert index.idf[row] == model.idf[term] == by_words.idf[term]


def zipf_index(rng: random.Random, words: int,
               passages: int) -> tuple[list[str], list[list[str]], Index]:
    """An index of `passages` random token lists whose `words` tokens follow Zipf's law."""
    vocab = [f"t{i}" for i in range(words)]
    weights = [1 / (rank + 2) for rank in range(words)]
    corpus = [rng.choices(vocab, weights, k=rng.randint(2, 25)) for _ in range(passages)]
    return vocab, corpus, Index(knowledge_of([" ".join(d) for d in corpus]), tokens=corpus)


def test_weighted_and_repeated_terms_score_as_rank_bm25_weighs_them() -> None:
    # A term of weight w adds w times its rank-bm25 score; a term asked twice counts twice.
    rng = random.Random(7)
    vocab, corpus, index = zipf_index(rng, 300, 600)
    oracle = LuceneBM25(corpus)
    for _ in range(60):
        words = rng.choices(vocab[:20] + vocab[-100:], k=rng.randint(1, 6))
        words += rng.sample(words, min(2, len(words)))
        terms = [QueryTerm(w, rng.choice([1.0, 0.5, 0.3, 1.7]), "asked", w) for w in words]
        expected = sum((t.weight * oracle.get_scores([t.token]) for t in terms),
                       np.zeros(len(corpus)))
        for hit in index.search(terms, k=30):
            assert hit.score == pytest.approx(expected[hit.passage.paragraph - 1], abs=1e-9)
        best = sorted(np.flatnonzero(expected).tolist(), key=lambda i: (-expected[i], i))[:30]
        assert [h.passage.paragraph - 1 for h in index.search(terms, k=30)] == best


def test_threads_searching_at_once_get_the_hits_one_thread_gets() -> None:
    rng = random.Random(9)
    vocab, _, index = zipf_index(rng, 1500, 5000)
    questions = [rng.sample(vocab[:200], 5) for _ in range(200)]
    expected = [index.search(q, 10) for q in questions]

    def ask_all(offset: int) -> list[list[Hit]]:
        order = questions[offset:] + questions[:offset]
        found = [index.search(q, 10) for q in order]
        return found[len(order) - offset :] + found[: len(order) - offset]

    with ThreadPoolExecutor(4) as pool:
        for found in pool.map(ask_all, [0, 50, 100, 150]):
            assert found == expected


def test_a_word_the_tokenizer_would_read_differently_alone_falls_back_to_whole_texts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No real word is known to change when read again on its own; this stands one in, to show
    # that such a word's texts are then tokenized whole, as `tokenize` reads them.
    real_words = corpus_module.words

    def words(text: str) -> list[str]:
        return ["odd", "one"] if text == "oddone" else real_words(text)

    monkeypatch.setattr(corpus_module, "words", words)
    texts = ["An oddone among passages.", "Plain passage text.", "Another oddone here."]
    kb = knowledge_of(texts, section="Oddone heading")
    built = Index(kb)
    by_hand = Index(kb, tokens=[passage_tokens(p) for p in kb.passages])
    assert "oddon" in built.vocabulary
    assert built.vocabulary.keys() == by_hand.vocabulary.keys()
    for token in built.vocabulary:
        np.testing.assert_array_equal(index_scores(built, [token]), index_scores(by_hand, [token]))
    assert {h.passage.paragraph for h in built.search(["oddon"], k=3)} == {1, 2, 3}
    assert {h.passage.paragraph for h in built.search(["oddon"], k=3) if h.in_text} == {1, 3}
