"""The serving half of the scale benchmark, in a process of its own that holds nothing but the
service, as the bot would: cold start from the disk cache, answer latency, and the event loop's
longest stall during a reload that rebuilds and one the cache serves.

    python -m benchmarks.serve_probe FOLDER CACHE_DIR QUESTIONS_JSON [--switch-interval S]
                                     [--no-quiet-builds]           (prints one JSON object)

The probe runs the service as `python -m bot` does, with the process owner's garbage collector
policy (`bot.__main__.quiet_builds`); `--no-quiet-builds` leaves it out and `--switch-interval`
sets `sys.setswitchinterval`, to measure what each changes in the reload stall.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import psutil  # type: ignore[import-untyped]  # noqa: E402

from bot.__main__ import quiet_builds  # noqa: E402
from bot.index_cache import IndexCache, entry_key, folder_files  # noqa: E402
from bot.knowledge import Limits  # noqa: E402
from bot.render import render_html  # noqa: E402
from bot.serving import KnowledgeService  # noqa: E402
from bot.settings import load_settings  # noqa: E402


def peak_mb() -> float:
    """This process's peak resident memory (MB). Linux's VmHWM is this program's own; the
    rusage figure also counts the process it was started from, as it was when it forked."""
    try:
        status = Path("/proc/self/status").read_text(encoding="utf-8")
        return next(int(line.split()[1]) for line in status.splitlines()
                    if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(seconds: Iterable[float]) -> tuple[float, float]:
    ms = np.array(list(seconds)) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def timed(fn: Callable[[Any], object], items: Iterable[Any]) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - started)
    return out


async def reload_stall(service: KnowledgeService, questions: list[str]) -> dict[str, float]:
    """The event loop's longest stall during `reload_async`, while a task answers a question
    every 20 ms; and the same with no reload running, for comparison.

    A 1 ms ticker measures the stalls; a gap in which an answer ran counts toward that answer's
    latency (reported apart: an answer on the loop is the loop's own work, not a stall)."""
    gaps: list[float] = []
    answers: list[float] = []
    answered = 0

    async def ticker() -> None:
        last, seen = time.perf_counter(), answered
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            if seen == answered:
                gaps.append(now - last - 0.001)
            last, seen = now, answered

    async def asker() -> None:
        nonlocal answered
        for i in range(10**9):
            started = time.perf_counter()
            render_html(service.ask(questions[i % len(questions)]))
            answers.append(time.perf_counter() - started)
            answered += 1
            await asyncio.sleep(0.02)

    tasks = [asyncio.create_task(ticker()), asyncio.create_task(asker())]
    await asyncio.sleep(2.0)
    idle_stall, idle_answer = max(gaps), max(answers)
    gaps.clear()
    answers.clear()
    started = time.perf_counter()
    await service.reload_async()
    seconds = time.perf_counter() - started
    for task in tasks:
        task.cancel()
    return {"stall": max(gaps) * 1000, "idle_stall": idle_stall * 1000, "seconds": seconds,
            "answer_max": max(answers) * 1000, "idle_answer_max": idle_answer * 1000,
            "answer_p50": float(np.percentile(answers, 50)) * 1000}


FRESH_SETS = 3  # the questions are split into this many sets, each asked once when new


def probe(folder: Path, cache_dir: Path, questions: list[str], started: float) -> dict[str, Any]:
    """Cold start from the cache, answer latency, and the loop's stalls during two reloads:
    one that must rebuild (a file changed) and one the cache serves (the file changed back)."""
    imported = time.perf_counter()
    base_mb = psutil.Process().memory_info().rss / 1e6
    settings = load_settings(knowledge_dir=folder, cache_dir=cache_dir,
                             max_file_mb=1 << 20, max_knowledge_mb=1 << 20)
    # A cache entry is keyed by the code too: an edit of it meanwhile means a rebuild here.
    limits = Limits.from_megabytes(settings.max_file_mb, settings.max_knowledge_mb)
    key = entry_key(folder_files(folder, limits), settings.k1, settings.b)
    cached = IndexCache(cache_dir).path_for(key).exists()
    starting = time.perf_counter()
    service = KnowledgeService.from_settings(settings)
    row: dict[str, Any] = {"cold_start_s": time.perf_counter() - starting,
                           "cache_hit": cached,
                           "imports_s": imported - started,
                           "base_mb": base_mb,
                           "rss_mb": psutil.Process().memory_info().rss / 1e6,
                           "peak_mb": peak_mb()}
    size = len(questions) // FRESH_SETS
    sets = [questions[i * size : (i + 1) * size] for i in range(FRESH_SETS)]
    for q in sets[0][:50]:
        render_html(service.ask(q))
    # Each set's questions are new to the process when first asked, as a user's are; the
    # median of the sets' figures, taken a few seconds apart, is less at the mercy of a
    # shared machine's passing load than one pass.
    firsts = [percentiles(timed(lambda q: render_html(service.ask(q)), asked)) for asked in sets]
    row["answer"] = (float(np.median([p50 for p50, _ in firsts])),
                     float(np.median([p99 for _, p99 in firsts])))
    row["answer_sets"] = [p50 for p50, _ in firsts]
    # Each question's best of three passes: what is left when other processes on a shared
    # machine are taken out of the measurement.
    again = [timed(lambda q: render_html(service.ask(q)), sets[0]) for _ in range(2)]
    row["answer_best3"] = percentiles(min(times) for times in zip(*again, strict=True))
    row["load_average"] = os.getloadavg()[0]
    victim = next(folder.rglob("*.md"))
    original = victim.read_text(encoding="utf-8")
    victim.write_text(original + "\nA paragraph added to force a rebuild of the index.\n",
                      encoding="utf-8")
    row["reload"] = asyncio.run(reload_stall(service, questions))
    victim.write_text(original, encoding="utf-8")
    row["reload_cached"] = asyncio.run(reload_stall(service, questions))
    return row


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    for name in ("folder", "cache_dir", "questions"):
        parser.add_argument(name, type=Path)
    parser.add_argument("--switch-interval", type=float, default=None)
    parser.add_argument("--no-quiet-builds", action="store_true")
    args = parser.parse_args(argv)
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    if not args.no_quiet_builds:
        KnowledgeService.around_build = quiet_builds
    questions = json.loads(args.questions.read_text(encoding="utf-8"))
    row = probe(args.folder, args.cache_dir, questions, STARTED)
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
