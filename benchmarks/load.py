"""Load: simulated users in private chats and groups ask questions through the fake Bot API as
fast as they are answered (each user asks again as soon as the answer to their last question
arrives), with the bot's rate limiter off and on, beside a bare python-telegram-bot echo bot (one
MessageHandler replying with the question's text) under the same load in the same run.

    python benchmarks/load.py [--quick] [--repeat 3] [--private 40] [--groups 20]
                              [--group-users 8] [--questions 5]

The fake server and each bot run in processes of their own, so the CPU time and peak memory are
the bot's alone (measured in its process from the first question to the last answer, after a
short warm-up). The CPU comparisons run `--repeat` times, interleaved, and show the median.
Prints questions per second, answer latency p50/p99 (question queued at the fake to answer
accepted by it), CPU time per answer, peak RSS, and Telegram's limits as the fake saw them: most
messages in any one second overall, in any one second in one chat, in any 60 s in one group.
Besides the echo bot and ours, a full run shows PTB's echo bot with concurrent_updates(256), and
two diagnostics: the echo bot over our aiohttp transport (what answering costs beyond sending) and
our bot without its chat action; and PTB's own AIORateLimiter under the limited load.
With a limiter on, every user asks once (a group may take 19 answers a minute): those runs check
the limits and that everything is still answered, not the speed. `--quick` runs each once, on a
smaller load, and does not judge the CPU ratio.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the bot, and the fake Bot API of the tests

from fake_bot_api import FakeBotApi  # noqa: E402

TOKEN = "4242:LOAD-test-token"
USERNAME = "ThisBot"
QUESTIONS_FILE = ROOT / "tests" / "eval" / "questions.jsonl"
CPU_TARGET = 1.5  # the bot's CPU per answer, as a multiple of the echo bot's
LIMITS = {"overall_1s": 30, "chat_1s": 1, "group_60s": 20}
TIMEOUT = 600.0
WARM_UP_CHATS = 10
WARM_UP_QUESTIONS = 2


@dataclass(frozen=True)
class Plan:
    private: int  # private chats, one user each
    groups: int
    group_users: int  # users asking in each group
    questions: int  # questions per user, each asked once the last one is answered

    @property
    def users(self) -> int:
        return self.private + self.groups * self.group_users

    def describe(self) -> str:
        return (f"{self.users} users in {self.private + self.groups} chats ({self.private} "
                f"private, {self.groups} groups of {self.group_users}), {self.questions} "
                f"question(s) each: {self.users * self.questions} questions")


@dataclass
class _User:
    user_id: int
    chat_id: int
    left: int
    asked: int = 0
    measured: bool = True  # False for the warm-up users


@dataclass
class Outcome:
    """What the fake saw of one run."""

    asked: int
    answered: int
    duplicates: int
    out_of_order: int
    seconds: float
    latencies: list[float]
    typing: int
    overall_1s: int
    chat_1s: int
    group_60s: int
    unanswered: int = 0
    errors: list[str] = field(default_factory=list)


class LoadApi(FakeBotApi):
    """The fake Bot API with users who ask their next question when an answer arrives."""

    def __init__(self, plan: Plan, questions: Sequence[str]) -> None:
        super().__init__(token=TOKEN, bot_username=USERNAME)
        self.plan, self.questions = plan, list(questions)
        self.users: list[_User] = []
        self.waiting: dict[tuple[int, int], tuple[_User, float]] = {}
        self.latencies: list[float] = []
        self.answered: Counter[tuple[int, int]] = Counter()
        self.out_of_order = 0
        self._last_answered: dict[int, int] = {}
        self.finished = asyncio.Event()
        self.warmed = asyncio.Event()
        self.started = 0.0
        self._make_chats()
        self.warm_up_users = [_User(9_000 + n, 9_000 + n, WARM_UP_QUESTIONS, measured=False)
                              for n in range(WARM_UP_CHATS)]
        for user in self.warm_up_users:
            self.private_chat(user.chat_id, "Warm-up")

    def _make_chats(self) -> None:
        for n in range(self.plan.private):
            self.private_chat(10_000 + n, f"User {n}")
            self.users.append(_User(10_000 + n, 10_000 + n, self.plan.questions))
        for g in range(self.plan.groups):
            chat_id = -1_000_000 - g
            self.group_chat(chat_id, f"Group {g}")
            for u in range(self.plan.group_users):
                user_id = 20_000 + g * 100 + u
                self.user(user_id, f"Member {u}")
                self.users.append(_User(user_id, chat_id, self.plan.questions))

    async def warm_up(self) -> None:
        """A few questions before the measured run, so that neither bot is measured paying for
        its first calls (lazy imports, first allocations, new connections)."""
        for user in self.warm_up_users:
            self._ask(user)
        await asyncio.wait_for(self.warmed.wait(), TIMEOUT)

    def start_load(self) -> None:
        self.started = time.monotonic()
        for user in self.users:
            self._ask(user)

    def _ask(self, user: _User) -> None:
        question = self.questions[(user.user_id + user.asked) % len(self.questions)]
        if user.chat_id < 0:  # in groups the bot answers only when addressed
            question = f"/ask {question}" if user.asked % 2 else f"@{USERNAME} {question}"
        user.asked += 1
        message_id = self.send_user_message(user.chat_id, question, from_user=user.user_id)
        self.waiting[(user.chat_id, message_id)] = (user, time.monotonic())

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message = super()._send_message(params)
        chat_id = message["chat"]["id"]
        question_id = (message.get("reply_to_message") or {}).get("message_id", 0)
        key = (chat_id, question_id)
        found = self.waiting.get(key)
        if found is not None and not found[0].measured:
            self.waiting.pop(key)
            found[0].left -= 1
            if found[0].left:
                self._ask(found[0])
            elif not any(u.left for u in self.warm_up_users):
                self.warmed.set()
            return message
        self.answered[key] += 1
        if question_id < self._last_answered.get(chat_id, 0):
            self.out_of_order += 1
        self._last_answered[chat_id] = max(question_id, self._last_answered.get(chat_id, 0))
        found = self.waiting.pop(key, None)
        if found is not None:
            user, asked_at = found
            self.latencies.append(time.monotonic() - asked_at)
            user.left -= 1
            if user.left:
                self._ask(user)
            elif not self.waiting and all(not u.left for u in self.users):
                self.finished.set()
        return message

    def outcome(self) -> Outcome:
        chats = {u.chat_id for u in self.users}
        sent = [m for m in self.sent_messages if m.chat_id in chats]
        seconds = max((m.time for m in sent), default=self.started) - self.started

        def most(seconds: float, chat: int | None = None) -> int:
            return _most_in_window([m.time for m in sent if chat in (None, m.chat_id)], seconds)

        return Outcome(
            asked=sum(u.asked for u in self.users),
            answered=len(self.latencies),
            duplicates=sum(n - 1 for n in self.answered.values() if n > 1),
            out_of_order=self.out_of_order,
            seconds=seconds,
            latencies=sorted(self.latencies),
            typing=sum(1 for a in self.chat_actions if a.chat_id in chats),
            overall_1s=most(1.0),
            chat_1s=max(most(1.0, c) for c in chats),
            group_60s=max((most(60.0, c) for c in chats if c < 0), default=0),
            unanswered=len(self.waiting),
        )


def _most_in_window(times: list[float], seconds: float) -> int:
    """Most of `times` (sorted) within any `seconds`-long stretch."""
    start, most = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def _questions() -> list[str]:
    rows = [json.loads(line) for line in QUESTIONS_FILE.read_text().splitlines() if line.strip()]
    return [row["question"] for row in rows if not row.get("previous")]


def fake_process(conn: Connection, plan: Plan) -> None:
    asyncio.run(_fake(conn, plan))


async def _fake(conn: Connection, plan: Plan) -> None:
    async with LoadApi(plan, _questions()) as api:
        conn.send(api.base_url)
        await asyncio.to_thread(conn.recv)  # warm up
        await api.warm_up()
        conn.send("warm")
        await asyncio.to_thread(conn.recv)  # go
        api.start_load()
        with contextlib.suppress(TimeoutError):  # the outcome says what is missing
            await asyncio.wait_for(api.finished.wait(), TIMEOUT)
        conn.send(api.outcome())
        await asyncio.to_thread(conn.recv)  # stop, once the bot has stopped polling


def bot_process(conn: Connection, kind: str, base_url: str, limiter: str) -> None:
    os.environ["PTB_TIMEDELTA"] = "true"  # as `run` does
    asyncio.run(_bot(conn, kind, base_url, limiter))


def _build(kind: str, base_url: str, limiter: str, state_dir: Path) -> Any:
    """The bot of `kind`: "echo" (a bare PTB echo bot), "echo-concurrent" (the same with PTB's
    concurrent_updates(256)), "echo-aiohttp" (a diagnostic: the echo bot over the bot's own
    aiohttp transport, to show what answering costs beyond the transport), "bot", or
    "bot-no-typing" (a diagnostic: the bot minus its chat action)."""
    from telegram import Update
    from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, MessageHandler
    from telegram.ext import filters as f

    if kind.startswith("echo"):
        async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
            if update.message is not None and update.message.text:
                await update.message.reply_text(update.message.text, do_quote=True)

        builder = ApplicationBuilder().token(TOKEN).base_url(base_url)
        if kind == "echo-aiohttp":
            from bot.telegram_bot.transport import AiohttpRequest

            builder = builder.request(AiohttpRequest(connection_pool_size=256)) \
                .get_updates_request(AiohttpRequest())
        if kind == "echo-concurrent":
            builder = builder.concurrent_updates(256)
        if limiter == "ptb":
            builder = builder.rate_limiter(AIORateLimiter())
        app = builder.build()
        app.add_handler(MessageHandler(f.TEXT, echo))
        return app
    from bot.serving import KnowledgeService
    from bot.settings import load_settings
    from bot.telegram_bot import handlers
    from bot.telegram_bot.app import build_application

    if kind == "bot-no-typing":
        async def no_typing(*_: Any) -> None:
            return None

        handlers.send_typing = no_typing  # type: ignore[assignment]
    settings = load_settings(
        _env_file=None, token=TOKEN, api_base_url=base_url, knowledge_dir=ROOT / "knowledge",
        cache_dir=None, rate_limit=limiter == "ours", state_dir=state_dir, webhook_url=None,
        admin_ids=frozenset(), log_level="WARNING")
    return build_application(settings, KnowledgeService.from_settings(settings))


async def _bot(conn: Connection, kind: str, base_url: str, limiter: str) -> None:
    with tempfile.TemporaryDirectory(prefix="load-state-") as state:
        app = _build(kind, base_url, limiter, Path(state))
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=10)
        conn.send("ready")
        await asyncio.to_thread(conn.recv)  # go
        cpu = time.process_time()  # every thread of this process
        await asyncio.to_thread(conn.recv)  # stop
        cpu = time.process_time() - cpu
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    conn.send((cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


@dataclass(frozen=True)
class Row:
    name: str
    outcome: Outcome
    cpu_seconds: float
    peak_mb: float

    @property
    def cpu_ms(self) -> float:
        """CPU time per answer, in milliseconds."""
        return 1000 * self.cpu_seconds / max(self.outcome.answered, 1)


def run(name: str, kind: str, limiter: str, plan: Plan) -> Row:
    """One bot under one load, each in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    fake_conn, fake_end = ctx.Pipe()
    fake = ctx.Process(target=fake_process, args=(fake_end, plan), daemon=True)
    fake.start()
    base_url = fake_conn.recv()
    bot_conn, bot_end = ctx.Pipe()
    bot = ctx.Process(target=bot_process, args=(bot_end, kind, base_url, limiter), daemon=True)
    bot.start()
    if not bot_conn.poll(120) or bot_conn.recv() != "ready":
        raise RuntimeError(f"{name}: the bot did not start")
    fake_conn.send("warm up")
    if fake_conn.recv() != "warm":
        raise RuntimeError(f"{name}: the warm-up failed")
    bot_conn.send("go")
    fake_conn.send("go")
    outcome: Outcome = fake_conn.recv()
    bot_conn.send("stop")
    cpu, peak = bot_conn.recv()
    fake_conn.send("stop")
    bot.join(30)
    fake.join(30)
    return Row(name, outcome, cpu, peak)


def _ms(latencies: list[float], share: float) -> float:
    if not latencies:
        return float("nan")
    return 1000 * latencies[min(len(latencies) - 1, int(share * len(latencies)))]


def median_row(rows: Sequence[Row]) -> Row:
    """The run with the median CPU time per answer."""
    return sorted(rows, key=lambda r: r.cpu_ms)[(len(rows) - 1) // 2]


def table(runs: dict[str, list[Row]]) -> str:
    head = ("| run | answered / asked | dup | out of order | q/s | p50 ms | p99 ms "
            "| CPU ms/answer | peak MB | typing | max 1 s all | max 1 s chat | max 60 s group |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, rows in runs.items():
        r, o = median_row(rows), median_row(rows).outcome
        cpu = f"{r.cpu_ms:.2f}"
        if len(rows) > 1:
            cpu += f" ({min(x.cpu_ms for x in rows):.2f}-{max(x.cpu_ms for x in rows):.2f})"
        lines.append(
            f"| {name} | {o.answered} / {o.asked} | {o.duplicates} | {o.out_of_order} "
            f"| {o.answered / max(o.seconds, 1e-9):.0f} | {_ms(o.latencies, 0.5):.0f} "
            f"| {_ms(o.latencies, 0.99):.0f} | {cpu} | {r.peak_mb:.0f} | {o.typing} "
            f"| {o.overall_1s} | {o.chat_1s} | {o.group_60s} |")
    return "\n".join(lines)


def verdicts(runs: dict[str, list[Row]], judge_cpu: bool) -> list[tuple[str, bool | None]]:
    """Each target with whether it was met (None: shown, not judged)."""
    ratio = median_row(runs["bot"]).cpu_ms / median_row(runs[ECHO]).cpu_ms
    limited = median_row(runs[LIMITED]).outcome
    ours = [r.outcome for name, rows in runs.items() if name.startswith("bot") for r in rows]
    cpu = f"bot CPU per answer = {ratio:.2f} x the echo bot's (target <= {CPU_TARGET})"
    return [
        (cpu, ratio <= CPU_TARGET if judge_cpu else None),
        (f"limiter on: <= {LIMITS['overall_1s']} messages in any second "
         f"(most seen: {limited.overall_1s})", limited.overall_1s <= LIMITS["overall_1s"]),
        (f"limiter on: <= {LIMITS['chat_1s']} message a second in a chat "
         f"(most seen: {limited.chat_1s})", limited.chat_1s <= LIMITS["chat_1s"]),
        (f"limiter on: <= {LIMITS['group_60s']} messages a minute in a group "
         f"(most seen: {limited.group_60s})", limited.group_60s <= LIMITS["group_60s"]),
        ("the bot answered every question once, in order in each chat",
         all(o.answered == o.asked and not o.duplicates and not o.out_of_order for o in ours)),
    ]


ECHO = "echo (bare PTB)"
LIMITED = "bot, limiter on"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a CI-sized run of a few seconds; checks answers and limits only")
    parser.add_argument("--private", type=int, default=40)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--group-users", type=int, default=8)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each CPU comparison, interleaved; the median is shown")
    args = parser.parse_args(argv)
    if args.quick:
        load, repeat = Plan(private=24, groups=4, group_users=3, questions=4), 1
    else:
        load = Plan(args.private, args.groups, args.group_users, args.questions)
        repeat = args.repeat
    limited = Plan(load.private, load.groups, load.group_users, 1)
    print(f"load: {load.describe()}\nlimiter on: {limited.describe()}\n")
    compared = [(ECHO, "echo"), ("bot", "bot")]
    if not args.quick:
        compared += [("echo, concurrent_updates(256)", "echo-concurrent"),
                     ("echo over our aiohttp transport (diagnostic)", "echo-aiohttp"),
                     ("bot without typing (diagnostic)", "bot-no-typing")]
    runs: dict[str, list[Row]] = {name: [] for name, _ in compared}
    for _ in range(repeat):  # interleaved, so a busy spell on the machine hits them alike
        for name, kind in compared:
            runs[name].append(run(name, kind, "off", load))
            print(f"  {name}: {runs[name][-1].cpu_ms:.2f} ms CPU per answer", flush=True)
    limited_runs = [(LIMITED, "bot", "ours")]
    if not args.quick:
        limited_runs.insert(0, ("echo, PTB AIORateLimiter()", "echo", "ptb"))
    for name, kind, limiter in limited_runs:
        runs[name] = [run(name, kind, limiter, limited)]
        print(f"  {name}: {runs[name][0].outcome.seconds:.1f} s", flush=True)
    print()
    print(table(runs))
    print()
    results = verdicts(runs, judge_cpu=not args.quick)
    for text, ok in results:
        label = {True: "met   ", False: "MISSED", None: "(not judged in a run this short)"}[ok]
        print(f"{label} {text}")
    return 0 if all(ok is not False for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
