"""The terminal front end: `ask` answers questions one by one, `chat` keeps follow-up context.
Both print plain text for people, or one JSON object per line with `--json`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from bot.answer import Answer
from bot.conversation import Turn
from bot.render import render_text
from bot.serving import KnowledgeService


def to_json(answer: Answer) -> dict[str, Any]:
    """The documented machine interface for one answer (extend it, never rename its keys)."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "text": render_text(answer),
        "citations": [
            {
                "document": c.document,
                "title": c.title,
                "section": c.section,
                "paragraph": c.paragraph,
                "quote": c.quote,
                "highlight": c.highlight,
                "score": round(c.score, 6),
                "url": c.url,
            }
            for c in answer.citations
        ],
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


def ask(service: KnowledgeService, questions: Iterable[str], as_json: bool,
        out: TextIO = sys.stdout) -> int:
    """Answer each question on its own, with no context from the others."""
    for question in questions:
        _emit(service.ask(question), as_json, out)
    return 0


def chat(service: KnowledgeService, as_json: bool, source: TextIO = sys.stdin,
         out: TextIO = sys.stdout) -> int:
    """Answer lines from `source` as one conversation: a follow-up is read with what came
    before it. Interactive when `source` is a terminal."""
    interactive = source.isatty() and not as_json
    if interactive:
        out.write(f"Ask about {_scope(service)}; an empty line or Ctrl-D quits.\n")
    turn: Turn | None = None
    while True:
        if interactive:
            out.write("> ")
            out.flush()
        line = source.readline()
        if not line or (interactive and not line.strip()):
            break
        question = line.strip()
        if not question:
            continue
        context = turn.follow_up_context(service.options.context_depth) if turn else ()
        answer = service.ask(question, context)
        turn = Turn(question, answer.context)
        _emit(answer, as_json, out)
    return 0


def _scope(service: KnowledgeService) -> str:
    docs = service.index.knowledge.documents
    return f"“{docs[0].title}”" if len(docs) == 1 else f"{len(docs)} articles"


def read_questions(stream: TextIO) -> list[str]:
    return list(_lines(stream))
