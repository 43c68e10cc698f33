"""Hostile questions against ordinary ones, in the same run (issue #12, items 4 and 5):

- time: Telegram-length questions (4,096 characters) built from repeated question phrases
  ("what do ... want", "what did ..."), runs of spaces or punctuation, against an ordinary
  question (target: at most 30 ms more);
- memory: `python -m bot chat --json` fed 20,000 lines of distinct 4,000-letter words, against
  the same number of ordinary questions (target: within 150 MB of it).

    python benchmarks/hostile.py [--lines 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation import SEED_KNOWLEDGE, open_service  # noqa: E402

PHRASES = ("what do they want ", "what did ", "how did he react to ", "what is this about ",
           "who is the ", "  ", "?!.,;", "the the ", "<b>x</b> ", "U.S. ")
LIMIT = 4096


def best_ms(ask: object, question: str, times: int = 3) -> float:
    best = float("inf")
    for i in range(times):
        started = time.perf_counter()
        ask(f"{question[: LIMIT - 4]} {i}")  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best * 1000


def latency() -> None:
    service = open_service(SEED_KNOWLEDGE)
    ordinary = best_ms(service.ask, "What did Blinken say about the trip?")
    print(f"{'ordinary question':<34}{ordinary:>9.2f} ms")
    worst = 0.0
    for phrase in PHRASES:
        ms = best_ms(service.ask, phrase * (LIMIT // len(phrase) + 1))
        worst = max(worst, ms - ordinary)
        print(f"{phrase.strip() or repr(phrase):<34}{ms:>9.2f} ms")
    print(f"worst excess over the ordinary question: {worst:.1f} ms (target: at most 30)")


def peak_rss(lines: list[str]) -> float:
    """Peak RSS (MB) of `python -m bot chat --json` answering `lines`."""
    with tempfile.TemporaryDirectory() as scratch:
        feed = Path(scratch) / "in.txt"
        feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
        env.update(BOT_TOKEN="", BOT_CACHE_DIR="", BOT_KNOWLEDGE_DIR=str(SEED_KNOWLEDGE))
        with feed.open("rb") as source:
            process = psutil.Popen([sys.executable, "-m", "bot", "chat", "--json"], cwd=ROOT,
                                   stdin=source, stdout=subprocess.DEVNULL, env=env)
            peak = 0
            while process.poll() is None:
                try:
                    peak = max(peak, process.memory_info().rss)
                except psutil.NoSuchProcess:
                    break
                time.sleep(0.05)
        return peak / 1e6


def memory(count: int) -> None:
    rng = random.Random(7)
    ordinary = [f"What did Blinken say about the trip number {i}?" for i in range(count)]
    absurd = ["".join(rng.choices(string.ascii_lowercase, k=4000)) for _ in range(count)]
    base, hostile = peak_rss(ordinary), peak_rss(absurd)
    print(f"chat --json, {count:,} ordinary questions: peak {base:.0f} MB")
    print(f"chat --json, {count:,} distinct 4,000-letter words: peak {hostile:.0f} MB "
          f"({hostile - base:+.0f} MB; target: at most +150)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=20_000)
    args = parser.parse_args(argv)
    latency()
    memory(args.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
