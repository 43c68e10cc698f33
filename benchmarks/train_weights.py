"""Fit the answer model (`config/weights.json`): a logistic regression over each candidate
passage's evidence (`bot.evidence.FEATURES`), labelled by whether it is a passage that answers
the question, on the 16 SQuAD articles and the seed article's question sets; and the refusal
threshold, the highest at which at most `--refuse-answerable` of the answerable questions go
unanswered. Cross-validated by article: each article's figures come from a model fitted on
the others (`--cv` prints them; `benchmarks/quality.py --cross-validate` answers with them).

scikit-learn is needed here only (a dev dependency); the bot reads the weights with numpy.

    python benchmarks/train_weights.py [--write] [--cv] [--squad DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.quality import (  # noqa: E402
    SEED_KNOWLEDGE,
    SEED_SETS,
    SQUAD,
    Question,
    article_service,
    load_questions,
    load_squad,
    open_service,
)
from bot.answer import AnswerOptions, evaluate, shipped_model  # noqa: E402
from bot.conversation import Turn  # noqa: E402
from bot.evidence import FEATURES  # noqa: E402
from bot.model import WEIGHTS_FILE, AnswerModel, ModelError, to_dict  # noqa: E402
from bot.question import read  # noqa: E402
from bot.serving import KnowledgeService  # noqa: E402

SEED = "seed"
REFUSE_ANSWERABLE = 0.04  # the share of answerable questions the threshold may refuse
C = 1.0  # inverse regularisation strength of the logistic regression
SEED_WEIGHT = 3.0  # each seed question counts this much: the seed is one article among 17
FOREIGN = 60  # off-topic questions per SQuAD article, from the other articles
Floats = npt.NDArray[np.float64]


@dataclass
class Table:
    """One row per candidate: its evidence, whether it answers, and which question and
    article it belongs to."""

    rows: Floats
    labels: npt.NDArray[np.bool_]
    question: npt.NDArray[np.int64]  # the row's question, numbered across the table
    answerable: npt.NDArray[np.bool_]  # per question
    covered: npt.NDArray[np.bool_]  # per row: its coverage passes the min_coverage floor
    article: list[str]  # per question
    foreign: npt.NDArray[np.bool_]  # per question: another article's, asked of this one

    def of(self, articles: set[str], keep: bool, foreign: bool = True) -> Table:
        chosen = np.array([(a in articles) == keep for a in self.article])
        if not foreign:
            chosen &= ~self.foreign
        row_chosen = chosen[self.question]
        renumber = np.cumsum(chosen) - 1
        return Table(self.rows[row_chosen], self.labels[row_chosen],
                     renumber[self.question[row_chosen]], self.answerable[chosen],
                     self.covered[row_chosen],
                     [a for a, c in zip(self.article, chosen, strict=True) if c],
                     self.foreign[chosen])


def question_rows(service: KnowledgeService, q: Question,
                  options: AnswerOptions) -> tuple[list[Floats], list[bool], list[bool]]:
    """The evidence rows of `q`'s candidates as the bot reads it (after its earlier questions,
    in conversation), and whether each is a passage that answers it."""
    context: tuple[str, ...] = ()
    turn: Turn | None = None
    for text in q.previous:
        context = turn.follow_up_context(options.context_depth) if turn else ()
        answer = service.ask(text, context)
        turn = Turn(text, answer.context)
    context = turn.follow_up_context(options.context_depth) if turn else ()
    query = read(q.question, context, service.lexicon)
    evidence = evaluate(query, service.index, options, service.lexicon)
    coverage = FEATURES.index("coverage")
    return ([c.row for c in evidence.candidates],
            [c.hit.passage.paragraph in q.gold for c in evidence.candidates],
            [bool(c.row[coverage] >= options.min_coverage) for c in evidence.candidates])


def collect(squad: Path | None, articles: int | None = None,
            options: AnswerOptions | None = None, foreign: int = FOREIGN) -> Table:
    """The evidence of every question of the SQuAD articles and the seed sets, and of
    `foreign` questions per SQuAD article taken from the other articles (off-topic questions,
    which SQuAD itself lacks, unanswerable by construction)."""
    options = options or AnswerOptions(model=_bootstrap())
    rows: list[Floats] = []
    labels: list[bool] = []
    covered: list[bool] = []
    owner: list[int] = []
    answerable: list[bool] = []
    article: list[str] = []
    others: list[bool] = []

    def add(service: KnowledgeService, questions: Sequence[Question], name: str,
            off_topic: bool = False) -> None:
        for q in questions:
            found, gold, passes = question_rows(service, q, options)
            rows.extend(found)
            labels.extend(gold if not off_topic else [False] * len(gold))
            covered.extend(passes)
            owner.extend([len(answerable)] * len(found))
            answerable.append(q.answerable and not off_topic)
            article.append(name)
            others.append(off_topic)

    if squad is not None:
        by_article = load_squad(squad, articles)
        for name, questions in by_article.items():
            service = article_service(squad, name)
            add(service, questions, name)
            pool = [q for other, qs in by_article.items() if other != name for q in qs
                    if q.answerable]
            add(service, random.Random(name).sample(pool, min(foreign, len(pool))), name,
                off_topic=True)
    seed = open_service(SEED_KNOWLEDGE, options)
    for path in SEED_SETS.values():
        add(seed, load_questions(path), SEED)
    return Table(np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)),
                 np.array(labels, dtype=bool), np.array(owner, dtype=np.int64),
                 np.array(answerable, dtype=bool), np.array(covered, dtype=bool), article,
                 np.array(others, dtype=bool))


def _bootstrap() -> AnswerModel:
    """The shipped model, or while it was fitted for other features, one that ranks by BM25
    and refuses nothing (the collection uses it only to decide follow-ups)."""
    try:
        return shipped_model()
    except ModelError:
        n = len(FEATURES)
        rank = np.zeros(n)
        rank[FEATURES.index("bm25")] = 1.0
        return AnswerModel(FEATURES, rank, np.zeros(n + 2), 0.0, 0.0)


def fit(table: Table, refuse_answerable: float = REFUSE_ANSWERABLE, c: float = C,
        seed_weight: float = SEED_WEIGHT) -> AnswerModel:
    """The ranking model (pairwise: the answering passage against each other candidate of its
    question), the answer model (logistic: this candidate answers the question, given its
    evidence, rank score and margin), and the refusal threshold."""
    from sklearn.linear_model import LogisticRegression

    seed = np.array(table.article) == SEED
    diffs, pair_weights = _pairs(table, np.where(seed, seed_weight, 1.0))
    ranker = LogisticRegression(C=c, max_iter=2000, fit_intercept=False)
    ranker.fit(np.vstack([diffs, -diffs]),
               np.r_[np.ones(len(diffs)), np.zeros(len(diffs))],
               sample_weight=np.r_[pair_weights, pair_weights])
    base = _bootstrap()
    rank = ranker.coef_[0].astype(np.float64)
    extended = _extended(table, rank)
    answer = LogisticRegression(C=c, max_iter=2000)
    answer.fit(extended, table.labels, sample_weight=np.where(seed[table.question],
                                                              seed_weight, 1.0))
    fitted = AnswerModel(FEATURES, rank, answer.coef_[0].astype(np.float64),
                         float(answer.intercept_[0]), 0.0, base.synonym_weight,
                         base.stand_in_weight, base.context_weight)
    return replace(fitted, threshold=threshold(fitted, table, refuse_answerable))


def _pairs(table: Table, question_weight: Floats) -> tuple[Floats, Floats]:
    """Per answerable question whose answering passage is among its candidates, that
    passage's row minus each other candidate's, each question weighing `question_weight`."""
    diffs: list[Floats] = []
    weights: list[float] = []
    for q, (lo, hi) in enumerate(_bounds(table)):
        gold = np.flatnonzero(table.labels[lo:hi])
        other = np.flatnonzero(~table.labels[lo:hi])
        if not table.answerable[q] or not gold.size or not other.size:
            continue
        block = table.rows[lo:hi]
        d = (block[gold][:, None, :] - block[other][None, :, :]).reshape(-1, block.shape[1])
        diffs.append(d)
        weights.extend([question_weight[q] / len(d)] * len(d))
    return np.vstack(diffs), np.array(weights)


def _bounds(table: Table) -> list[tuple[int, int]]:
    """Each question's rows (contiguous)."""
    starts = np.searchsorted(table.question, np.arange(len(table.answerable)), side="left")
    ends = np.searchsorted(table.question, np.arange(len(table.answerable)), side="right")
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _extended(table: Table, rank: Floats) -> Floats:
    """Each row with its rank score and its margin (over the next for the best of its
    question, from the best for the others), as the bot computes them."""
    scores = table.rows @ rank
    margins = np.zeros_like(scores)
    for lo, hi in _bounds(table):
        if hi <= lo:
            continue
        block = np.sort(scores[lo:hi])[::-1]
        top = block[0]
        margins[lo:hi] = scores[lo:hi] - top
        best = lo + int(np.argmax(scores[lo:hi]))
        margins[best] = top - block[1] if hi - lo > 1 else top
    return np.hstack([table.rows, scores[:, None], margins[:, None]])


def probabilities(model: AnswerModel, table: Table) -> Floats:
    extended = _extended(table, model.rank)
    return model.probabilities(extended[:, :-2], extended[:, -2], extended[:, -1])


def best_probabilities(model: AnswerModel, table: Table) -> Floats:
    """Per question, the probability of its best-ranked candidate that passes the coverage
    floor (0 when none does): what the bot compares with the threshold."""
    scores = np.where(table.covered, table.rows @ model.rank, -np.inf)
    p = probabilities(model, table)
    out = np.zeros(len(table.answerable))
    for q, (lo, hi) in enumerate(_bounds(table)):
        if hi > lo and np.isfinite(scores[lo:hi]).any():
            out[q] = p[lo + int(np.argmax(scores[lo:hi]))]
    return out


def threshold(model: AnswerModel, table: Table, refuse_answerable: float) -> float:
    """The highest threshold that refuses at most `refuse_answerable` of the answerable
    questions."""
    best = np.sort(best_probabilities(model, table)[table.answerable & ~table.foreign])
    if best.size == 0:
        return 0.5
    at = int(np.floor(refuse_answerable * best.size))
    return float(best[at]) if at < best.size else float(best[-1])


def cross_validate(table: Table, **fit_args: float) -> dict[str, AnswerModel]:
    """Per article, the model fitted on every other article."""
    return {name: fit(table.of({name}, keep=False), **fit_args)
            for name in dict.fromkeys(table.article)}


def figures(model: AnswerModel, table: Table) -> dict[str, float]:
    """Hit@1 and refusals of the ranking alone (no citations beyond the first)."""
    scores = np.where(table.covered, table.rows @ model.rank, -np.inf)
    best = best_probabilities(model, table)
    answered = best >= model.threshold
    hit = np.zeros(len(table.answerable), dtype=bool)
    for q, (lo, hi) in enumerate(_bounds(table)):
        if hi > lo and np.isfinite(scores[lo:hi]).any():
            hit[q] = bool(table.labels[lo + int(np.argmax(scores[lo:hi]))])
    hit &= answered
    a = table.answerable
    return {"hit@1": float(hit[a].mean()) if a.any() else 0.0,
            "answerable refused": float((~answered[a]).mean()) if a.any() else 0.0,
            "unanswerable refused": float((~answered[~a]).mean()) if (~a).any() else 0.0}


def cross_validated_options(
    squad: Path, articles: int | None = None
) -> tuple[Callable[[str], AnswerOptions | None], AnswerOptions]:
    """For `benchmarks/quality.py --cross-validate`: the options that answer each SQuAD
    article, and the seed article, with the model fitted leaving that article out."""
    table = collect(squad, articles)
    models = cross_validate(table)
    base = AnswerOptions()

    def options_for(article: str) -> AnswerOptions | None:
        return replace(base, model=models[article]) if article in models else None

    return options_for, replace(base, model=models[SEED])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS_FILE}")
    parser.add_argument("--cv", action="store_true", help="print figures per held-out article")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    table = collect(args.squad, args.articles)
    print(f"{len(table.answerable)} questions, {len(table.rows)} candidates "
          f"({time.perf_counter() - started:.0f} s)")
    model = fit(table)
    print(f"  {'feature':<20}{'rank':>9}{'answer':>9}")
    for name, r, a in zip((*FEATURES, "rank score", "margin"), (*model.rank.tolist(), 0, 0),
                          model.answer.tolist(), strict=True):
        print(f"  {name:<20}{r:>9.3f}{a:>9.3f}")
    print(f"  {'intercept':<20}{'':>9}{model.intercept:>9.3f}\n  threshold {model.threshold:.3f}")
    squad_part = table.of({SEED}, keep=False, foreign=False)
    seed_part = table.of({SEED}, keep=True)
    print("in sample:", "SQuAD", _shown(figures(model, squad_part)), "| seed",
          _shown(figures(model, seed_part)))
    if args.cv:
        models = cross_validate(table)
        for part, name in ((squad_part, "SQuAD"), (seed_part, "seed")):
            pooled = _pooled(part, models)
            print(f"cross-validated by article: {name}", _shown(pooled))
    if args.write:
        extra = {"fitted_on": {"squad_articles": len(set(squad_part.article)),
                               "squad_questions": len(squad_part.answerable),
                               "seed_questions": len(seed_part.answerable)},
                 "refuse_answerable": REFUSE_ANSWERABLE, "c": C, "seed_weight": SEED_WEIGHT}
        WEIGHTS_FILE.write_text(json.dumps(to_dict(model, **extra), indent=2) + "\n",
                                encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE}")
    return 0


def _pooled(table: Table, models: dict[str, AnswerModel]) -> dict[str, float]:
    """Figures over `table`, each article scored by its own held-out model, pooled."""
    totals: dict[str, float] = {}
    counts: dict[str, float] = {}
    for name in dict.fromkeys(table.article):
        part = table.of({name}, keep=True, foreign=False)
        n_a, n_u = int(part.answerable.sum()), int((~part.answerable).sum())
        for key, value in figures(models[name], part).items():
            n = n_u if key == "unanswerable refused" else n_a
            totals[key] = totals.get(key, 0.0) + value * n
            counts[key] = counts.get(key, 0.0) + n
    return {k: totals[k] / counts[k] for k in totals if counts[k]}


def _shown(values: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in values.items())


if __name__ == "__main__":
    sys.exit(main())
