"""The terminal front end, driven end to end: `python -m bot` in a subprocess, as a person or a
script would run it (no token, a private index cache)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, SEED_FILE, cli_env, write_folder

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
