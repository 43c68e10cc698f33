"""Retrieval quality on the evaluation set: Hit@1, Hit@3, MRR and refusals per kind of question,
for the bot beside plain rank-bm25 (`str.lower().split()` tokens) measured in the same run, and
the refusal threshold calibrated by cross-validation.

    python benchmarks/quality.py [--questions tests/eval/questions.jsonl] [--knowledge knowledge]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rank_bm25 import BM25Okapi

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answer import Answer, AnswerOptions, compose  # noqa: E402
from bot.conversation import Turn  # noqa: E402
from bot.index import Index  # noqa: E402
from bot.knowledge import load_folder  # noqa: E402

DEFAULT_QUESTIONS = ROOT / "tests" / "eval" / "questions.jsonl"
GRID = [round(0.10 + 0.05 * i, 2) for i in range(15)]


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    question: str
    gold: tuple[int, ...]
    previous: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


@dataclass(frozen=True)
class Outcome:
    question: Question
    answered: bool
    ranked: tuple[int, ...]  # paragraphs shown, best first

    @property
    def hit1(self) -> bool:
        return self.answered and bool(self.ranked) and self.ranked[0] in self.question.gold

    @property
    def hit3(self) -> bool:
        return self.answered and any(p in self.question.gold for p in self.ranked[:3])

    @property
    def rr(self) -> float:
        if not self.answered:
            return 0.0
        for rank, p in enumerate(self.ranked, 1):
            if p in self.question.gold:
                return 1.0 / rank
        return 0.0

    @property
    def correct(self) -> bool:
        return self.hit3 if self.question.answerable else not self.answered


def load_questions(path: Path = DEFAULT_QUESTIONS) -> list[Question]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            out.append(Question(raw["id"], raw["kind"], raw["question"], tuple(raw["gold"]),
                                tuple(raw.get("previous", ()))))
    return out


def ask_in_conversation(index: Index, q: Question, options: AnswerOptions) -> Answer:
    """Ask the earlier questions first, as a person would in a chat, then the question."""
    turn: Turn | None = None
    for text in (*q.previous, q.question):
        context = turn.follow_up_context(options.context_depth) if turn else ()
        answer = compose(text, index, context, options)
        turn = Turn(text, answer.context)
    return answer


def run_bot(index: Index, questions: Sequence[Question], options: AnswerOptions) -> list[Outcome]:
    outcomes = []
    for q in questions:
        answer = ask_in_conversation(index, q, options)
        outcomes.append(Outcome(q, answer.answered,
                                tuple(c.paragraph for c in answer.citations)))
    return outcomes


def run_plain_bm25(index: Index, questions: Sequence[Question]) -> list[Outcome]:
    """The baseline: rank-bm25 as it comes, whitespace tokens, no refusal beyond a zero score."""
    passages = index.passages
    model = BM25Okapi([p.text.lower().split() for p in passages])
    outcomes = []
    for q in questions:
        scores = model.get_scores(q.question.lower().split())
        order = sorted(range(len(passages)), key=lambda i: (-scores[i], i))[:3]
        answered = bool(scores[order[0]] > 0)
        outcomes.append(Outcome(q, answered, tuple(passages[i].paragraph for i in order)))
    return outcomes


def summarize(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.question.kind].append(o)
        groups["ALL answerable" if o.question.answerable else "ALL unanswerable"].append(o)
    table: dict[str, dict[str, float]] = {}
    for kind, items in groups.items():
        answerable = [o for o in items if o.question.answerable]
        negatives = [o for o in items if not o.question.answerable]
        row: dict[str, float] = {"n": len(items)}
        if answerable:
            row["hit@1"] = sum(o.hit1 for o in answerable) / len(answerable)
            row["hit@3"] = sum(o.hit3 for o in answerable) / len(answerable)
            row["mrr"] = sum(o.rr for o in answerable) / len(answerable)
            row["wrongly refused"] = sum(not o.answered for o in answerable) / len(answerable)
        if negatives:
            row["refused"] = sum(not o.answered for o in negatives) / len(negatives)
        table[kind] = row
    return table


def cross_validate(index: Index, questions: Sequence[Question], base: AnswerOptions,
                   folds: int = 5, seed: int = 7) -> tuple[list[Outcome], list[float]]:
    """Pick min_coverage on k-1 folds, measure on the held-out fold; never on the whole set."""
    shuffled = list(questions)
    random.Random(seed).shuffle(shuffled)
    parts = [shuffled[i::folds] for i in range(folds)]
    cache: dict[float, dict[str, Outcome]] = {}

    def outcomes_at(threshold: float) -> dict[str, Outcome]:
        if threshold not in cache:
            options = replace(base, min_coverage=threshold)
            cache[threshold] = {o.question.id: o for o in run_bot(index, questions, options)}
        return cache[threshold]

    held_out: list[Outcome] = []
    chosen: list[float] = []
    for i, test in enumerate(parts):
        train = [q for j, part in enumerate(parts) if j != i for q in part]

        def accuracy(t: float, qs: Sequence[Question] = train) -> float:
            at = outcomes_at(t)
            return sum(at[q.id].correct for q in qs) / len(qs)

        best = max(GRID, key=lambda t: (accuracy(t), -abs(t - base.min_coverage)))
        chosen.append(best)
        held_out.extend(outcomes_at(best)[q.id] for q in test)
    return held_out, chosen


def print_table(title: str, table: dict[str, dict[str, float]], out: Callable[[str], None]) -> None:
    cols = ["n", "hit@1", "hit@3", "mrr", "wrongly refused", "refused"]
    out(f"\n{title}")
    out(f"{'kind':<18}" + "".join(f"{c:>17}" for c in cols))
    for kind in sorted(table, key=lambda k: (k.startswith("ALL"), k)):
        row = table[kind]
        cells = "".join(
            f"{row[c]:>17.0f}" if c == "n" else (f"{row[c]:>17.3f}" if c in row else f"{'—':>17}")
            for c in cols
        )
        out(f"{kind:<18}{cells}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--min-coverage", type=float, default=AnswerOptions().min_coverage)
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)
    index = Index(load_folder(args.knowledge))
    options = AnswerOptions(min_coverage=args.min_coverage)
    print(f"{len(questions)} questions, {len(index)} passages")
    print_table("bot (default settings)", summarize(run_bot(index, questions, options)), print)
    held_out, chosen = cross_validate(index, questions, options)
    print_table(f"bot, min_coverage chosen by 5-fold cross-validation {chosen} "
                "(each fold measured with the threshold chosen on the others)",
                summarize(held_out), print)
    print_table("baseline: plain rank-bm25 BM25Okapi, str.lower().split() tokens",
                summarize(run_plain_bm25(index, questions)), print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
