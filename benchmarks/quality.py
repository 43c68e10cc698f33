"""Answer quality on text no one here wrote (SQuAD 2.0, 16 articles) and on the seed article's
question sets, beside plain rank-bm25 (`\\w+` tokens) and bm25s (Lucene idf, stopwords, Snowball
stems) measured in the same run.

Each SQuAD article is alone in its knowledge folder and each question is asked on its own, as
`python -m bot ask --json` asks it (the same service and composition, in this process). The seed
sets are asked in conversation, their earlier questions first. Printed per set: Hit@1, Hit@shown
(the baselines show 3), answerable questions refused, unanswerable questions refused, a gold
answer inside the first citation's highlight and inside its quote.

With `--cross-validate` the answer model (config/weights.json) is refitted leaving each article
out (`benchmarks/train_weights.py`), and each article is answered by the model fitted on the
others: the figures that say how the bot does on an article it was never fitted to.

    python benchmarks/quality.py [--squad DIR] [--articles N] [--cross-validate] [--no-baselines]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.eval_sets import (  # noqa: E402
    SEED_KNOWLEDGE,
    SEED_SETS,
    SQUAD,
    Question,
    article_service,
    load_questions,
    load_squad,
    open_service,
)
from bot.answer import Answer, AnswerOptions  # noqa: E402
from bot.conversation import Turn  # noqa: E402
from bot.index import Index  # noqa: E402
from bot.serving import KnowledgeService  # noqa: E402

SHOWN_BY_BASELINES = 3


@dataclass(frozen=True)
class Outcome:
    question: Question
    answered: bool
    ranked: tuple[int, ...]  # paragraphs shown, best first
    quote: str = ""  # the first citation's quote
    highlight: str = ""  # ...and its highlight

    @property
    def hit1(self) -> bool:
        return self.answered and bool(self.ranked) and self.ranked[0] in self.question.gold

    @property
    def hit_shown(self) -> bool:
        return self.answered and any(p in self.question.gold for p in self.ranked)

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

    def contains_answer(self, text: str) -> bool:
        return self.answered and any(a and a in text for a in self.question.answers)


# ---- the bot -----------------------------------------------------------------------------

def ask_in_conversation(service: KnowledgeService, q: Question) -> Answer:
    """Ask the earlier questions first, as a person would in a chat (`chat --json`), then
    the question."""
    turn: Turn | None = None
    answer: Answer | None = None
    for text in (*q.previous, q.question):
        answer, turn = service.respond(text, turn)
    assert answer is not None
    return answer


def outcome_of(q: Question, answer: Answer) -> Outcome:
    first = answer.citations[0] if answer.citations else None
    return Outcome(q, answer.answered, tuple(c.paragraph for c in answer.citations),
                   first.quote if first else "",
                   getattr(first, "highlight", "") if first else "")


def run_service(service: KnowledgeService, questions: Sequence[Question]) -> list[Outcome]:
    return [outcome_of(q, ask_in_conversation(service, q)) for q in questions]


def run_bot(index: Index, questions: Sequence[Question],
            options: AnswerOptions | None = None) -> list[Outcome]:
    """The seed sets through a service over `index`'s knowledge folder."""
    service = open_service(SEED_KNOWLEDGE, options)
    if index is not service.index and index.knowledge.digest != service.index.knowledge.digest:
        raise ValueError("run_bot measures the shipped knowledge folder")
    return run_service(service, questions)


# ---- baselines ---------------------------------------------------------------------------

_W = re.compile(r"\w+")


def _plain_tokens(text: str) -> list[str]:
    return _W.findall(text.lower())


def run_plain_bm25(index: Index, questions: Sequence[Question]) -> list[Outcome]:
    """rank-bm25 as it comes (Okapi idf), `\\w+` tokens, the best 3 shown, no refusal beyond
    a zero score."""
    from rank_bm25 import BM25Okapi

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


# ---- figures -----------------------------------------------------------------------------

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


# ---- runs --------------------------------------------------------------------------------

def _defaults(_article: str) -> AnswerOptions | None:
    return None


Runner = Callable[[Index, Sequence[Question]], list[Outcome]]


@dataclass
class Results:
    bot: list[Outcome] = field(default_factory=list)
    plain: list[Outcome] = field(default_factory=list)
    bm25s: list[Outcome] = field(default_factory=list)


def run_squad(squad: Path, articles: dict[str, list[Question]],
              options_for: Callable[[str], AnswerOptions | None] = _defaults,
              baselines: bool = True) -> Results:
    """Each article alone in its folder; each question asked on its own."""
    results = Results()
    for article, questions in articles.items():
        service = article_service(squad, article, options_for(article))
        results.bot.extend(outcome_of(q, service.ask(q.question)) for q in questions)
        if baselines:
            results.plain.extend(run_plain_bm25(service.index, questions))
            results.bm25s.extend(run_bm25s(service.index, questions))
    return results


def run_seed(sets: dict[str, list[Question]], options: AnswerOptions | None = None,
             baselines: bool = True) -> dict[str, Results]:
    service = open_service(SEED_KNOWLEDGE, options)
    out: dict[str, Results] = {}
    for name, questions in sets.items():
        results = Results(run_service(service, questions))
        if baselines:
            results.plain = run_plain_bm25(service.index, questions)
            results.bm25s = run_bm25s(service.index, questions)
        out[name] = results
    return out


def report(label: str, results: Results, out: Callable[[str], None] = print) -> None:
    rows = [(f"this bot{label}", figures(results.bot))]
    if results.plain:
        rows.append(("plain rank-bm25, \\w+ tokens (@3)", figures(results.plain)))
    if results.bm25s:
        rows.append(("bm25s, Lucene, stop+stem (@3)", figures(results.bm25s)))
    return print_rows("", rows, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", type=Path, default=SQUAD,
                        help="a folder laid out as shared/eval/squad-16 (default: %(default)s)")
    parser.add_argument("--articles", type=int, default=None, help="only the first N articles")
    parser.add_argument("--no-squad", action="store_true")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--kinds", action="store_true", help="seed figures per kind of question")
    parser.add_argument("--cross-validate", action="store_true",
                        help="answer each article with the model fitted leaving it out")
    parser.add_argument("--dump", type=Path, help="write every outcome as JSON lines here")
    args = parser.parse_args(argv)
    baselines = not args.no_baselines
    started = time.perf_counter()
    dumped: list[Outcome] = []
    options_for: Callable[[str], AnswerOptions | None] = _defaults
    seed_options: AnswerOptions | None = None
    if args.cross_validate:
        from benchmarks.train_weights import cross_validated_options

        options_for, seed_options = cross_validated_options(args.squad, args.articles)
    if not args.no_squad:
        if not (args.squad / "questions.jsonl").exists():
            print(f"{args.squad}: no SQuAD folder (give --squad, or --no-squad)", file=sys.stderr)
            return 2
        articles = load_squad(args.squad, args.articles)
        results = run_squad(args.squad, articles, options_for, baselines)
        n = sum(len(qs) for qs in articles.values())
        cv = ", cross-validated by article" if args.cross_validate else ""
        print(f"SQuAD: {len(articles)} articles, {n} questions, each article alone{cv}")
        report("", results)
        dumped.extend(results.bot)
    if not args.no_seed:
        sets = {name: load_questions(path) for name, path in SEED_SETS.items()}
        seed = run_seed(sets, seed_options, baselines)
        cv = " (fitted without the seed article)" if args.cross_validate else ""
        print(f"\nSeed article{cv}: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
        every = Results()
        for results in seed.values():
            every.bot += results.bot
            every.plain += results.plain
            every.bm25s += results.bm25s
            dumped.extend(results.bot)
        for name, results in [*seed.items(), ("all seed sets", every)]:
            print(f"\n[{name}]", end="")
            report("", results)
            if args.kinds:
                print_kinds(f"{name}, per kind", summarize(results.bot))
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for o in dumped:
                out.write(json.dumps({"id": o.question.id, "article": o.question.article,
                                      "answerable": o.question.answerable,
                                      "answered": o.answered, "ranked": o.ranked,
                                      "hit1": o.hit1}) + "\n")
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
