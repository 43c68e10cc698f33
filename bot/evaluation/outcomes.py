"""What one question's answer came to, as the figures count it: answered or refused, the
paragraphs shown best first, and the first citation's quote and highlight."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answer import Answer
from bot.evaluation.sets import Question


@dataclass(frozen=True)
class Outcome:
    question: Question
    answered: bool
    ranked: tuple[int, ...]  # paragraphs shown, best first
    quote: str = ""  # the first citation's quote
    highlight: str = ""  # ...and its highlight

    @property
    def hit1(self) -> bool:
        return self.answered and bool(self.ranked) and self.ranked[0] in self.question.gold

    @property
    def hit_shown(self) -> bool:
        return self.answered and any(p in self.question.gold for p in self.ranked)

    @property
    def hit3(self) -> bool:
        return self.answered and any(p in self.question.gold for p in self.ranked[:3])

    @property
    def rr(self) -> float:
        if not self.answered:
            return 0.0
        for rank, p in enumerate(self.ranked, 1):
            if p in self.question.gold:
                return 1.0 / rank
        return 0.0

    def contains_answer(self, text: str) -> bool:
        return self.answered and any(a and a in text for a in self.question.answers)


def outcome_of(q: Question, answer: Answer) -> Outcome:
    first = answer.citations[0] if answer.citations else None
    return Outcome(q, answer.answered, tuple(c.paragraph for c in answer.citations),
                   first.quote if first else "",
                   first.highlight if first else "")
