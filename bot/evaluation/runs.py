"""Asking the question sets: the seed sets in conversation, their earlier questions first, and
each SQuAD article alone in its folder with each question asked on its own; with the baselines
on the same passages when asked for."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.answer import Answer, AnswerOptions
from bot.conversation import Turn
from bot.evaluation.baselines import run_bm25s, run_plain_bm25
from bot.evaluation.outcomes import Outcome, outcome_of
from bot.evaluation.services import article_service, open_service
from bot.evaluation.sets import SEED_KNOWLEDGE, Question
from bot.serving import KnowledgeService

OptionsFor = Callable[[str], AnswerOptions | None]


@dataclass
class Results:
    bot: list[Outcome] = field(default_factory=list)
    plain: list[Outcome] = field(default_factory=list)
    bm25s: list[Outcome] = field(default_factory=list)


def combined(parts: Iterable[Results]) -> Results:
    """One set of results holding each part's outcomes, in order (the seed sets taken as one)."""
    every = Results()
    for results in parts:
        every.bot += results.bot
        every.plain += results.plain
        every.bm25s += results.bm25s
    return every


def ask_in_conversation(service: KnowledgeService, q: Question) -> Answer:
    """Ask the earlier questions first, as a person would in a chat (`chat --json`), then
    the question."""
    turn: Turn | None = None
    answer: Answer | None = None
    for text in (*q.previous, q.question):
        answer, turn = service.respond(text, turn)
    assert answer is not None
    return answer


def run_service(service: KnowledgeService, questions: Sequence[Question]) -> list[Outcome]:
    return [outcome_of(q, ask_in_conversation(service, q)) for q in questions]


def shipped_options(_article: str) -> AnswerOptions | None:
    """Every article answered with the options the bot ships with."""
    return None


def run_squad(squad: Path, articles: dict[str, list[Question]],
              options_for: OptionsFor = shipped_options, baselines: bool = True) -> Results:
    """Each article alone in its folder; each question asked on its own."""
    results = Results()
    for article, questions in articles.items():
        service = article_service(squad, article, options_for(article))
        results.bot.extend(outcome_of(q, service.ask(q.question)) for q in questions)
        if baselines:
            results.plain.extend(run_plain_bm25(service.index, questions))
            results.bm25s.extend(run_bm25s(service.index, questions))
    return results


def run_seed(sets: dict[str, list[Question]], options: AnswerOptions | None = None,
             baselines: bool = True) -> dict[str, Results]:
    service = open_service(SEED_KNOWLEDGE, options)
    out: dict[str, Results] = {}
    for name, questions in sets.items():
        results = Results(run_service(service, questions))
        if baselines:
            results.plain = run_plain_bm25(service.index, questions)
            results.bm25s = run_bm25s(service.index, questions)
        out[name] = results
    return out
