"""How the bot scales: build time, memory (per passage and per MB of text), cold start from the
disk cache, question latency and the event loop's longest stall during a reload, at 1,000 /
10,000 / 100,000 passages, beside its peers as their users run them, in the same run on the same
corpus, tokens and questions: rank-bm25's `get_scores` (the definition of the scores), bm25s with
its numpy and its numba backend, and tantivy (tantivy-py). The peers are the `bench` extra:
`pip install -e '.[bench]'`; a peer that is not installed is left out of the table.

    python benchmarks/scale.py [--quick | --million] [--questions 2000] [--workdir DIR]
                               [--switch-interval S] [--no-quiet-builds]

The serving process runs as `python -m bot` does, with its owner's garbage collector policy
(`bot.__main__.quiet_builds`); `--no-quiet-builds` leaves it out and `--switch-interval` sets
`sys.setswitchinterval`, to measure what each changes in the reload stall.

The corpus is synthetic and deterministic (`benchmarks/synthetic.py`): passages of 20-60 words
from a Zipfian vocabulary of 50,000 words with runs of the real articles' text mixed in, written
as Markdown files and read through the normal loader.
"""

from __future__ import annotations

import argparse
import importlib.util
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import synthetic  # noqa: E402
from benchmarks.serve_probe import FRESH_SETS, percentiles, timed  # noqa: E402
from bot.index import Index, LuceneBM25, passage_tokens  # noqa: E402
from bot.index_cache import IndexCache  # noqa: E402
from bot.knowledge import Limits, load_folder  # noqa: E402
from bot.serving import ISOLATE_ABOVE_BYTES  # noqa: E402
from bot.text import tokenize  # noqa: E402

RANK_BM25_QUESTIONS = {1_000: 300, 10_000: 60, 100_000: 10, 1_000_000: 3}
TARGETS_AT = 100_000
K = 3  # passages retrieved per question, by us and by every peer
TURN = 100  # questions each retriever answers before the next one's turn
Asked = list[tuple[str, list[str]]]


# The corpora are larger than the loader lets a knowledge folder be by default (a million
# passages are 280 MB): the limits are the operator's, raised here as an operator would.
UNLIMITED = Limits(1 << 50, 1 << 50)

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


def dense_scores(index: Index, tokens: list[str]) -> Any:
    """Every passage's score summed from the index's weights, to set beside rank-bm25's."""
    rows = [index.vocabulary[t] for t in tokens if t in index.vocabulary]
    return np.asarray(index.matrix[rows].sum(axis=0)).ravel() if rows else np.zeros(len(index))


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


Retrieve = Callable[[tuple[str, list[str]]], object]


def bm25s_peer(index: Index, tokens: list[list[str]], asked: Asked,
               backend: str) -> tuple[dict[str, Any], Retrieve]:
    """bm25s with Lucene's idf, as its users run it: the numpy backend (its default) or numba."""
    import bm25s  # type: ignore[import-untyped]

    started = time.perf_counter()
    model = bm25s.BM25(k1=index.k1, b=index.b, method="lucene", backend=backend)
    model.index(tokens, show_progress=False)
    row: dict[str, Any] = {"build_s": time.perf_counter() - started}
    row["bytes"] = (sum(int(a.nbytes) for a in model.scores.values()
                        if isinstance(a, np.ndarray)) + deep_size(model.vocab_dict)) / len(index)

    def retrieve(question: tuple[str, list[str]]) -> object:
        return model.retrieve([question[1]], k=K, show_progress=False, n_threads=1)

    for question in asked[:20]:  # numba compiles on first use
        retrieve(question)
    return row, retrieve


def tantivy_peer(tokens: list[list[str]]) -> tuple[dict[str, Any], Retrieve]:
    """tantivy (tantivy-py) over the same tokens, indexed as they are (whitespace tokenizer,
    term frequencies without positions), asked as a disjunction of term queries. Its BM25 is
    Lucene's with k1 = 1.2 and b = 0.75, fixed."""
    import tantivy  # type: ignore[import-not-found]

    started = time.perf_counter()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    schema = builder.build()
    engine = tantivy.Index(schema)
    writer = engine.writer(heap_size=256 * 2**20, num_threads=1)
    for doc in tokens:
        writer.add_document(tantivy.Document(body=" ".join(doc)))
    writer.commit()
    writer.wait_merging_threads()
    engine.reload()
    searcher = engine.searcher()
    should = tantivy.Occur.Should

    def retrieve(question: tuple[str, list[str]]) -> object:
        query = tantivy.Query.boolean_query(
            [(should, tantivy.Query.term_query(schema, "body", t)) for t in question[1]])
        return searcher.search(query, limit=K, count=False).hits

    return {"build_s": time.perf_counter() - started}, retrieve


def rank_bm25_peer(index: Index, tokens: list[list[str]], asked: Asked, n: int) -> dict[str, Any]:
    """rank-bm25 on the same tokens: the definition of our scores, and how long it takes."""
    started = time.perf_counter()
    oracle = LuceneBM25(tokens, k1=index.k1, b=index.b)  # BM25Okapi.get_scores, Lucene's idf
    row: dict[str, Any] = {"build_s": time.perf_counter() - started}
    sample = asked[: RANK_BM25_QUESTIONS.get(n, 3)]
    row["n"] = len(sample)
    row["retrieve"] = percentiles(timed(
        lambda qt: np.argpartition(-oracle.get_scores(qt[1]), K - 1)[:K], sample))
    # The issue measured rank-bm25 on the question's words as typed (8 of them): our tokenizer
    # drops stopwords and frame words first, so the same-tokens figure above is the stricter.
    row["typed"] = percentiles(timed(
        lambda qt: np.argpartition(-oracle.get_scores(qt[0].lower().split()), K - 1)[:K],
        sample))
    row["max_score_diff"] = max(
        float(np.abs(dense_scores(index, t) - oracle.get_scores(t)).max()) for _, t in sample)
    return row


def peers(index: Index, asked: Asked, n: int) -> dict[str, Any]:
    """Every peer on the same passages' tokens, and the retrieval of ours and theirs timed in
    turns of `TURN` questions, so that a shared machine's passing load falls on all alike."""
    tokens = [passage_tokens(p) for p in index.passages]
    row: dict[str, Any] = {"rank_bm25": rank_bm25_peer(index, tokens, asked, n)}
    retrievers: dict[str, Retrieve] = {"ours": lambda qt: index.search(qt[1], K)}
    if installed("bm25s"):
        row["bm25s_numpy"], retrievers["bm25s_numpy"] = bm25s_peer(index, tokens, asked,
                                                                    "numpy")
        if installed("numba"):
            row["bm25s_numba"], retrievers["bm25s_numba"] = bm25s_peer(index, tokens, asked,
                                                                        "numba")
    if installed("tantivy"):
        row["tantivy"], retrievers["tantivy"] = tantivy_peer(tokens)
    seconds: dict[str, list[float]] = {name: [] for name in retrievers}
    for start in range(0, len(asked), TURN):
        for name, retrieve in retrievers.items():
            seconds[name].extend(timed(retrieve, asked[start : start + TURN]))
    for name, times in seconds.items():
        row.setdefault(name, {})["retrieve"] = percentiles(times)
    row["retrieve"] = row.pop("ours")["retrieve"]
    return row


def probe_in_fresh_process(folder: Path, cache_dir: Path, questions: list[str],
                           workdir: Path, switches: list[str]) -> dict[str, Any]:
    """Run `serve_probe` in a new process that holds nothing but the service, as the bot would."""
    asked = workdir / "questions.json"
    asked.write_text(json.dumps(questions), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.serve_probe", str(folder), str(cache_dir), str(asked),
         *switches],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
        check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def build_peak(folder: Path, workdir: Path) -> float:
    """The peak memory (MB) of loading and indexing `folder` and writing its cache entry in a
    process of its own, as a reload's build process does."""
    scratch = workdir / "peak-cache"
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from bot import build_worker; "
         "from benchmarks.serve_probe import peak_mb; status = build_worker.main(sys.argv[1:]); "
         "print(peak_mb()); sys.exit(status)", str(folder), "1.5", "0.75",
         str(UNLIMITED.max_file_bytes), str(UNLIMITED.max_total_bytes), str(scratch)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
        check=True)
    shutil.rmtree(scratch, ignore_errors=True)
    return float(done.stdout.split()[-1])


def measure(n: int, workdir: Path, n_questions: int, switches: list[str]) -> dict[str, Any]:
    corpus = synthetic.generate(n)
    folder, cache_dir = workdir / f"kb-{n}", workdir / f"cache-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(cache_dir, ignore_errors=True)
    synthetic.write_folder(corpus, folder)
    questions = synthetic.questions(corpus, n_questions * FRESH_SETS)
    del corpus
    row: dict[str, Any] = {"passages_asked": n}
    row["folder_mb"] = sum(p.stat().st_size for p in folder.rglob("*.md")) / 1e6
    row["build_peak_mb"] = build_peak(folder, workdir)
    row.update(measure_index(folder, cache_dir, questions[:n_questions], n))
    row["reload_path"] = "process" if row["folder_mb"] * 1e6 > ISOLATE_ABOVE_BYTES else "thread"
    row.update(probe_in_fresh_process(folder, cache_dir, questions, workdir, switches))
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(cache_dir, ignore_errors=True)
    return row


def measure_index(folder: Path, cache_dir: Path, questions: list[str], n: int) -> dict[str, Any]:
    """Build time and memory, retrieval beside the peers; writes the cache entry."""
    row: dict[str, Any] = {}
    started = time.perf_counter()
    knowledge = load_folder(folder, UNLIMITED)
    row["load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    index = Index(knowledge)
    row["index_s"] = time.perf_counter() - started
    row["build_s"] = row["load_s"] + row["index_s"]
    row["passages"] = len(index)
    IndexCache(cache_dir).save(index)
    row["cache_mb"] = sum(p.stat().st_size for p in cache_dir.rglob("*") if p.is_file()) / 1e6
    asked = [(q, tokenize(q)) for q in questions]
    asked = [(q, t) for q, t in asked if t]
    row["index_bytes"] = index_memory(index) / len(index)
    row["arrays_bytes"] = index.nbytes / len(index)
    row["knowledge_bytes"] = deep_size(knowledge) / len(index)
    row.update(peers(index, asked, n))
    return row


def _peer(name: str, cell: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
    return lambda r: cell(r[name]) if name in r else "-"


def _ratio(row: dict[str, Any], peer: str) -> str:
    if peer not in row:
        return "-"
    return f"{row['retrieve'][0] / row[peer]['retrieve'][0]:.2f}x"


def _ms(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.3f} / {pair[1]:.3f}"


LINES: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("passages", lambda r: f"{r['passages']:,}"),
    ("knowledge files (MB)", lambda r: f"{r['folder_mb']:.1f}"),
    ("build: load_folder (s)", lambda r: f"{r['load_s']:.2f}"),
    ("build: tokenize + index (s)", lambda r: f"{r['index_s']:.2f}"),
    ("build total (s)", lambda r: f"{r['build_s']:.2f}"),
    ("  rank-bm25 index, given tokens (s)", _peer("rank_bm25", lambda p: f"{p['build_s']:.2f}")),
    ("  bm25s index, given tokens (s)", _peer("bm25s_numpy", lambda p: f"{p['build_s']:.2f}")),
    ("  tantivy index, given tokens (s)", _peer("tantivy", lambda p: f"{p['build_s']:.2f}")),
    ("index memory (bytes/passage)", lambda r: f"{r['index_bytes']:.0f}"),
    ("  of which score arrays", lambda r: f"{r['arrays_bytes']:.0f}"),
    ("  bm25s (bytes/passage)", _peer("bm25s_numpy", lambda p: f"{p['bytes']:.0f}")),
    ("passages themselves (bytes/passage)", lambda r: f"{r['knowledge_bytes']:.0f}"),
    ("disk cache (MB)", lambda r: f"{r['cache_mb']:.1f}"),
    ("build process peak (MB)", lambda r: f"{r['build_peak_mb']:.0f}"),
    ("  per MB of text", lambda r: f"{r['build_peak_mb'] / r['folder_mb']:.1f}"),
    ("serving process RSS after cold start (MB)", lambda r: f"{r['rss_mb']:.0f}"),
    ("  its peak (MB)", lambda r: f"{r['peak_mb']:.0f}"),
    ("  per MB of text, beyond an empty bot",
     lambda r: f"{(r['rss_mb'] - r['base_mb']) / r['folder_mb']:.1f}"),
    ("  per passage, beyond an empty bot (KB)",
     lambda r: f"{(r['rss_mb'] - r['base_mb']) * 1000 / r['passages']:.2f}"),
    ("cold start from cache (s)",
     lambda r: f"{r['cold_start_s']:.2f}" + ("" if r["cache_hit"] else " (MISS)")),
    ("  + imports (s)", lambda r: f"{r['imports_s']:.2f}"),
    ("answer p50 (ms), median of 3 sets", lambda r: f"{r['answer'][0]:.3f}"),
    ("  each set's p50", lambda r: "/".join(f"{x:.2f}" for x in r["answer_sets"])),
    ("answer p99 (ms)", lambda r: f"{r['answer'][1]:.3f}"),
    ("  each question's best of 3: p50 / p99",
     lambda r: "{:.3f} / {:.3f}".format(*r["answer_best3"])),
    ("  load average meanwhile", lambda r: f"{r['load_average']:.2f}"),
    (f"retrieve top {K} p50 / p99 (ms)", lambda r: _ms(r["retrieve"])),
    ("  bm25s-numba p50 / p99 (ms)", _peer("bm25s_numba", lambda p: _ms(p["retrieve"]))),
    ("  tantivy p50 / p99 (ms)", _peer("tantivy", lambda p: _ms(p["retrieve"]))),
    ("  bm25s-numpy p50 / p99 (ms)", _peer("bm25s_numpy", lambda p: _ms(p["retrieve"]))),
    ("  rank-bm25 get_scores p50 (ms)",
     _peer("rank_bm25", lambda p: f"{p['retrieve'][0]:.1f} (n={p['n']})")),
    ("  ...given the question as typed p50 (ms)",
     _peer("rank_bm25", lambda p: f"{p['typed'][0]:.1f}")),
    ("  max |score - rank-bm25|", _peer("rank_bm25", lambda p: f"{p['max_score_diff']:.1e}")),
    ("our retrieve p50 / bm25s-numba's", lambda r: _ratio(r, "bm25s_numba")),
    ("our retrieve p50 / tantivy's", lambda r: _ratio(r, "tantivy")),
    ("rank-bm25 p50 / our retrieve p50",
     lambda r: f"{r['rank_bm25']['retrieve'][0] / r['retrieve'][0]:,.0f}x"),
    ("rank-bm25 p50 / our answer p50",
     lambda r: f"{r['rank_bm25']['retrieve'][0] / r['answer'][0]:,.0f}x"),
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
    ours, rank_bm25 = row["retrieve"][0], row["rank_bm25"]
    checks = [
        ("answer p50 <= 0.6 ms", row["answer"][0] <= 0.6),
        ("answer p99 <= 2 ms", row["answer"][1] <= 2.0),
        ("scores equal rank-bm25's to 1e-9", rank_bm25["max_score_diff"] <= 1e-9),
        (">= 100x faster than rank-bm25's get_scores (retrieval, same tokens)",
         rank_bm25["retrieve"][0] / ours >= 100),
        (">= 100x faster than rank-bm25's get_scores (whole answer, same tokens)",
         rank_bm25["retrieve"][0] / row["answer"][0] >= 100),
        *((f"retrieval within 2x of {peer.replace('_', '-')}",
           ours <= 2 * row[peer]["retrieve"][0])
          for peer in ("bm25s_numba", "tantivy") if peer in row),
        ("loop stall during reload <= 20 ms",
         max(row["reload"]["stall"], row["reload_cached"]["stall"]) <= 20),
        ("cold start from cache <= 1 s", row["cache_hit"] and row["cold_start_s"] <= 1.0),
        ("build <= 15 s", row["build_s"] <= 15.0),
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
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="sys.setswitchinterval in the serving process")
    parser.add_argument("--no-quiet-builds", action="store_true",
                        help="leave out bot.__main__.quiet_builds in the serving process")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    if args.million:
        sizes.append(1_000_000)
    switches = [*(["--switch-interval", str(args.switch_interval)]
                  if args.switch_interval is not None else []),
                *(["--no-quiet-builds"] if args.no_quiet_builds else [])]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bot-scale-"))
    rows = []
    for n in sizes:
        print(f"measuring {n:,} passages...", file=sys.stderr, flush=True)
        rows.append(measure(n, workdir, args.questions, switches))
    print_table(rows)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    target = next((r for r in rows if r["passages_asked"] == TARGETS_AT), None)
    if target is not None:
        print(f"\ntargets at {TARGETS_AT:,} passages:")
        print("\n".join(check_targets(target)))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
