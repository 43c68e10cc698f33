"""Answer quality floors, so that a regression fails CI: on a fixed sample of SQuAD 2.0 (five
Wikipedia articles no one here wrote, tests/eval/squad/, CC BY-SA 4.0), each article alone in
its folder and each question asked on its own; and on the seed article's question sets. The
bot must also beat plain rank-bm25 and bm25s measured on the same questions.

The floors sit a little below the figures measured when they were set (`python
benchmarks/quality.py --squad tests/eval/squad`, shipped config/weights.json):

    SQuAD sample  hit@1 0.914  hit@shown 0.961  answerable refused 0.024
                  unanswerable refused 0.061  gold answer in the highlight 0.798
    seed sets     hit@1 0.845  hit@shown 0.924  answerable refused 0.003
                  unanswerable refused 0.250

(The sample's articles are among those the weights were fitted on; the cross-validated
figures, each article answered by weights fitted without it, are in docs/answers.md.)
"""

from __future__ import annotations

from functools import cache

import pytest
from helpers import index_scores, knowledge_from_paragraphs, shipped_index
from rank_bm25 import BM25Okapi

from bot.evaluation import (
    SEED_SETS,
    SQUAD_SAMPLE,
    Results,
    combined,
    figures,
    load_questions,
    load_squad,
    run_seed,
    run_squad,
)
from bot.index import Index, LuceneBM25
from bot.text import tokenize

SQUAD_FLOORS = {"hit@1": 0.89, "hit@shown": 0.94, "unanswerable refused": 0.045,
                "answer in highlight": 0.77}
SQUAD_REFUSED_CEILING = 0.045
SEED_FLOORS = {"hit@1": 0.82, "hit@shown": 0.90, "unanswerable refused": 0.22}
SEED_REFUSED_CEILING = 0.03


@cache
def squad() -> Results:
    return run_squad(SQUAD_SAMPLE, load_squad(SQUAD_SAMPLE))


@cache
def seed() -> Results:
    sets = {k: load_questions(p) for k, p in SEED_SETS.items()}
    return combined(run_seed(sets, baselines=True).values())


def test_the_squad_sample_is_whole_and_attributed() -> None:
    articles = load_squad(SQUAD_SAMPLE)
    assert len(articles) == 5
    assert sum(len(q) for q in articles.values()) == 1570
    assert "CC BY-SA 4.0" in (SQUAD_SAMPLE / "README.md").read_text(encoding="utf-8")


def test_the_squad_sample_meets_its_floors() -> None:
    found = figures(squad().bot).values
    for name, floor in SQUAD_FLOORS.items():
        assert found[name] >= floor, name
    assert found["answerable refused"] <= SQUAD_REFUSED_CEILING


def test_the_bot_beats_plain_bm25_and_bm25s_on_the_squad_sample() -> None:
    bot = figures(squad().bot).values
    for baseline in (squad().plain, squad().bm25s):
        assert bot["hit@1"] > figures(baseline).values["hit@1"] + 0.03
        assert bot["answer in first quote"] > figures(baseline).values["answer in first quote"]


def test_the_seed_sets_meet_their_floors() -> None:
    found = figures(seed().bot).values
    for name, floor in SEED_FLOORS.items():
        assert found[name] >= floor, name
    assert found["answerable refused"] <= SEED_REFUSED_CEILING


def test_the_bot_beats_both_baselines_on_the_seed_sets() -> None:
    bot = figures(seed().bot).values
    for baseline in (seed().plain, seed().bm25s):
        other = figures(baseline).values
        assert bot["hit@1"] > other["hit@1"] + 0.05
        assert bot["hit@shown"] > other["hit@shown"]
        assert bot["unanswerable refused"] > other["unanswerable refused"]


def test_the_seed_sets_point_at_real_passages() -> None:
    paragraphs = {p.paragraph for p in shipped_index().passages}
    for path in SEED_SETS.values():
        questions = load_questions(path)
        assert len({q.id for q in questions}) == len(questions)
        for q in questions:
            assert set(q.gold) <= paragraphs, q.id
            assert q.answerable == (not q.kind.startswith("unanswerable")), q.id


# ---- Lucene's idf: what the index fixes in rank-bm25 ----------------------------------------

HALF = [["apple", "pie"], ["apple", "tart"], ["cherry", "cake"], ["plum", "cake"]]


def test_rank_bm25_gives_a_term_in_half_the_passages_zero_idf() -> None:
    okapi = BM25Okapi(HALF)
    assert okapi.idf["apple"] == 0.0
    assert list(okapi.get_scores(["apple"])) == [0.0] * 4


def test_lucene_idf_is_positive_and_the_passage_holding_the_term_ranks_first() -> None:
    lucene = LuceneBM25(HALF)
    assert lucene.idf["apple"] > 0
    index = Index(knowledge_from_paragraphs(" ".join(p) for p in HALF))
    assert index.idf_of("appl") > 0
    hits = index.search(["appl", "pie"])
    assert hits[0].passage.paragraph == 1
    assert {h.passage.paragraph for h in hits if "appl" in h.matched} == {1, 2}
    assert all(h.score > 0 for h in hits)


def test_index_scores_are_lucene_bm25_scores() -> None:
    paragraphs = ["apple pie", "apple tart", "cherry cake", "plum cake and apple"]
    index = Index(knowledge_from_paragraphs(paragraphs))
    oracle = LuceneBM25([tokenize(p) for p in paragraphs])
    query = ["appl", "cake"]
    assert index_scores(index, query) == pytest.approx(oracle.get_scores(query))


@pytest.mark.parametrize(
    "paragraphs",
    [["The balloon was intercepted."], ["The balloon was intercepted.", "Talks resumed."]],
    ids=["one passage", "two passages"],
)
def test_tiny_corpora_score_matching_passages_positively(paragraphs: list[str]) -> None:
    index = Index(knowledge_from_paragraphs(paragraphs))
    [hit] = index.search(["intercept"])
    assert hit.passage.paragraph == 1
    assert hit.score > 0
    assert BM25Okapi([p.lower().split() for p in paragraphs]).get_scores(
        ["intercepted."])[0] <= 0  # what plain rank-bm25 would give
