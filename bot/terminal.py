"""The terminal front end: `ask` answers questions one by one, `chat` keeps follow-up context.
Both print plain text for people, or one JSON object per line with `--json`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from bot.answer import Answer, Citation, scope_of
from bot.conversation import Turn
from bot.render import render_text
from bot.serving import KnowledgeService

log = logging.getLogger(__name__)

# Typed alone on a line, these end a chat (so does Ctrl-D, or Ctrl-C at the prompt).
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})
# The exit status when some question could not be answered (the others were).
SOME_FAILED = 1


def to_json(answer: Answer) -> dict[str, Any]:
    """The documented machine interface for one answer (extend it, never rename its keys).
    For a message of several questions, the keys describe the first one's answer (`text`
    shows them all), and `parts` holds an object like this one for each."""
    found = {
        "question": answer.question,
        "answered": answer.answered,
        "text": render_text(answer),
        "citations": [_citation(c) for c in answer.citations],
        "reason": answer.reason,
    }
    if answer.suggestions:
        found["suggestions"] = list(answer.suggestions)
    if answer.parts:
        found["parts"] = [to_json(part) for part in answer.parts]
        found["unanswered_parts"] = answer.unanswered_parts
    return found


def _citation(c: Citation) -> dict[str, Any]:
    return {
        "document": c.document,
        "title": c.title,
        "section": c.section,
        "paragraph": c.paragraph,
        "quote": c.quote,
        "highlight": c.highlight,
        "score": round(c.score, 6),
        "url": c.url,
        "short_title": c.short_title,
        "source": c.source,
        "published": c.published,
    }


def _emit(answer: Answer, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(to_json(answer), ensure_ascii=True) + "\n")
    else:
        out.write(render_text(answer) + "\n\n")
    out.flush()


def _lines(stream: TextIO) -> Iterator[str]:
    for line in stream:
        line = line.strip()
        if line:
            yield line


def _until_quit(lines: Iterable[str]) -> Iterator[str]:
    """The questions among `lines`: empty lines skipped, up to a line that says quit."""
    for line in lines:
        if line.casefold() in QUIT_WORDS:
            return
        if line:
            yield line


def _answer(service: KnowledgeService, question: str, turn: Turn | None = None
            ) -> tuple[Answer, Turn | None] | None:
    """The answer and where the conversation stands after it, or None after saying on stderr
    that this one question failed: a bug that one question meets must not end the chat, nor
    lose the answers to the questions after it."""
    try:
        return service.respond(question, turn)
    except Exception as exc:
        log.debug("answering %r failed", question, exc_info=True)
        print(f"Could not answer {question!r}: {type(exc).__name__}: {exc} (this is a bug; "
              "BOT_LOG_LEVEL=DEBUG shows where it happened)", file=sys.stderr)
        return None


def ask(service: KnowledgeService, questions: Iterable[str], as_json: bool,
        out: TextIO = sys.stdout) -> int:
    """Answer each question on its own, with no context from the others. In plain text, when
    there are several, each answer is headed by its question."""
    questions = list(questions)
    labelled = not as_json and len(questions) > 1
    status = 0
    for question in questions:
        found = _answer(service, question)
        if found is None:
            status = SOME_FAILED
            continue
        if labelled:
            out.write(f"Q: {question}\n")
        _emit(found[0], as_json, out)
    return status


def chat(service: KnowledgeService, as_json: bool, source: TextIO = sys.stdin,
         out: TextIO = sys.stdout, history: Path | None = None) -> int:
    """Answer lines from `source` as one conversation: a follow-up is read with what came
    before it. At a terminal, with line editing and a history kept in `history` (a file);
    an empty line does nothing, and quit, exit, Ctrl-D or Ctrl-C ends the chat. With `--json`
    every non-empty line is a question, until the end of the input."""
    lines: Iterable[str]
    if not as_json and source.isatty() and out.isatty():
        from bot.prompt import typed_lines  # prompt_toolkit: only a person at a terminal

        out.write(greeting(service) + "\n")
        out.flush()
        lines = _until_quit(typed_lines(history))
    else:
        lines = _lines(source) if as_json else _until_quit(_lines(source))
    turn: Turn | None = None
    status = 0
    for question in lines:
        found = _answer(service, question, turn)
        if found is None:
            status = SOME_FAILED
            continue
        answer, turn = found
        _emit(answer, as_json, out)
    return status


def greeting(service: KnowledgeService) -> str:
    """What the chat says first at a terminal: what it answers from, example questions (as
    /start shows them on Telegram), and how to leave."""
    lines = [f"Ask about {scope_of(service.index, named=True)}, in your own words."]
    examples = service.guide().examples
    if examples:
        lines += ["For example:", *(f"  • {q}" for q in examples)]
    lines.append("Type quit or press Ctrl-D to leave.")
    return "\n".join(lines)


def read_questions(stream: TextIO) -> list[str]:
    return list(_lines(stream))
