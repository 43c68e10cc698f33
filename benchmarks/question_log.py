"""The question log is off the answer path: answer latency with no log, with the log on this
disk, and with a log whose every write takes `--slow` seconds (a stuck or very slow disk).

    python benchmarks/question_log.py [--chats 20] [--questions 5] [--slow 1.0] [--runs 1]

The real Application polls the fake Bot API of the tests over HTTP, in this process; `--chats`
private chats each ask `--questions` questions one after another (the next once the answer
arrives), all chats at once. Latency: the question queued at the fake to its answer accepted by
it. Rate limiting is off, so the figures are the bot's own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the bot, and the fake Bot API of the tests

from fake_bot_api import FakeBotApi  # noqa: E402

from bot.question_log import QuestionLog  # noqa: E402
from bot.question_store import FILE_NAME, QuestionStore  # noqa: E402
from bot.serving import KnowledgeService  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.telegram_bot.app import build_application  # noqa: E402
from bot.telegram_bot.running import serving  # noqa: E402

TOKEN = "4242:BENCH-question-log"
QUESTIONS = ["What was the spy balloon incident?", "Who will Blinken meet?",
             "What is the recipe for banana bread?", "Where was it intercepted?",
             "Why was the visit postponed?"]


class SlowStore(QuestionStore):
    """A store on a disk that takes `delay` seconds for every write."""

    def __init__(self, folder: Path, retention_days: float, delay: float) -> None:
        super().__init__(folder, retention_days)
        self.delay = delay

    def write(self, items: Any) -> Any:
        time.sleep(self.delay)
        return super().write(items)


async def measure(mode: str, chats: int, questions: int, slow: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as state:
        async with FakeBotApi(token=TOKEN, bot_username="ThisBot") as api:
            settings = load_settings(
                _env_file=None, token=TOKEN, api_base_url=api.base_url, cache_dir="",
                rate_limit=False, state_dir=state,
                retention_days=0 if mode == "no log" else 30)
            log = (QuestionLog(SlowStore(Path(state), 30, slow)) if mode == "slow log"
                   else None)
            app = build_application(settings, KnowledgeService.from_settings(settings),
                                    question_log=log)
            latencies: list[float] = []

            async def user(chat_id: int) -> None:
                api.private_chat(chat_id)
                for n in range(1, questions + 1):
                    asked = time.monotonic()
                    api.send_user_message(chat_id, QUESTIONS[(chat_id + n) % len(QUESTIONS)])
                    await api.wait_for_messages(n, timeout=120, chat_id=chat_id)
                    latencies.append(time.monotonic() - asked)

            started = time.monotonic()
            async with serving(app, settings):
                await asyncio.gather(*(user(1000 + i) for i in range(chats)))
                answered_in = time.monotonic() - started
            stop_took = time.monotonic() - started - answered_in  # includes the log's flush
            kept = _kept(Path(state))
    latencies.sort()
    return {"p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "max": latencies[-1], "answered_in": answered_in, "stop": stop_took, "kept": kept}


def _kept(state: Path) -> float:
    import sqlite3

    path = state / FILE_NAME
    if not path.exists():
        return 0
    db = sqlite3.connect(path)
    try:
        return float(db.execute("SELECT COUNT(*) FROM questions").fetchone()[0])
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--slow", type=float, default=1.0, help="seconds each slow write takes")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    total = args.chats * args.questions
    print(f"{args.chats} chats x {args.questions} questions; a slow write takes {args.slow} s")
    print(f"{'run':>3}  {'log':<12}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
          f"{'all answered s':>16}{'stop s':>8}{'kept':>6}")
    for run in range(1, args.runs + 1):
        for mode in ("no log", "log", "slow log"):
            r = asyncio.run(measure(mode, args.chats, args.questions, args.slow))
            print(f"{run:>3}  {mode:<12}{r['p50'] * 1000:>8.1f}{r['p99'] * 1000:>8.1f}"
                  f"{r['max'] * 1000:>8.1f}{r['answered_in']:>16.2f}{r['stop']:>8.2f}"
                  f"{int(r['kept']):>6}/{total}")


if __name__ == "__main__":
    main()
