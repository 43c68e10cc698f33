"""The figures a set of outcomes comes to (Hit@1, Hit@shown, refusals, a gold answer in the
highlight and in the first quote; per kind of question: Hit@3 and MRR too), and their tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.evaluation.outcomes import Outcome

METRICS = ("hit@1", "hit@shown", "answerable refused", "unanswerable refused",
           "answer in highlight", "answer in first quote")


@dataclass
class Figures:
    n_answerable: int = 0
    n_unanswerable: int = 0
    values: dict[str, float] = field(default_factory=dict)


def figures(outcomes: Sequence[Outcome]) -> Figures:
    answerable = [o for o in outcomes if o.question.answerable]
    negatives = [o for o in outcomes if not o.question.answerable]
    out = Figures(len(answerable), len(negatives))
    if answerable:
        n = len(answerable)
        out.values["hit@1"] = sum(o.hit1 for o in answerable) / n
        out.values["hit@shown"] = sum(o.hit_shown for o in answerable) / n
        out.values["hit@3"] = sum(o.hit3 for o in answerable) / n
        out.values["mrr"] = sum(o.rr for o in answerable) / n
        out.values["answerable refused"] = sum(not o.answered for o in answerable) / n
        with_answers = [o for o in answerable if o.question.answers]
        if with_answers:
            m = len(with_answers)
            if any(o.highlight for o in with_answers):
                out.values["answer in highlight"] = sum(
                    o.contains_answer(o.highlight) for o in with_answers) / m
            out.values["answer in first quote"] = sum(
                o.contains_answer(o.quote) for o in with_answers) / m
    if negatives:
        out.values["unanswerable refused"] = sum(not o.answered for o in negatives) / len(negatives)
    return out


def summarize(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float]]:
    """Per kind of question (and "ALL answerable", "ALL unanswerable"): n, hit@1, hit@3, MRR,
    wrongly refused, refused."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.question.kind].append(o)
        groups["ALL answerable" if o.question.answerable else "ALL unanswerable"].append(o)
    table: dict[str, dict[str, float]] = {}
    for kind, items in groups.items():
        values = figures(items).values
        table[kind] = {"n": len(items)} | {
            column: values[metric] for column, metric in _KIND_COLUMNS if metric in values}
    return table


# The per-kind table's columns, and the figures they show.
_KIND_COLUMNS = (("hit@1", "hit@1"), ("hit@3", "hit@3"), ("mrr", "mrr"),
                 ("wrongly refused", "answerable refused"), ("refused", "unanswerable refused"))


def print_rows(title: str, rows: Iterable[tuple[str, Figures]],
               out: Callable[[str], None] = print) -> None:
    out(f"\n{title}")
    out(f"{'':<34}" + "".join(f"{m:>13}" for m in ("hit@1", "hit@shown", "ans.refused",
                                                     "unans.ref.", "in highl.", "in quote")))
    for name, fig in rows:
        cells = "".join(f"{fig.values[m]:>13.3f}" if m in fig.values else f"{'—':>13}"
                        for m in METRICS)
        out(f"{name:<34}{cells}")


def print_kinds(title: str, table: dict[str, dict[str, float]],
                out: Callable[[str], None] = print) -> None:
    cols = ["n", "hit@1", "hit@3", "mrr", "wrongly refused", "refused"]
    out(f"\n{title}")
    out(f"{'kind':<18}" + "".join(f"{c:>16}" for c in cols))
    for kind in sorted(table, key=lambda k: (k.startswith("ALL"), k)):
        row = table[kind]
        out(f"{kind:<18}" + "".join(
            f"{row[c]:>16.0f}" if c == "n" else (f"{row[c]:>16.3f}" if c in row else f"{'—':>16}")
            for c in cols))
