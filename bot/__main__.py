"""The command line: `python -m bot` serves Telegram when BOT_TOKEN is set and chats in the
terminal when it is not; `ask` and `chat` are the terminal front end.

Whatever goes wrong at start-up is one line on stderr and a non-zero exit status, never a
traceback (BOT_LOG_LEVEL=DEBUG adds it). Exit status: 0 done (or left with Ctrl-C), 1 the bot
could not start or a question could not be answered, 2 bad settings or usage, 130 `ask` or a
piped `chat` interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.serving import KnowledgeService
    from bot.settings import Settings

# The bot's own modules are imported inside the functions below, so that a broken install (a
# package missing) is one line from `main` too, and `--help` answers at once.
log = logging.getLogger("bot")

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C
HISTORY_FILE = "terminal-history"  # in BOT_STATE_DIR: the chat's questions, for the up arrow


class StartupError(Exception):
    """The bot cannot start; the message is the one line to show."""


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Answer questions about articles by quoting them. With no command: serve "
                    "Telegram if BOT_TOKEN is set, else chat in the terminal.")
    sub = parser.add_subparsers(dest="command")
    p_ask = sub.add_parser(
        "ask", help="answer questions (arguments, or stdin lines), each on its own",
        description="Answer each question on its own. Give the questions as arguments, or "
                    "one per line on standard input.")
    p_ask.add_argument("questions", nargs="*", metavar="QUESTION")
    p_ask.add_argument("--json", action="store_true", help="one JSON object per question")
    p_chat = sub.add_parser("chat", help="a conversation that keeps follow-up context")
    p_chat.add_argument("--json", action="store_true", help="read lines, print JSON lines")
    sub.add_parser("serve", help="serve Telegram (needs BOT_TOKEN)")
    p_stats = sub.add_parser(
        "stats", help="what people asked on Telegram: the report admins get from /stats",
        description="The question log's report: questions asked, answered and refused, the "
                    "👍/👎, the refused questions asked most and the answers with the most 👎. "
                    "Reads BOT_STATE_DIR's question log; the bot may be running.")
    p_stats.add_argument("--csv", action="store_true",
                         help="every question kept, one CSV row each, on standard output")
    p_stats.add_argument("--days", type=_days, metavar="N",
                         help="the lists cover the last N days (default 7); with --csv, only "
                              "the questions of the last N days")
    return parser, p_ask


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days from 1 to 3650")
    return int(text)


def _configure_logging(settings: Settings, person_at_terminal: bool) -> None:
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and the bot token is part of those URLs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    if person_at_terminal and settings.log_level != "DEBUG":
        # A chat shows warnings (a file it skipped, a cache it could not write), not progress.
        logging.getLogger().setLevel(logging.WARNING)


@contextmanager
def quiet_builds() -> Iterator[None]:
    """Keep the garbage collector out of an index build, then freeze what it made: otherwise
    its full collections walk every passage of the old and the new index while the event loop
    waits. At 100,000 passages (benchmarks/serve_probe.py, three runs each on a busy 2-core
    machine) the longest stall of the event loop during a reload was 120-310 ms without this
    and 14-58 ms with it. (A shorter `sys.setswitchinterval`, also measured, changed nothing.)
    Process-wide, so set here by the process's owner, not by a library module."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # the index holds no reference cycles: reference counting still frees it
        if enabled:
            gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser, p_ask = _parser()
    args = parser.parse_args(argv)
    if args.command == "ask" and not args.questions and sys.stdin.isatty():
        p_ask.error("no question given: pass questions as arguments, or pipe them in one per "
                    "line (for a conversation: python -m bot chat)")
    # Ctrl-C is how a person leaves the default command or a chat at the terminal: that ends
    # them successfully (and quietly under `make run`, which reports any other exit status).
    leaving_is_success = args.command is None or (
        args.command == "chat" and not args.json and sys.stdin.isatty())
    try:
        return _main(args)
    except KeyboardInterrupt:
        if sys.stderr.isatty():
            print(file=sys.stderr)  # the shell's prompt on a line of its own, after the ^C
        return 0 if leaving_is_success else INTERRUPTED
    except BrokenPipeError:  # `python -m bot ask ... | head -1`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except ModuleNotFoundError as exc:
        log.debug("a module is missing", exc_info=True)
        print(f"A package the bot needs is missing ({exc}): install them with `make run`, or "
              "`pip install -e .` in the project's folder.", file=sys.stderr)
        return 1


def _main(args: argparse.Namespace) -> int:
    from bot.settings import SettingsError, load_settings, stray_variables

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    person_at_terminal = (args.command in (None, "chat") and not getattr(args, "json", False)
                          and sys.stdin.isatty())
    _configure_logging(settings, person_at_terminal)
    for stray in stray_variables():
        log.warning("%s", stray)
    try:
        return _serve_or_answer(args, settings)
    except StartupError as exc:
        log.debug("start-up failed", exc_info=exc.__cause__)
        print(exc, file=sys.stderr)
        return 1
    except (ModuleNotFoundError, BrokenPipeError):
        raise  # a broken install, or a reader that has gone: `main` handles both
    except Exception as exc:  # a bug: say what and where to look, not 40 lines of traceback
        log.debug("stopped on an unexpected error", exc_info=True)
        print(f"Stopped on an unexpected error: {_one_line(exc)}. Run with BOT_LOG_LEVEL=DEBUG "
              "to see where it happened.", file=sys.stderr)
        return 1


def _serve_or_answer(args: argparse.Namespace, settings: Settings) -> int:
    from bot.serving import KnowledgeService

    if args.command == "stats":  # reads the question log only: no knowledge base to load
        return _stats(args, settings)
    KnowledgeService.around_build = quiet_builds  # this process owns the collector
    if args.command in (None, "serve") and settings.token is not None:
        from bot.telegram_bot.app import run  # only the Telegram path needs python-telegram-bot

        return int(run(settings))
    if args.command == "serve":
        print("BOT_TOKEN is not set: put the token from @BotFather in .env or the environment.",
              file=sys.stderr)
        return 2
    from bot.terminal import ask, chat, read_questions

    if args.command is None:  # said first: loading a large knowledge base takes a while
        print("No BOT_TOKEN set: answering in the terminal (set BOT_TOKEN to serve Telegram).",
              file=sys.stderr)
    service = _load(settings)
    if args.command == "ask":
        questions = args.questions or read_questions(sys.stdin)
        return ask(service, questions, args.json)
    history = settings.state_dir / HISTORY_FILE if settings.state_dir else None
    return chat(service, getattr(args, "json", False), history=history)


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    import sqlite3
    import time

    from bot.stats import NoLog, print_report

    try:
        print_report(settings.state_dir, as_csv=args.csv, days=args.days,
                     retention_days=settings.retention_days, out=sys.stdout, now=time.time())
    except NoLog as exc:
        print(exc, file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        raise StartupError(f"Cannot read the question log in {settings.state_dir}: {exc}. If "
                           "the file is damaged, move it away: the bot starts a new one.") from exc
    return 0


def _load(settings: Settings) -> KnowledgeService:
    from bot.knowledge import KnowledgeError
    from bot.serving import KnowledgeService

    folder = settings.knowledge_path()
    try:
        return KnowledgeService.from_settings(settings)
    except KnowledgeError as exc:  # its message names the file and the fix
        raise StartupError(f"Cannot load the knowledge base: {exc}") from exc
    except ModuleNotFoundError:
        raise
    except Exception as exc:  # a RecursionError in a parser, a build worker that died, ...
        debug = "" if settings.log_level == "DEBUG" else \
            " (BOT_LOG_LEVEL=DEBUG shows where it happened)"
        raise StartupError(f"Cannot load the knowledge base in {folder}: "
                           f"{_one_line(exc)}{debug}") from exc


def _one_line(exc: BaseException) -> str:
    """The exception's type and message on one line: a message of several lines (a worker's
    traceback) is cut to its first and last, where the cause usually is."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if len(lines) < 2 else f"{lines[0]} … {lines[-1]}"
    text = text if len(text) <= 300 else text[:299] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
