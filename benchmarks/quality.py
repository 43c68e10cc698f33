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

The measuring code is `bot.evaluation`, the same the quality floors in tests/test_quality.py
run, so the figures printed here and the figures CI checks cannot drift apart.

    python benchmarks/quality.py [--squad DIR] [--articles N] [--cross-validate] [--no-baselines]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answer import AnswerOptions  # noqa: E402
from bot.evaluation import (  # noqa: E402
    SEED_SETS,
    SQUAD,
    OptionsFor,
    Outcome,
    Results,
    combined,
    figures,
    load_questions,
    load_squad,
    print_kinds,
    print_rows,
    run_seed,
    run_squad,
    shipped_options,
    summarize,
)


def report(results: Results, out: Callable[[str], None] = print) -> None:
    rows = [("this bot", figures(results.bot))]
    if results.plain:
        rows.append(("plain rank-bm25, \\w+ tokens (@3)", figures(results.plain)))
    if results.bm25s:
        rows.append(("bm25s, Lucene, stop+stem (@3)", figures(results.bm25s)))
    print_rows("", rows, out)


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
    options_for: OptionsFor = shipped_options
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
        report(results)
        dumped.extend(results.bot)
    if not args.no_seed:
        sets = {name: load_questions(path) for name, path in SEED_SETS.items()}
        seed = run_seed(sets, seed_options, baselines)
        cv = " (fitted without the seed article)" if args.cross_validate else ""
        print(f"\nSeed article{cv}: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
        every = combined(seed.values())
        dumped.extend(every.bot)
        for name, results in [*seed.items(), ("all seed sets", every)]:
            print(f"\n[{name}]", end="")
            report(results)
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
