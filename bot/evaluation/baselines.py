"""The baselines the bot is measured beside, on the same passages and questions: rank-bm25 as it
comes and bm25s with Lucene's idf, stopwords and stems, each showing its best 3."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rank_bm25 import BM25Okapi

from bot.evaluation.outcomes import Outcome
from bot.evaluation.sets import Question
from bot.index import Index

SHOWN_BY_BASELINES = 3

_W = re.compile(r"\w+")


def _plain_tokens(text: str) -> list[str]:
    return _W.findall(text.lower())


def run_plain_bm25(index: Index, questions: Sequence[Question]) -> list[Outcome]:
    """rank-bm25 as it comes (Okapi idf), `\\w+` tokens, the best 3 shown, no refusal beyond
    a zero score."""
    passages = index.passages
    model = BM25Okapi([_plain_tokens(p.text) for p in passages])
    outcomes = []
    for q in questions:
        scores = model.get_scores(_plain_tokens(q.question))
        order = sorted(range(len(passages)), key=lambda i: (-scores[i], i))[:SHOWN_BY_BASELINES]
        answered = bool(scores[order[0]] > 0)
        outcomes.append(Outcome(q, answered, tuple(passages[i].paragraph for i in order),
                                passages[order[0]].text))
    return outcomes


def run_bm25s(index: Index, questions: Sequence[Question]) -> list[Outcome]:
    """bm25s with Lucene's idf, its English stopwords and Snowball stems, the best 3 shown."""
    # Imported here: bm25s is a test and benchmark tool, not a dependency of the bot.
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    passages = index.passages
    model = bm25s.BM25(method="lucene")
    model.index(bm25s.tokenize([p.text for p in passages], stopwords="en", stemmer=stemmer,
                               show_progress=False), show_progress=False)
    k = min(SHOWN_BY_BASELINES, len(passages))
    outcomes = []
    for q in questions:
        tokens = bm25s.tokenize([q.question], stopwords="en", stemmer=stemmer,
                                show_progress=False)
        if not tokens.vocab:
            outcomes.append(Outcome(q, False, ()))
            continue
        docs, scores = model.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        found = [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
        outcomes.append(Outcome(q, bool(found), tuple(passages[i].paragraph for i in found),
                                passages[found[0]].text if found else ""))
    return outcomes
