"""The command line: `python -m bot` serves Telegram when BOT_TOKEN is set and chats in the
terminal when it is not; `ask` and `chat` are the terminal front end."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from bot.knowledge import KnowledgeError
from bot.serving import KnowledgeService
from bot.settings import Settings, SettingsError, load_settings
from bot.terminal import ask, chat, read_questions


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Answer questions about articles by quoting them. With no command: serve "
                    "Telegram if BOT_TOKEN is set, else chat in the terminal.")
    sub = parser.add_subparsers(dest="command")
    p_ask = sub.add_parser("ask", help="answer questions (arguments, or stdin lines)")
    p_ask.add_argument("questions", nargs="*", metavar="QUESTION")
    p_ask.add_argument("--json", action="store_true", help="one JSON object per question")
    p_chat = sub.add_parser("chat", help="a conversation that keeps follow-up context")
    p_chat.add_argument("--json", action="store_true", help="read lines, print JSON lines")
    sub.add_parser("serve", help="serve Telegram (needs BOT_TOKEN)")
    return parser


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and the bot token is part of those URLs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


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
    KnowledgeService.around_build = quiet_builds
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    _configure_logging(settings)
    if args.command in (None, "serve") and settings.token is not None:
        from bot.telegram_bot.app import run  # only the Telegram path needs python-telegram-bot

        return int(run(settings))
    if args.command == "serve":
        print("BOT_TOKEN is not set: put the token from @BotFather in .env or the environment.",
              file=sys.stderr)
        return 2
    if args.command is None and sys.stdin.isatty():
        logging.getLogger().setLevel(logging.WARNING)
    try:
        service = KnowledgeService.from_settings(settings)
    except KnowledgeError as exc:
        print(f"Cannot load the knowledge base: {exc}", file=sys.stderr)
        return 1
    if args.command == "ask":
        questions = args.questions or read_questions(sys.stdin)
        return ask(service, questions, args.json)
    if args.command is None:
        print("No BOT_TOKEN set: answering in the terminal (set BOT_TOKEN to serve Telegram).",
              file=sys.stderr)
    return chat(service, getattr(args, "json", False))


if __name__ == "__main__":
    sys.exit(main())
