"""Reading one hostile file in a process of its own, so that its time and peak memory are its
own: shared by `html_extractors.py --hostile` and `pdf_extractors.py --hostile`."""

from __future__ import annotations

import importlib.util
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def report_read(data: bytes, name: str) -> None:
    """Read `data` with the reader for `name` and print size, seconds, peak MB and outcome."""
    from bot.readers import ReadError, read

    started = time.perf_counter()
    try:
        outcome = f"{len(read(data, name).paragraphs)} paragraphs"
    except ReadError as exc:
        outcome = f"refused: {exc}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(data) / 1e6:.1f}\t{time.perf_counter() - started:.2f}\t{peak:.0f}\t"
          f"{outcome[:90]}")


def in_fresh_process(script: str, *args: str) -> str:
    """Run `script --hostile-case ARGS` and return its report as one table row's cells."""
    done = subprocess.run([sys.executable, script, "--hostile-case", *args],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    size, seconds, peak, outcome = done.stdout.strip().split("\t")
    return f"{size:>6} MB {seconds:>6} s  peak {peak:>5} MB  {outcome}"


Extractor = Callable[[bytes], str]
Scores = tuple[float, float, float, float]  # three shares, then milliseconds per file


def the_reader(name: str) -> Extractor:
    """The bot's own reader for files named like `name`, as an extractor of text."""
    def extract(data: bytes) -> str:
        from bot.readers import read

        return read(data, name).text
    return extract


def best_of(extract: Extractor, data: bytes, runs: int = 5) -> tuple[str, float]:
    """The text `extract` gives for `data`, and its best time in seconds over `runs` runs."""
    best = float("inf")
    text = ""
    for _ in range(runs):
        started = time.perf_counter()
        text = extract(data)
        best = min(best, time.perf_counter() - started)
    return text, best


def print_table(columns: tuple[str, str, str, str],
                candidates: dict[str, tuple[str, Extractor]],
                score: Callable[[Extractor], Scores]) -> None:
    """The comparison as a Markdown table; a candidate whose module is missing says so."""
    print(f"| extractor | {' | '.join(columns)} |")
    print("|---|---|---|---|---|")
    for name, (module, extract) in candidates.items():
        if importlib.util.find_spec(module) is None:
            print(f"| {name} | not installed | | | |")
            continue
        first, second, third, ms = score(extract)
        print(f"| {name} | {first:.0%} | {second:.0%} | {third:.0%} | {ms:.1f} |")


def main(table: Callable[[], None], hostile: Callable[[], None],
         hostile_case: Callable[[str], None]) -> None:
    """A comparison script's command line: the table, `--hostile`, or one `--hostile-case`."""
    if "--hostile-case" in sys.argv:
        hostile_case(sys.argv[-1])
    elif "--hostile" in sys.argv:
        hostile()
    else:
        table()
