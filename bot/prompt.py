"""Questions typed at a terminal: line editing, history (the up arrow, kept in a file between
runs) and Ctrl-C, Ctrl-D and Ctrl-Z as keys, through prompt_toolkit.

prompt_toolkit reads the keyboard in raw mode, so Ctrl-C at the prompt is a key press that
ends the chat, not a SIGINT sent to every process in the terminal's foreground group: under
`make run`, make never sees it, and so never reports "make: *** Interrupt".
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History, InMemoryHistory

PROMPT = "> "


class _KeptHistory(FileHistory):
    """History in a file readable by its owner only (questions may be private). A file that
    cannot be read or written costs the history across runs, never the chat."""

    def load_history_strings(self) -> Iterable[str]:
        try:
            return list(super().load_history_strings())
        except OSError:
            return []

    def store_string(self, string: str) -> None:
        try:
            fd = os.open(self.filename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.close(fd)
            super().store_string(string)
        except OSError:
            pass


def history(path: Path | None) -> History:
    """The history kept in `path` (its folder created as needed), or for this run only."""
    if path is None:
        return InMemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return _KeptHistory(path)


def typed_lines(kept_in: Path | None) -> Iterator[str]:
    """Each line typed at the prompt, stripped (empty ones too), until Ctrl-D or Ctrl-C."""
    # Ctrl-Z suspends the whole job (make and all), as it would outside raw mode.
    session: PromptSession[str] = PromptSession(history=history(kept_in), enable_suspend=True)
    while True:
        try:
            line = session.prompt(PROMPT)
        except (EOFError, KeyboardInterrupt):
            return
        yield line.strip()
