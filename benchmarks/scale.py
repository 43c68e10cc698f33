"""How the bot scales: build time, index memory, cold start from the disk cache, question latency
and the event loop's longest stall during a reload, at 1,000 / 10,000 / 100,000 passages, beside
rank-bm25's `get_scores` and bm25s on the same corpus, tokens and questions.

    python benchmarks/scale.py [--quick | --million] [--questions 2000] [--workdir DIR]

The corpus is synthetic and deterministic (`benchmarks/synthetic.py`): passages of 20-60 words
from a Zipfian vocabulary of 50,000 words with runs of the real articles' text mixed in, written
as Markdown files and read through the normal loader.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import bm25s  # type: ignore[import-untyped]
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import synthetic  # noqa: E402
from benchmarks.serve_probe import FRESH_SETS, percentiles, timed  # noqa: E402
from bot.index import Index, LuceneBM25, passage_tokens  # noqa: E402
from bot.index_cache import IndexCache  # noqa: E402
from bot.knowledge import load_folder  # noqa: E402
from bot.serving import ISOLATE_ABOVE_BYTES  # noqa: E402
from bot.text import tokenize  # noqa: E402

RANK_BM25_QUESTIONS = {1_000: 300, 10_000: 60, 100_000: 10, 1_000_000: 3}
TARGETS_AT = 100_000


def deep_size(obj: object, skip: Iterable[object] = ()) -> int:
    """Bytes held by `obj` and everything it holds (containers, instances, arrays), once each."""
    seen = {id(s) for s in skip}
    total, stack = 0, [obj]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += item.nbytes + sys.getsizeof(np.empty(0))
            continue
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.append(vars(item))
        for slot in getattr(type(item), "__slots__", ()):
            if hasattr(item, slot):
                stack.append(getattr(item, slot))
    return total


def index_memory(index: Index) -> int:
    """Everything the index holds beyond the passages themselves."""
    return deep_size(index, skip=(index.knowledge, index.passages))


def bm25s_memory(model: bm25s.BM25) -> int:
    return sum(int(a.nbytes) for a in model.scores.values() if isinstance(a, np.ndarray)) \
        + deep_size(model.vocab_dict)


def baselines(index: Index, asked: list[tuple[str, list[str]]], n: int) -> dict[str, Any]:
    """bm25s and rank-bm25 on the same passages' tokens and the same question tokens."""
    row: dict[str, Any] = {}
    tokens = [passage_tokens(p) for p in index.passages]
    started = time.perf_counter()
    fast = bm25s.BM25(k1=index.k1, b=index.b, method="lucene")
    fast.index(tokens, show_progress=False)
    row["bm25s_build_s"] = time.perf_counter() - started
    row["bm25s_bytes"] = bm25s_memory(fast) / len(index)
    row["bm25s"] = percentiles(timed(
        lambda qt: fast.retrieve([qt[1]], k=3, show_progress=False, n_threads=1), asked))
    started = time.perf_counter()
    oracle = LuceneBM25(tokens, k1=index.k1, b=index.b)  # BM25Okapi.get_scores, Lucene's idf
    row["rank_bm25_build_s"] = time.perf_counter() - started
    sample = asked[: RANK_BM25_QUESTIONS.get(n, 3)]
    row["rank_bm25_n"] = len(sample)
    row["rank_bm25"] = percentiles(timed(
        lambda qt: np.argpartition(-oracle.get_scores(qt[1]), 2)[:3], sample))
    # The issue measured rank-bm25 on the question's words as typed (8 of them): our tokenizer
    # drops stopwords and frame words first, so the same-tokens figure above is the stricter.
    row["rank_bm25_typed"] = percentiles(timed(
        lambda qt: np.argpartition(-oracle.get_scores(qt[0].lower().split()), 2)[:3], sample))
    row["max_score_diff"] = max(
        float(np.abs(index.scores(t) - oracle.get_scores(t)).max()) for _, t in sample)
    return row


def probe_in_fresh_process(folder: Path, cache_dir: Path, questions: list[str],
                           workdir: Path) -> dict[str, Any]:
    """Run `serve_probe` in a new process that holds nothing but the service, as the bot would."""
    asked = workdir / "questions.json"
    asked.write_text(json.dumps(questions), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.serve_probe", str(folder), str(cache_dir), str(asked)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
        check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(n: int, workdir: Path, n_questions: int) -> dict[str, Any]:
    corpus = synthetic.generate(n)
    folder, cache_dir = workdir / f"kb-{n}", workdir / f"cache-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(cache_dir, ignore_errors=True)
    synthetic.write_folder(corpus, folder)
    questions = synthetic.questions(corpus, n_questions * FRESH_SETS)
    del corpus
    row: dict[str, Any] = {"passages_asked": n}
    row["folder_mb"] = sum(p.stat().st_size for p in folder.rglob("*.md")) / 1e6
    row.update(measure_index(folder, cache_dir, questions[:n_questions], n))
    row["reload_path"] = "process" if row["folder_mb"] * 1e6 > ISOLATE_ABOVE_BYTES else "thread"
    row.update(probe_in_fresh_process(folder, cache_dir, questions, workdir))
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(cache_dir, ignore_errors=True)
    return row


def measure_index(folder: Path, cache_dir: Path, questions: list[str], n: int) -> dict[str, Any]:
    """Build time and memory, retrieval beside bm25s and rank-bm25; writes the cache entry."""
    row: dict[str, Any] = {}
    started = time.perf_counter()
    knowledge = load_folder(folder)
    row["load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    index = Index(knowledge)
    row["index_s"] = time.perf_counter() - started
    row["build_s"] = row["load_s"] + row["index_s"]
    row["passages"] = len(index)
    IndexCache(cache_dir).save(index)
    asked = [(q, tokenize(q)) for q in questions]
    asked = [(q, t) for q, t in asked if t]
    row["retrieve"] = percentiles(timed(lambda qt: index.search(qt[1], 3), asked))
    # After searching: the serving thread's score scratch (8 bytes a passage) counts too.
    row["index_bytes"] = index_memory(index) / len(index)
    row["arrays_bytes"] = index.nbytes / len(index)
    row["knowledge_bytes"] = deep_size(knowledge) / len(index)
    row.update(baselines(index, asked, n))
    return row


LINES: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("passages", lambda r: f"{r['passages']:,}"),
    ("knowledge files (MB)", lambda r: f"{r['folder_mb']:.1f}"),
    ("build: load_folder (s)", lambda r: f"{r['load_s']:.2f}"),
    ("build: tokenize + index (s)", lambda r: f"{r['index_s']:.2f}"),
    ("build total (s)", lambda r: f"{r['build_s']:.2f}"),
    ("  bm25s index, given tokens (s)", lambda r: f"{r['bm25s_build_s']:.2f}"),
    ("  rank-bm25 index, given tokens (s)", lambda r: f"{r['rank_bm25_build_s']:.2f}"),
    ("index memory (bytes/passage)", lambda r: f"{r['index_bytes']:.0f}"),
    ("  of which score arrays", lambda r: f"{r['arrays_bytes']:.0f}"),
    ("  bm25s (bytes/passage)", lambda r: f"{r['bm25s_bytes']:.0f}"),
    ("  ratio ours / bm25s", lambda r: f"{r['index_bytes'] / r['bm25s_bytes']:.2f}"),
    ("passages themselves (bytes/passage)", lambda r: f"{r['knowledge_bytes']:.0f}"),
    ("process RSS after cold start (MB)", lambda r: f"{r['rss_mb']:.0f}"),
    ("cold start from cache (s)",
     lambda r: f"{r['cold_start_s']:.2f}" + ("" if r["cache_hit"] else " (MISS)")),
    ("  + imports (s)", lambda r: f"{r['imports_s']:.2f}"),
    ("answer p50 (ms), median of 3 sets", lambda r: f"{r['answer'][0]:.3f}"),
    ("  each set's p50", lambda r: "/".join(f"{x:.2f}" for x in r["answer_sets"])),
    ("answer p99 (ms)", lambda r: f"{r['answer'][1]:.3f}"),
    ("  each question's best of 3: p50 / p99",
     lambda r: "{:.3f} / {:.3f}".format(*r["answer_best3"])),
    ("  load average meanwhile", lambda r: f"{r['load_average']:.2f}"),
    ("retrieve top 3 p50 / p99 (ms)", lambda r: "{:.3f} / {:.3f}".format(*r["retrieve"])),
    ("  bm25s retrieve p50 / p99 (ms)", lambda r: "{:.3f} / {:.3f}".format(*r["bm25s"])),
    ("  rank-bm25 get_scores p50 (ms)",
     lambda r: f"{r['rank_bm25'][0]:.1f} (n={r['rank_bm25_n']})"),
    ("  ...given the question as typed p50 (ms)", lambda r: f"{r['rank_bm25_typed'][0]:.1f}"),
    ("  max |score - rank-bm25|", lambda r: f"{r['max_score_diff']:.1e}"),
    ("rank-bm25 p50 / our answer p50", lambda r: f"{r['rank_bm25'][0] / r['answer'][0]:,.1f}x"),
    ("  as typed / our answer p50",
     lambda r: f"{r['rank_bm25_typed'][0] / r['answer'][0]:,.1f}x"),
    ("rank-bm25 p50 / our retrieve p50",
     lambda r: f"{r['rank_bm25'][0] / r['retrieve'][0]:,.0f}x"),
    ("bm25s p50 / our answer p50", lambda r: f"{r['bm25s'][0] / r['answer'][0]:.2f}x"),
    ("bm25s p50 / our retrieve p50", lambda r: f"{r['bm25s'][0] / r['retrieve'][0]:.2f}x"),
    ("reload, rebuilt (s, where)",
     lambda r: f"{r['reload']['seconds']:.2f} ({r['reload_path']})"),
    ("  longest loop stall (ms)", lambda r: f"{r['reload']['stall']:.1f}"),
    ("  answers meanwhile p50 / max (ms)",
     lambda r: f"{r['reload']['answer_p50']:.1f} / {r['reload']['answer_max']:.1f}"),
    ("reload, from cache (s)", lambda r: f"{r['reload_cached']['seconds']:.2f}"),
    ("  longest loop stall (ms)", lambda r: f"{r['reload_cached']['stall']:.1f}"),
    ("  answers meanwhile p50 / max (ms)",
     lambda r: "{:.1f} / {:.1f}".format(r["reload_cached"]["answer_p50"],
                                        r["reload_cached"]["answer_max"])),
    ("no reload: longest stall / answer (ms)",
     lambda r: "{:.1f} / {:.1f}".format(
         max(r["reload"]["idle_stall"], r["reload_cached"]["idle_stall"]),
         max(r["reload"]["idle_answer_max"], r["reload_cached"]["idle_answer_max"]))),
]


def print_table(rows: list[dict[str, Any]]) -> None:
    width = max(len(label) for label, _ in LINES) + 2
    print("".ljust(width) + "".join(f"{r['passages_asked']:>18,}" for r in rows))
    for label, cell in LINES:
        print(label.ljust(width) + "".join(f"{cell(r):>18}" for r in rows))


def check_targets(row: dict[str, Any]) -> list[str]:
    checks = [
        ("answer p50 <= 0.5 ms", row["answer"][0] <= 0.5),
        ("answer p99 <= 2 ms", row["answer"][1] <= 2.0),
        (">= 500x faster than rank-bm25 (whole answer, same tokens)",
         row["rank_bm25"][0] / row["answer"][0] >= 500),
        (">= 500x faster than rank-bm25 (whole answer, question as typed, as the issue timed it)",
         row["rank_bm25_typed"][0] / row["answer"][0] >= 500),
        (">= 500x faster than rank-bm25 (retrieval)",
         row["rank_bm25"][0] / row["retrieve"][0] >= 500),
        ("no slower than bm25s", row["answer"][0] <= row["bm25s"][0]),
        ("loop stall during reload <= 50 ms",
         max(row["reload"]["stall"], row["reload_cached"]["stall"]) <= 50),
        ("cold start from cache <= 1 s", row["cache_hit"] and row["cold_start_s"] <= 1.0),
        ("build <= 15 s", row["build_s"] <= 15.0),
        ("memory <= 2x bm25s", row["index_bytes"] <= 2 * row["bm25s_bytes"]),
    ]
    return [f"{'met   ' if ok else 'MISSED'} {name}" for name, ok in checks]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="1,000 and 10,000 passages only")
    size.add_argument("--million", action="store_true", help="also 1,000,000 passages")
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    if args.million:
        sizes.append(1_000_000)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bot-scale-"))
    rows = []
    for n in sizes:
        print(f"measuring {n:,} passages...", file=sys.stderr, flush=True)
        rows.append(measure(n, workdir, args.questions))
    print_table(rows)
    target = next((r for r in rows if r["passages_asked"] == TARGETS_AT), None)
    if target is not None:
        print(f"\ntargets at {TARGETS_AT:,} passages:")
        print("\n".join(check_targets(target)))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
