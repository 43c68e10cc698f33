"""Fit the answer model (`config/weights.json`): a logistic regression over each candidate
passage's evidence (`bot.evidence.FEATURES`), labelled by whether it is a passage that answers
the question, on the 16 SQuAD articles and the seed article's question sets; and the refusal
threshold, the highest at which at most `--refuse-answerable` of the answerable questions go
unanswered. Cross-validated by article: each article's figures come from a model fitted on
the others (`--cv` prints them; `benchmarks/quality.py --cross-validate` answers with them).

scikit-learn is needed here only (a dev dependency); the bot reads the weights with numpy.

    python benchmarks/train_weights.py [--write] [--cv] [--tradeoff] [--refuse-answerable 0.025]
                                       [--squad DIR]
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

from bot.answer import AnswerOptions, evaluate, held, shipped_model  # noqa: E402
from bot.conversation import Turn  # noqa: E402
from bot.evaluation import (  # noqa: E402
    SEED_KNOWLEDGE,
    SEED_SETS,
    SQUAD,
    Question,
    article_paragraphs,
    article_service,
    load_questions,
    load_squad,
    open_service,
)
from bot.evidence import FEATURES  # noqa: E402
from bot.model import (  # noqa: E402
    WEIGHTS_FILE,
    AnswerModel,
    ModelError,
    question_rows,
    to_dict,
)
from bot.question import read  # noqa: E402
from bot.serving import KnowledgeService  # noqa: E402

SEED = "seed"
REFUSE_ANSWERABLE = 0.025  # the share of answerable questions the threshold may refuse
C = 1.0  # inverse regularisation strength of the logistic regression
SEED_WEIGHT = 3.0  # each seed question counts this much: the seed is one article among 17
REMOVED_WEIGHT = 1.0  # each question asked without its answering paragraph counts this much
FOREIGN = 60  # off-topic questions per SQuAD article, from the other articles
CANDIDATES = AnswerOptions().candidates
SHOWN = 0.955  # the share of answered questions whose quotes should hold the answer
MAX_CITATIONS = AnswerOptions().max_citations
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
    foreign: npt.NDArray[np.bool_]  # per question: made up to be unanswerable (see `collect`)
    removed: npt.NDArray[np.bool_]  # ...by taking out the paragraph that answers it

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
                     self.foreign[chosen], self.removed[chosen])


def evidence_of(service: KnowledgeService, q: Question,
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
    return ([c.row for c in evidence.candidates],
            [c.hit.passage.paragraph in q.gold for c in evidence.candidates],
            [held(c) >= options.min_coverage for c in evidence.candidates])


def collect(squad: Path | None, articles: int | None = None,
            options: AnswerOptions | None = None, foreign: int = FOREIGN,
            removed: bool = True) -> Table:
    """The evidence of every question of the SQuAD articles and the seed sets, and of
    questions made unanswerable, which SQuAD itself lacks: `foreign` questions per SQuAD
    article taken from the other articles (off-topic), and, with `removed`, each answerable
    question asked of its article without the paragraph that answers it (a detail the
    article does not give), when no other paragraph holds its answer."""
    options = options or AnswerOptions(model=_bootstrap(), candidates=CANDIDATES)
    rows: list[Floats] = []
    labels: list[bool] = []
    covered: list[bool] = []
    owner: list[int] = []
    answerable: list[bool] = []
    article: list[str] = []
    others: list[bool] = []
    taken_out: list[bool] = []

    def add(service: KnowledgeService, questions: Sequence[Question], name: str,
            off_topic: bool = False, without: bool = False) -> None:
        for q in questions:
            taken_out.append(without)
            found, gold, passes = evidence_of(service, q, options)
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
            if removed:
                for paragraph, asked in _unanswered_without(squad, name, questions):
                    add(article_service(squad, name, without=paragraph), asked, name,
                        off_topic=True, without=True)
    seed = open_service(SEED_KNOWLEDGE, options)
    for path in SEED_SETS.values():
        add(seed, load_questions(path), SEED)
    return Table(np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)),
                 np.array(labels, dtype=bool), np.array(owner, dtype=np.int64),
                 np.array(answerable, dtype=bool), np.array(covered, dtype=bool), article,
                 np.array(others, dtype=bool), np.array(taken_out, dtype=bool))


def _unanswered_without(squad: Path, article: str,
                        questions: Sequence[Question]) -> list[tuple[int, list[Question]]]:
    """Per paragraph of `article`, its answerable questions whose answers no other paragraph
    holds: without that paragraph, the article does not answer them."""
    paragraphs = article_paragraphs(squad, article)
    by_paragraph: dict[int, list[Question]] = {}
    for q in questions:
        if not q.answerable or not q.answers:
            continue
        [gold] = q.gold
        others = [p for i, p in enumerate(paragraphs, 1) if i != gold]
        if not any(answer in p for answer in q.answers for p in others):
            by_paragraph.setdefault(gold, []).append(q)
    return sorted(by_paragraph.items())


def _bootstrap() -> AnswerModel:
    """The shipped model, or while it was fitted for other features, one that ranks by BM25
    and refuses nothing (the collection uses it only to decide follow-ups)."""
    try:
        return shipped_model()
    except ModelError:
        n = len(FEATURES)
        rank = np.zeros(n)
        rank[FEATURES.index("bm25")] = 1.0
        return AnswerModel(FEATURES, rank, np.zeros(2 * n + 2), 0.0, 0.0)


def fit(table: Table, refuse_answerable: float = REFUSE_ANSWERABLE, c: float = C,
        seed_weight: float = SEED_WEIGHT, shown: float = SHOWN,
        removed_weight: float = REMOVED_WEIGHT) -> AnswerModel:
    """The ranking model (pairwise: the answering passage against each other candidate of its
    question), the answer model (logistic: the question is answered, from its best two
    candidates), the refusal threshold and the ratio for further quotes."""
    from sklearn.linear_model import LogisticRegression

    seed = np.array(table.article) == SEED
    diffs, pair_weights = _pairs(table, np.where(seed, seed_weight, 1.0))
    ranker = LogisticRegression(C=c, max_iter=2000, fit_intercept=False)
    ranker.fit(np.vstack([diffs, -diffs]),
               np.r_[np.ones(len(diffs)), np.zeros(len(diffs))],
               sample_weight=np.r_[pair_weights, pair_weights])
    base = _bootstrap()
    rank = ranker.coef_[0].astype(np.float64)
    questions, _ = question_matrix(table, rank)
    answer = LogisticRegression(C=c, max_iter=5000)
    weights = np.where(seed, seed_weight, np.where(table.removed, removed_weight, 1.0))
    answer.fit(questions, table.answerable, sample_weight=weights)
    fitted = AnswerModel(FEATURES, rank, answer.coef_[0].astype(np.float64),
                         float(answer.intercept_[0]), 0.0, 0.5, base.synonym_weight,
                         base.stand_in_weight, base.context_weight)
    fitted = replace(fitted, threshold=threshold(fitted, table, refuse_answerable))
    return replace(fitted, related_ratio=related_ratio(fitted, table, shown))


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


def orders(table: Table, rank: Floats) -> list[npt.NDArray[np.int64]]:
    """Per question, its rows' indices best first, as the bot ranks them."""
    scores = table.rows @ rank
    return [lo + np.argsort(-scores[lo:hi], kind="stable") for lo, hi in _bounds(table)]


def question_matrix(table: Table, rank: Floats) -> tuple[Floats, npt.NDArray[np.bool_]]:
    """The answer model's row per question, and whether its best candidate passes the
    coverage floor (a question without candidates gets zeros and does not)."""
    scores = table.rows @ rank
    width = 2 * len(FEATURES) + 2
    out = np.zeros((len(table.answerable), width))
    passes = np.zeros(len(table.answerable), dtype=bool)
    for q, order in enumerate(orders(table, rank)):
        if order.size:
            out[q] = question_rows(table.rows[order], scores[order])[0]
            passes[q] = table.covered[order[0]]
    return out, passes


def best_probabilities(model: AnswerModel, table: Table) -> Floats:
    """Per question, the model's chance that it is answered, 0 when its best candidate fails
    the coverage floor: what the bot compares with the threshold."""
    questions, passes = question_matrix(table, model.rank)
    out: Floats = np.where(passes, model.answerable_many(questions), 0.0)
    return out


def threshold(model: AnswerModel, table: Table, refuse_answerable: float) -> float:
    """The highest threshold that refuses at most `refuse_answerable` of the answerable
    questions."""
    best = np.sort(best_probabilities(model, table)[table.answerable & ~table.foreign])
    if best.size == 0:
        return 0.5
    at = int(np.floor(refuse_answerable * best.size))
    return float(best[at]) if at < best.size else float(best[-1])


RATIOS = (0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01)


def related_ratio(model: AnswerModel, table: Table, shown: float) -> float:
    """The highest ratio (of a further quote's chance to the best one's) at which the quotes
    shown hold an answering passage for `shown` of the answerable questions answered."""
    answered = best_probabilities(model, table) >= model.threshold
    scores = table.rows @ model.rank
    for ratio in RATIOS:
        if _shown_share(table, scores, answered, ratio) >= shown:
            return ratio
    return RATIOS[-1]


def _shown_share(table: Table, scores: Floats, answered: npt.NDArray[np.bool_],
                 ratio: float) -> float:
    found = []
    for q, order in enumerate(_orders(table, scores)):
        if not table.answerable[q] or table.foreign[q] or not answered[q] or not order.size:
            continue
        ranked = scores[order]
        chosen = order[np.exp(ranked - ranked[0]) >= ratio][:MAX_CITATIONS]
        found.append(bool(table.labels[chosen].any()))
    return float(np.mean(found)) if found else 1.0


def _orders(table: Table, scores: Floats) -> list[npt.NDArray[np.int64]]:
    return [lo + np.argsort(-scores[lo:hi], kind="stable") for lo, hi in _bounds(table)]


def cross_validate(table: Table, **fit_args: float) -> dict[str, AnswerModel]:
    """Per article, the model fitted on every other article."""
    return {name: fit(table.of({name}, keep=False), **fit_args)
            for name in dict.fromkeys(table.article)}


def figures(model: AnswerModel, table: Table) -> dict[str, float]:
    """Hit@1, Hit@shown and refusals, as the bot would answer (real questions only)."""
    answered = best_probabilities(model, table) >= model.threshold
    scores = table.rows @ model.rank
    hit = np.zeros(len(table.answerable), dtype=bool)
    shown = np.zeros(len(table.answerable), dtype=bool)
    for q, order in enumerate(_orders(table, scores)):
        if order.size and answered[q]:
            hit[q] = bool(table.labels[order[0]])
            ranked = scores[order]
            chosen = order[np.exp(ranked - ranked[0]) >= model.related_ratio][:MAX_CITATIONS]
            shown[q] = bool(table.labels[chosen].any())
    a = table.answerable & ~table.foreign
    u = ~table.answerable & ~table.foreign
    return {"hit@1": float(hit[a].mean()) if a.any() else 0.0,
            "hit@shown": float(shown[a].mean()) if a.any() else 0.0,
            "answerable refused": float((~answered[a]).mean()) if a.any() else 0.0,
            "unanswerable refused": float((~answered[u]).mean()) if u.any() else 0.0}


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
    parser.add_argument("--refuse-answerable", type=float, default=REFUSE_ANSWERABLE,
                        help="the share of answerable questions the threshold may refuse "
                             f"(default {REFUSE_ANSWERABLE}): higher refuses more of both kinds")
    parser.add_argument("--tradeoff", action="store_true",
                        help="print, cross-validated, what refusing more answerable questions "
                             "buys in unanswerable ones refused")
    args = parser.parse_args(argv)
    if not 0 <= args.refuse_answerable < 1:
        parser.error("--refuse-answerable is a share: give a number from 0 to below 1")
    started = time.perf_counter()
    table = collect(args.squad, args.articles)
    print(f"{len(table.answerable)} questions, {len(table.rows)} candidates "
          f"({time.perf_counter() - started:.0f} s)")
    model = fit(table, refuse_answerable=args.refuse_answerable)
    n = len(FEATURES)
    print(f"  {'feature':<20}{'rank':>9}{'best':>9}{'2nd':>9}")
    for i, name in enumerate(FEATURES):
        print(f"  {name:<20}{model.rank[i]:>9.3f}{model.answer[i]:>9.3f}"
              f"{model.answer[n + i]:>9.3f}")
    print(f"  best score {model.answer[-2]:.3f}, margin {model.answer[-1]:.3f}, intercept "
          f"{model.intercept:.3f}\n  threshold {model.threshold:.3f}, related ratio "
          f"{model.related_ratio}")
    squad_part = table.of({SEED}, keep=False, foreign=False)
    seed_part = table.of({SEED}, keep=True)
    print("in sample:", "SQuAD", _shown(figures(model, squad_part)), "| seed",
          _shown(figures(model, seed_part)))
    if args.cv:
        models = cross_validate(table, refuse_answerable=args.refuse_answerable)
        for part, name in ((squad_part, "SQuAD"), (seed_part, "seed")):
            pooled = _pooled(part, models)
            print(f"cross-validated by article: {name}", _shown(pooled))
    if args.tradeoff:
        print_tradeoff(table, squad_part, seed_part)
    if args.write:
        extra = {"fitted_on": {"squad_articles": len(set(squad_part.article)),
                               "squad_questions": len(squad_part.answerable),
                               "seed_questions": len(seed_part.answerable)},
                 "refuse_answerable": args.refuse_answerable, "c": C, "seed_weight": SEED_WEIGHT}
        WEIGHTS_FILE.write_text(json.dumps(to_dict(model, **extra), indent=2) + "\n",
                                encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE}")
    return 0


TRADEOFF = (0.01, 0.025, 0.04, 0.05, 0.075, 0.10, 0.15, 0.20)


def print_tradeoff(table: Table, squad_part: Table, seed_part: Table) -> None:
    """Per share of answerable questions the threshold may refuse (`--refuse-answerable`),
    the figures of each article answered by the models fitted without it, the threshold set
    on those models' own training articles."""
    models = cross_validate(table)
    print("cross-validated by article, threshold set to refuse this share of the answerable "
          "questions fitted on:")
    print(f"  {'share':>6}  {'SQuAD hit@1':>11} {'ans.ref.':>9} {'unans.ref.':>10}   "
          f"{'seed hit@1':>10} {'ans.ref.':>9} {'unans.ref.':>10}")
    for share in TRADEOFF:
        moved = {name: replace(model, threshold=threshold(
                     model, table.of({name}, keep=False), share))
                 for name, model in models.items()}
        row = []
        for part in (squad_part, seed_part):
            pooled = _pooled(part, moved)
            row.append(f"{pooled['hit@1']:>10.3f} {pooled['answerable refused']:>9.3f} "
                       f"{pooled['unanswerable refused']:>10.3f}")
        print(f"  {share:>6.3f}  {row[0]}    {row[1]}")


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
