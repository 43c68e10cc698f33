"""Load: simulated users in private chats and groups ask questions through the fake Bot API, each
asking again as soon as the answer to their last question arrives.

    python benchmarks/load.py [--quick] [--private 40] [--groups 20] [--group-users 8]
                              [--questions 5] [--flood 1000] [--flood-users 20]
                              [--baseline-root PATH]

Four measurements, each bot and the fake server in processes of their own (so CPU time and peak
memory are the bot's alone, measured from the first question to the last answer after a short
warm-up):
1. throughput, rate limiting off: answered questions a second (target >= 100), each answered once
   and in order, latency p50/p99 (question queued at the fake to answer accepted by it), CPU per
   answer and peak memory, beside a bare python-telegram-bot echo bot under the same load;
2. flood limits, rate limiting on, every user asking once: the most messages in any second
   overall, in any second in one chat, in any minute in one group, as the fake saw them arrive
   (Telegram allows 30, 1 and 20), for our limiter and for PTB's AIORateLimiter on the echo bot;
3. one chat flooding: it sends `--flood` questions at once while `--flood-users` users in other
   chats ask theirs; their latency (target: median under 1 s), and the flood's answers so far
   once each, in order, one chat spacing apart. With `--baseline-root` (another checkout of this
   project, e.g. the main branch) the same flood runs against that bot too, in the same run.
`--quick` runs a small load once, for CI.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import resource
import statistics
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
THROUGHPUT_TARGET = 100.0  # answered questions a second, rate limiting off
FLOOD_LATENCY_TARGET = 1.0  # other chats' median latency, seconds, while one chat floods
LIMITS = {"overall_1s": 30, "chat_1s": 1, "group_60s": 20}
TIMEOUT = 600.0
FLOOD_TIMEOUT = 120.0  # the baseline answered other chats only after the flood: give up then
WARM_UP_CHATS = 10
WARM_UP_QUESTIONS = 2
FLOOD_CHAT = 1


@dataclass(frozen=True)
class Plan:
    private: int  # private chats, one user each
    groups: int
    group_users: int  # users asking in each group
    questions: int  # questions per user, each asked once the last one is answered
    flood: int = 0  # questions one more private chat sends at once, at the start
    think: float = 0.0  # seconds a user waits after an answer before asking again

    @property
    def users(self) -> int:
        return self.private + self.groups * self.group_users

    def describe(self) -> str:
        flood = f"; one chat sends {self.flood} at once" if self.flood else ""
        think = f" {self.think:.0f} s apart" if self.think else ""
        return (f"{self.users} users in {self.private + self.groups} chats ({self.private} "
                f"private, {self.groups} groups of {self.group_users}), {self.questions} "
                f"question(s) each{think}: {self.users * self.questions} questions{flood}")


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
    overall_1s: int
    chat_1s: int
    group_60s: int
    unanswered: int = 0
    flood_asked: int = 0
    flood_answered: int = 0
    flood_in_order: bool = True
    flood_duplicates: int = 0
    flood_chat_1s: int = 0
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
        self.flood_asked: list[int] = []
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
        if self.plan.flood:
            self.private_chat(FLOOD_CHAT, "Flood")
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
        """A few questions before the measured run, so that no bot is measured paying for its
        first calls (lazy imports, first allocations, new connections)."""
        for user in self.warm_up_users:
            self._ask(user)
        await asyncio.wait_for(self.warmed.wait(), TIMEOUT)

    def start_load(self) -> None:
        self.started = time.monotonic()
        self.flood_asked = [self.send_user_message(FLOOD_CHAT, self.questions[n % 7])
                            for n in range(self.plan.flood)]
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
        if question_id < self._last_answered.get(chat_id, 0) and chat_id != FLOOD_CHAT:
            self.out_of_order += 1
        self._last_answered[chat_id] = max(question_id, self._last_answered.get(chat_id, 0))
        found = self.waiting.pop(key, None)
        if found is not None:
            user, asked_at = found
            self.latencies.append(time.monotonic() - asked_at)
            user.left -= 1
            if user.left and self.plan.think:
                asyncio.get_running_loop().call_later(self.plan.think, self._ask, user)
            elif user.left:
                self._ask(user)
            elif not self.waiting and all(not u.left for u in self.users):
                self.finished.set()
        return message

    def outcome(self) -> Outcome:
        chats = {u.chat_id for u in self.users}
        sent = [m for m in self.sent_messages if m.chat_id in chats | {FLOOD_CHAT}]
        ours = [m for m in sent if m.chat_id in chats]
        seconds = max((m.time for m in ours), default=self.started) - self.started

        def most(seconds: float, chat: int | None = None) -> int:
            return _most_in_window([m.time for m in sent if chat in (None, m.chat_id)], seconds)

        flood = [m.reply_to_message_id or 0 for m in self.messages_in(FLOOD_CHAT)]
        return Outcome(
            asked=sum(u.asked for u in self.users),
            answered=len(self.latencies),
            duplicates=sum(n - 1 for k, n in self.answered.items()
                           if n > 1 and k[0] != FLOOD_CHAT),
            out_of_order=self.out_of_order,
            seconds=seconds,
            latencies=sorted(self.latencies),
            overall_1s=most(1.0),
            chat_1s=max(most(1.0, c) for c in chats),
            group_60s=max((most(60.0, c) for c in chats if c < 0), default=0),
            unanswered=len(self.waiting),
            flood_asked=len(self.flood_asked),
            flood_answered=len(flood),
            flood_in_order=flood == self.flood_asked[:len(flood)],
            flood_duplicates=len(flood) - len(set(flood)),
            flood_chat_1s=most(1.0, FLOOD_CHAT) if flood else 0,
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
            await asyncio.wait_for(api.finished.wait(), FLOOD_TIMEOUT if plan.flood else TIMEOUT)
        conn.send(api.outcome())
        await asyncio.to_thread(conn.recv)  # stop, once the bot has stopped polling


def bot_process(conn: Connection, kind: str, base_url: str, limiter: str,
                bot_root: str) -> None:
    os.environ["PTB_TIMEDELTA"] = "true"  # as `run` does
    sys.path.insert(0, bot_root)  # the bot under test: this checkout, or the baseline's
    asyncio.run(_bot(conn, kind, base_url, limiter))


def _build(kind: str, base_url: str, limiter: str, state_dir: Path) -> Any:
    """The bot of `kind`: "echo" (a bare python-telegram-bot echo bot, with PTB's
    AIORateLimiter when `limiter` is "ptb") or "bot" (ours, its own limiter when "ours")."""
    from telegram import Update
    from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, MessageHandler
    from telegram.ext import filters as f

    if kind == "echo":
        async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
            if update.message is not None and update.message.text:
                await update.message.reply_text(update.message.text, do_quote=True)

        builder = ApplicationBuilder().token(TOKEN).base_url(base_url)
        if limiter == "ptb":
            builder = builder.rate_limiter(AIORateLimiter())
        app = builder.build()
        app.add_handler(MessageHandler(f.TEXT, echo))
        return app
    from bot.serving import KnowledgeService
    from bot.settings import load_settings
    from bot.telegram_bot.app import build_application

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
        # Stopping would answer the rest of a flood first: one chat spacing each, far too long.
        app.update_processor.do_process_update = _drop  # type: ignore[method-assign]
        await app.stop()
        await app.shutdown()
    conn.send((cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


async def _drop(update: object, coroutine: Any) -> None:
    coroutine.close()


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

    @property
    def rate(self) -> float:
        return self.outcome.answered / max(self.outcome.seconds, 1e-9)


def run(name: str, kind: str, limiter: str, plan: Plan, bot_root: Path = ROOT) -> Row:
    """One bot under one load, each in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    fake_conn, fake_end = ctx.Pipe()
    fake = ctx.Process(target=fake_process, args=(fake_end, plan), daemon=True)
    fake.start()
    base_url = fake_conn.recv()
    bot_conn, bot_end = ctx.Pipe()
    bot = ctx.Process(target=bot_process,
                      args=(bot_end, kind, base_url, limiter, str(bot_root)), daemon=True)
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
    cpu, peak = bot_conn.recv() if bot_conn.poll(60) else (float("nan"), float("nan"))
    if bot.is_alive():  # a bot still answering a flood at its stop (the baseline's does)
        bot.kill()
    fake_conn.send("stop")
    bot.join(30)
    fake.join(30)
    print(f"  {name}: {outcome.answered} answered in {outcome.seconds:.1f} s", flush=True)
    return Row(name, outcome, cpu, peak)


def _ms(latencies: list[float], share: float) -> float:
    if not latencies:
        return float("nan")
    return 1000 * latencies[min(len(latencies) - 1, int(share * len(latencies)))]


def markdown(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def table(rows: Sequence[Row]) -> str:
    head = ["run", "answered / asked", "dup", "out of order", "q/s", "p50 ms", "p99 ms",
            "CPU ms/answer", "peak MB", "max 1 s all", "max 1 s chat", "max 60 s group"]
    return markdown(head, [
        [r.name, f"{r.outcome.answered} / {r.outcome.asked}", r.outcome.duplicates,
         r.outcome.out_of_order, f"{r.rate:.0f}", f"{_ms(r.outcome.latencies, 0.5):.0f}",
         f"{_ms(r.outcome.latencies, 0.99):.0f}", f"{r.cpu_ms:.2f}", f"{r.peak_mb:.0f}",
         r.outcome.overall_1s, r.outcome.chat_1s, r.outcome.group_60s] for r in rows])


def flood_table(rows: Sequence[Row]) -> str:
    head = ["run", "others answered / asked", "others p50 s", "others p99 s",
            "flood answered / asked", "flood in order, once", "flood max 1 s", "max 1 s all"]
    return markdown(head, [
        [r.name, f"{r.outcome.answered} / {r.outcome.asked}",
         f"{_ms(r.outcome.latencies, 0.5) / 1000:.2f}",
         f"{_ms(r.outcome.latencies, 0.99) / 1000:.2f}",
         f"{r.outcome.flood_answered} / {r.outcome.flood_asked}",
         "yes" if r.outcome.flood_in_order and not r.outcome.flood_duplicates else "NO",
         r.outcome.flood_chat_1s, r.outcome.overall_1s] for r in rows])


def _answered_well(o: Outcome) -> bool:
    return o.answered == o.asked and not o.duplicates and not o.out_of_order


def verdicts(throughput: Row, limited: Row, flood: Row) -> list[tuple[str, bool]]:
    """Each target with whether it was met."""
    lim, fl = limited.outcome, flood.outcome
    others = statistics.median(fl.latencies) if fl.latencies else float("inf")
    return [
        (f"rate limiting off: {throughput.rate:.0f} answered questions a second "
         f"(target >= {THROUGHPUT_TARGET:.0f})", throughput.rate >= THROUGHPUT_TARGET),
        ("rate limiting off: every question answered once, in order in each chat",
         _answered_well(throughput.outcome)),
        (f"limiter on: <= {LIMITS['overall_1s']} messages in any second "
         f"(most seen: {lim.overall_1s})", lim.overall_1s <= LIMITS["overall_1s"]),
        (f"limiter on: <= {LIMITS['chat_1s']} message a second in a chat "
         f"(most seen: {lim.chat_1s})", lim.chat_1s <= LIMITS["chat_1s"]),
        (f"limiter on: <= {LIMITS['group_60s']} messages a minute in a group "
         f"(most seen: {lim.group_60s})", lim.group_60s <= LIMITS["group_60s"]),
        ("limiter on: every question answered once, in order", _answered_well(lim)),
        (f"one chat flooding: other chats' median latency {others:.2f} s "
         f"(target < {FLOOD_LATENCY_TARGET:.0f} s)", others < FLOOD_LATENCY_TARGET),
        (f"one chat flooding: its {fl.flood_answered} answers so far once each, in order, at "
         f"most {fl.flood_chat_1s} a second, {fl.overall_1s} a second overall",
         fl.flood_in_order and not fl.flood_duplicates and fl.flood_chat_1s <= 1
         and fl.overall_1s <= LIMITS["overall_1s"]),
        ("one chat flooding: every other question answered once, in order", _answered_well(fl)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a CI-sized run of a few seconds")
    parser.add_argument("--private", type=int, default=40)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--group-users", type=int, default=8)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--flood", type=int, default=1000,
                        help="questions the flooding chat sends at once")
    parser.add_argument("--flood-users", type=int, default=20,
                        help="users in other private chats asking during the flood")
    parser.add_argument("--baseline-root", type=Path,
                        help="another checkout whose bot also runs the flood, for comparison")
    args = parser.parse_args(argv)
    if args.quick:
        load = Plan(private=24, groups=4, group_users=3, questions=4)
        flood = Plan(private=6, groups=0, group_users=0, questions=3, flood=100, think=2.0)
    else:
        load = Plan(args.private, args.groups, args.group_users, args.questions)
        flood = Plan(args.flood_users, 0, 0, 3, flood=args.flood, think=2.0)
    limited = Plan(load.private, load.groups, load.group_users, 1)
    print(f"load: {load.describe()}\nlimiter on: {limited.describe()}\n"
          f"flood, limiter on: {flood.describe()}\n"
          f"baseline: {args.baseline_root or 'none'}\n")
    echo = run("echo (bare PTB), limiter off", "echo", "off", load)
    throughput = run("bot, limiter off", "bot", "off", load)
    rows = [echo, throughput]
    if args.baseline_root:
        rows.append(run("baseline, limiter off", "bot", "off", load, args.baseline_root.resolve()))
    if not args.quick:
        rows.append(run("echo, PTB AIORateLimiter()", "echo", "ptb", limited))
    limited_row = run("bot, limiter on", "bot", "ours", limited)
    rows.append(limited_row)
    floods = [run("bot, one chat flooding", "bot", "ours", flood)]
    if args.baseline_root:
        floods.append(run("baseline, one chat flooding", "bot", "ours", flood,
                          args.baseline_root.resolve()))
    print()
    print(table(rows))
    print()
    print(flood_table(floods))
    print()
    results = verdicts(throughput, limited_row, floods[0])
    for text, ok in results:
        print(f"{'met   ' if ok else 'MISSED'} {text}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
