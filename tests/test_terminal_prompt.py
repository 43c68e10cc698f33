"""The chat as a person types it: `python -m bot` in a pseudo-terminal (pexpect), with the keys
a person presses: arrows, Enter on an empty line, Ctrl-C, Ctrl-D, and `make run`'s Ctrl-C."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from helpers import ROOT, cli_env

BALLOON = "What was the spy balloon incident?"
BALLOON_QUOTE = "interception of a \"Chinese spy balloon\""
LEFT, UP = "\x1b[D", "\x1b[A"
CURSOR_REQUEST = r"\x1b\[6n"  # prompt_toolkit asks where the cursor is; a terminal answers
GREETING = r"Ctrl-D to leave\."
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # cursor movement, colours, modes
TIMEOUT = 90  # start-up imports numpy and scipy; the machine may be busy


class Terminal:
    """A program in a pseudo-terminal, answering cursor position requests as a terminal does."""

    def __init__(self, command: str, args: list[str], env: dict[str, str]) -> None:
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(command, args, cwd=ROOT, env=env, encoding="utf-8",
                                   timeout=TIMEOUT, dimensions=(40, 200))
        self.child.logfile_read = self.transcript

    def expect(self, pattern: str | type[pexpect.EOF]) -> None:
        while self.child.expect([CURSOR_REQUEST, pattern]) == 0:
            self.child.send("\x1b[1;1R")

    def prompt(self) -> None:
        """Wait for the next prompt: its cursor request, answered, then the prompt itself."""
        self.child.expect(CURSOR_REQUEST)
        self.child.send("\x1b[1;1R")
        self.child.expect(">")

    def type(self, keys: str) -> None:
        self.child.send(keys)

    def ask(self, keys: str, answer: str = BALLOON_QUOTE) -> None:
        """Type `keys` (a line and Enter), wait for `answer` and the next prompt."""
        self.type(keys)
        self.expect(re.escape(answer))
        self.prompt()

    def end(self) -> int:
        """Wait for the program to exit; its exit status."""
        self.expect(pexpect.EOF)
        self.child.close()
        assert self.child.exitstatus is not None, f"killed by signal {self.child.signalstatus}"
        return int(self.child.exitstatus)

    @property
    def output(self) -> str:
        return self.transcript.getvalue()


def chat_env(tmp_path: Path) -> dict[str, str]:
    env = cli_env(tmp_path / "cache", BOT_STATE_DIR=str(tmp_path / "state"))
    env.pop("PROMPT_TOOLKIT_NO_CPR", None)
    return env


def start_chat(tmp_path: Path, *args: str) -> Terminal:
    terminal = Terminal(sys.executable, ["-m", "bot", *args], chat_env(tmp_path))
    terminal.expect(GREETING)
    terminal.prompt()
    return terminal


def history(tmp_path: Path) -> list[str]:
    """The questions kept for the up arrow, oldest first (prompt_toolkit's file format)."""
    text = (tmp_path / "state" / "terminal-history").read_text(encoding="utf-8")
    return [line[1:] for line in text.splitlines() if line.startswith("+")]


def assert_clean(output: str) -> None:
    for noise in ("Traceback", "KeyboardInterrupt", "^[[", "make: ***", "Error"):
        assert noise not in output


def test_arrow_keys_move_the_cursor_and_the_edit_lands_where_it_should(tmp_path: Path) -> None:
    terminal = start_chat(tmp_path)
    terminal.ask("What was the spy balloon incidnt?" + LEFT * 3 + "e\r")
    terminal.child.sendcontrol("d")
    assert terminal.end() == 0
    assert history(tmp_path) == [BALLOON]
    assert_clean(terminal.output)


def test_the_up_arrow_brings_back_questions_even_from_an_earlier_run(tmp_path: Path) -> None:
    terminal = start_chat(tmp_path)
    terminal.ask(BALLOON + "\r")
    terminal.ask(UP + "\r")  # the same question again
    terminal.type("quit\r")
    assert terminal.end() == 0
    assert terminal.output.count(BALLOON_QUOTE) == 2
    assert history(tmp_path) == [BALLOON, "quit"]  # a repeat is kept once, as in a shell

    again = start_chat(tmp_path)
    again.ask(UP + UP + "\r")
    again.child.sendcontrol("d")
    assert again.end() == 0
    assert history(tmp_path) == [BALLOON, "quit", BALLOON]


def test_an_empty_line_asks_nothing_and_the_chat_goes_on(tmp_path: Path) -> None:
    terminal = start_chat(tmp_path)
    greeted = len(terminal.output)
    for blank in ("\r", "   \r", "\r"):
        terminal.type(blank)
        terminal.prompt()
    after_blanks = terminal.output[greeted:]
    terminal.ask(BALLOON + "\r")
    terminal.type("exit\r")
    assert terminal.end() == 0
    # Nothing but prompts (and the spaces typed) between the greeting and the question.
    assert not re.search(r"\w", ESCAPES.sub("", after_blanks))
    assert terminal.output.count(BALLOON_QUOTE) == 1


@pytest.mark.parametrize("key", ["d", "c"])
def test_ctrl_d_and_ctrl_c_at_the_prompt_end_the_chat_quietly(tmp_path: Path, key: str) -> None:
    terminal = start_chat(tmp_path)
    if key == "c":
        terminal.type("half a quest")  # Ctrl-C leaves even with a line being typed
    terminal.child.sendcontrol(key)
    assert terminal.end() == 0
    assert_clean(terminal.output)


def test_chat_command_at_a_terminal_is_the_same_chat(tmp_path: Path) -> None:
    terminal = start_chat(tmp_path, "chat")
    terminal.type("Where was it intercepted?" + "\r")  # a follow-up with nothing before it
    terminal.prompt()
    terminal.ask(BALLOON + "\r")
    terminal.child.sendcontrol("d")
    assert terminal.end() == 0
    assert "No BOT_TOKEN set" not in terminal.output  # said only when no command was given


def test_ask_at_a_terminal_without_a_question_shows_its_usage(tmp_path: Path) -> None:
    terminal = Terminal(sys.executable, ["-m", "bot", "ask"], chat_env(tmp_path))
    assert terminal.end() == 2
    assert "usage: python -m bot ask" in terminal.output
    assert "no question given" in terminal.output
    assert_clean(terminal.output)


def test_ask_at_a_terminal_answers_its_arguments(tmp_path: Path) -> None:
    terminal = Terminal(sys.executable, ["-m", "bot", "ask", BALLOON], chat_env(tmp_path))
    terminal.expect(re.escape(BALLOON_QUOTE))
    assert terminal.end() == 0


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_ctrl_c_in_make_run_leaves_no_make_error(tmp_path: Path) -> None:
    venv = Path(sys.prefix)
    if not (venv / "bin" / "python").exists() or venv == Path(sys.base_prefix):
        pytest.skip("the tests are not running in a virtual environment for make to use")
    # -o: take the environment the tests run in as installed, whatever its stamp says.
    stamp = venv / "bin" / ".installed"
    terminal = Terminal("make", ["--no-print-directory", "-o", str(stamp), "run",
                                 f"VENV={venv}"], chat_env(tmp_path))
    terminal.expect(GREETING)
    terminal.prompt()
    terminal.ask(BALLOON + "\r")
    terminal.child.sendcontrol("c")
    assert terminal.end() == 0
    assert_clean(terminal.output)


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_a_piped_chat_with_status_130_and_no_traceback(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--json"], cwd=ROOT, env=cli_env(tmp_path / "c"),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A test run started in the background (`cmd &`, nohup) ignores SIGINT, and a child
        # inherits that: Python then leaves Ctrl-C ignored, as an operator who did it meant.
        preexec_fn=default_sigint)
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(BALLOON + "\n")
    process.stdin.flush()
    assert BALLOON_QUOTE.replace('"', '\\"') in process.stdout.readline()
    process.send_signal(2)  # SIGINT: Ctrl-C where the chat reads a pipe
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert "KeyboardInterrupt" not in stderr


def test_the_history_file_is_private_to_its_owner(tmp_path: Path) -> None:
    terminal = start_chat(tmp_path)
    terminal.ask(BALLOON + "\r")
    terminal.child.sendcontrol("d")
    assert terminal.end() == 0
    mode = os.stat(tmp_path / "state" / "terminal-history").st_mode & 0o777
    assert mode == 0o600


def test_an_unwritable_history_costs_the_history_not_the_chat(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "terminal-history").mkdir()  # a folder where the file should be
    terminal = start_chat(tmp_path)
    terminal.ask(BALLOON + "\r")
    terminal.ask(UP + "\r")  # this run's history still works
    terminal.child.sendcontrol("d")
    assert terminal.end() == 0
    assert_clean(terminal.output)


def test_the_greeting_shows_example_questions_the_chat_answers(tmp_path: Path) -> None:
    terminal = start_chat(tmp_path, "chat")
    greeting = ESCAPES.sub("", terminal.output)
    examples = [line.strip()[2:] for line in greeting.splitlines()
                if line.strip().startswith("• ")]
    assert len(examples) >= 2
    assert "US China Relations 2023" in greeting  # the article, by its short title
    terminal.ask(examples[1] + "\r", answer="paragraph")  # an example is answered, quoted
    terminal.child.sendcontrol("d")
    assert terminal.end() == 0
