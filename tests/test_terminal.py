"""The terminal front end, driven end to end: `python -m bot` in a subprocess, as a person or a
script would run it (no token, a private index cache)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import KNOWLEDGE_DIR, ROOT, SEED_FILE, cli_env, shipped_index, write_folder

from bot.answer import Answer
from bot.conversation import Turn
from bot.serving import KnowledgeService, answer_options
from bot.settings import load_settings
from bot.terminal import ask, chat

SEED_TEXT = SEED_FILE.read_text(encoding="utf-8")
BALLOON = "What was the spy balloon incident?"
BEFORE_THAT = "When was the trip supposed to happen before that?"
OFF_TOPIC = "Can you recommend a good book?"
NON_ASCII = "Où est allé Blinken — en Chine ?"
CITATION_KEYS = {"document", "title", "section", "paragraph", "quote", "score"}


def run(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=cli_env(tmp_path / "cache", **env),
        input=stdin, capture_output=True, text=True, encoding="utf-8", timeout=120, check=False,
    )


def json_lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii()
    return [json.loads(line) for line in result.stdout.splitlines()]


def check_answer(obj: dict[str, Any]) -> None:
    assert {"question", "answered", "text", "citations"} <= obj.keys()
    assert isinstance(obj["text"], str)
    assert obj["text"]
    assert obj["answered"] == bool(obj["citations"])
    for c in obj["citations"]:
        assert c.keys() >= CITATION_KEYS
        assert c["quote"] in SEED_TEXT
        assert isinstance(c["paragraph"], int)
        assert isinstance(c["score"], float)
        assert c["title"] == SEED_TEXT.split("\n", 1)[0].strip()


def first_quote(obj: dict[str, Any]) -> str:
    return str(obj["citations"][0]["quote"]) if obj["citations"] else ""


def test_ask_json_answers_each_argument(tmp_path: Path) -> None:
    result = run(tmp_path, "ask", "--json", BALLOON, OFF_TOPIC, NON_ASCII)
    answers = json_lines(result)
    assert [a["question"] for a in answers] == [BALLOON, OFF_TOPIC, NON_ASCII]
    for a in answers:
        check_answer(a)
    assert answers[0]["answered"]
    assert "balloon" in first_quote(answers[0])
    assert not answers[1]["answered"]
    assert answers[1]["citations"] == []


def test_stdin_questions_are_each_answered_alone_but_chat_keeps_context(tmp_path: Path) -> None:
    lines = f"{BALLOON}\n\n   \n{BEFORE_THAT}\n"
    asked = json_lines(run(tmp_path, "ask", "--json", stdin=lines))
    chatted = json_lines(run(tmp_path, "chat", "--json", stdin=lines))
    assert [a["question"] for a in asked] == [BALLOON, BEFORE_THAT]  # blank lines skipped
    assert [a["question"] for a in chatted] == [BALLOON, BEFORE_THAT]
    for a in asked + chatted:
        check_answer(a)
    assert asked[0] == chatted[0]
    assert chatted[1]["answered"]
    assert "interception" in first_quote(chatted[1])
    assert asked[1] != chatted[1]  # in `ask` the follow-up had no context to lean on


def test_plain_ask_prints_text_for_people(tmp_path: Path) -> None:
    result = run(tmp_path, "ask", BALLOON)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not out.lstrip().startswith("{")
    assert "<blockquote" not in out
    quoted = next(line for line in SEED_TEXT.splitlines() if "balloon" in line.casefold())
    assert quoted.strip() in out
    assert "paragraph" in out


def test_no_command_without_a_token_chats_and_says_so(tmp_path: Path) -> None:
    result = run(tmp_path, stdin=f"{BALLOON}\n")
    assert result.returncode == 0, result.stderr
    assert "balloon" in result.stdout
    saying = [line for line in result.stderr.splitlines() if "BOT_TOKEN" in line]
    assert len(saying) == 1
    assert "terminal" in saying[0]
    assert "Traceback" not in result.stderr


def test_a_bad_setting_exits_2_with_the_message(tmp_path: Path) -> None:
    result = run(tmp_path, "ask", BALLOON, BOT_MAX_CITATIONS="0", BOT_RATE_LIMIT="maybe")
    assert result.returncode == 2
    assert "BOT_MAX_CITATIONS" in result.stderr
    assert "BOT_RATE_LIMIT" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [("ask", BALLOON), ()])
def test_a_broken_knowledge_folder_exits_1_naming_the_file(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    folder = write_folder(tmp_path / "k", {"good.txt": "Good\n\nFine text.",
                                           "broken.txt": b"Title\n\nab\x00cd"})
    result = run(tmp_path, *command, stdin=f"{BALLOON}\n", BOT_KNOWLEDGE_DIR=str(folder))
    assert result.returncode == 1
    assert str(folder / "broken.txt") in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_plain_ask_heads_each_of_several_answers_with_its_question(tmp_path: Path) -> None:
    several = run(tmp_path, "ask", BALLOON, OFF_TOPIC)
    assert several.returncode == 0, several.stderr
    blocks = several.stdout.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks if b.startswith("Q: ")] == [
        f"Q: {BALLOON}", f"Q: {OFF_TOPIC}"]
    assert several.stdout.index("balloon", len(f"Q: {BALLOON}")) < several.stdout.index(
        f"Q: {OFF_TOPIC}")  # the balloon answer sits under the balloon question
    one = run(tmp_path, "ask", BALLOON)
    assert "Q: " not in one.stdout  # a single answer needs no heading
    piped = run(tmp_path, "ask", stdin=f"{BALLOON}\n{OFF_TOPIC}\n")
    assert piped.stdout == several.stdout


def test_a_piped_chat_ends_at_quit_but_json_reads_every_line(tmp_path: Path) -> None:
    lines = f"{BALLOON}\n\nquit\n{BEFORE_THAT}\n"
    plain = run(tmp_path, "chat", stdin=lines)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.count("paragraph") >= 1
    assert "February" in plain.stdout  # the balloon answer
    assert "interception" in plain.stdout
    assert plain.stdout.count("\n\n") == 1  # one answer: the chat ended at "quit"
    asked = [a["question"] for a in json_lines(run(tmp_path, "chat", "--json", stdin=lines))]
    assert asked == [BALLOON, "quit", BEFORE_THAT]  # the machine interface has no quit word


def test_a_start_up_failure_is_one_line_and_a_traceback_only_at_debug(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    folder.mkdir()
    # A file name that is not UTF-8, as a copy from an old machine may have.
    (Path(os.fsdecode(bytes(folder)) + os.fsdecode(b"/caf\xe9.txt"))).write_text(
        "Cafes\n\nA text about coffee.\n", encoding="utf-8")
    for command in (("ask", BALLOON), ()):
        result = run(tmp_path, *command, stdin=f"{BALLOON}\n", BOT_KNOWLEDGE_DIR=str(folder))
        assert result.returncode == 1
        assert result.stdout == ""
        [line] = [line for line in result.stderr.strip().splitlines() if "BOT_TOKEN" not in line]
        assert str(folder) in line
        assert "Traceback" not in result.stderr
    debug = run(tmp_path, "ask", BALLOON, BOT_KNOWLEDGE_DIR=str(folder), BOT_LOG_LEVEL="DEBUG")
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr


def test_a_missing_package_is_one_line_that_says_how_to_install(tmp_path: Path) -> None:
    # As in a half-installed environment: importing scipy fails the way a missing one does.
    code = ("import sys; sys.modules['scipy'] = None; from bot.__main__ import main; "
            "sys.exit(main(['ask', 'What happened?']))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=cli_env(tmp_path),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "scipy" in line
    assert "make run" in line


class FailsOn(KnowledgeService):
    """The real service, but one question meets a bug (as an unforeseen input might)."""

    def respond(self, text: str, turn: Turn | None = None) -> tuple[Answer, Turn | None]:
        if text == OFF_TOPIC:
            raise ZeroDivisionError("division by zero")
        return super().respond(text, turn)


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_a_question_that_meets_a_bug_does_not_lose_the_others(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    service = FailsOn(shipped_index(), answer_options(load_settings(_env_file=None)), KNOWLEDGE_DIR)
    questions = [BALLOON, OFF_TOPIC, BALLOON]
    out = io.StringIO()
    if command == "ask":
        status = ask(service, questions, as_json=True, out=out)
    else:
        status = chat(service, True, source=io.StringIO("\n".join(questions)), out=out)
    assert status == 1
    assert [json.loads(line)["question"] for line in out.getvalue().splitlines()] == [
        BALLOON, BALLOON]
    [said] = capsys.readouterr().err.strip().splitlines()
    assert OFF_TOPIC in said
    assert "ZeroDivisionError" in said
