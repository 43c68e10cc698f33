"""Answering one message of a conversation, as every front end does: small talk, a question in
another language than the articles', up to `MAX_PARTS` questions in one message, and where the
conversation stands after it (`next_turn`): what a follow-up is read with, and what "tell me
more" goes on from.

Context is used only when a question needs it. An answered question becomes the subject; a
follow-up that leans on it ("where did that happen?", "and who was involved?") is read with
it; a question that stands on its own and is refused (off topic) starts afresh, so that
"summarize" or "what's this about?" after it is read as what it says; small talk leaves the
conversation where it was; "tell me more" goes on from the passages quoted so far, however
many times it is asked, until the articles have nothing more on the subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.answer import DEFAULT_OPTIONS, Answer, AnswerOptions, compose, scope_of
from bot.conversation import Turn
from bot.examples import example_questions
from bot.index import Index
from bot.language import Language, detect, foreign
from bot.lexicon import Lexicon, general
from bot.question import Intent, parts, read, small_talk
from bot.text import tokenize

MAX_PARTS = 3  # questions of one message answered; the rest are counted, not answered
SUGGESTED = 2  # example questions small talk and a refusal show
SAMPLE_PASSAGES = 40  # enough of the articles to tell their language
# Answers that leave the conversation where it was: "thanks", "hi", a question in another
# language, a message that asked nothing.
_ASIDES = frozenset({"small_talk", "other_language", "empty"})


@dataclass(frozen=True, slots=True)
class Guide:
    """What the bot tells people of a knowledge base: questions it answers, and the language
    it is written in (None: not told, and then no question is called foreign)."""

    examples: tuple[str, ...] = ()
    language: Language | None = None


def guide_for(index: Index, options: AnswerOptions = DEFAULT_OPTIONS,
              lexicon: Lexicon | None = None) -> Guide:
    """The guide to `index`: worked out once per index, by whoever serves it."""
    sample = "\n".join(p.text for p in index.passages[:SAMPLE_PASSAGES])
    return Guide(example_questions(index, options, lexicon), detect(sample))


def respond(text: str, turn: Turn | None, index: Index,
            options: AnswerOptions = DEFAULT_OPTIONS, lexicon: Lexicon | None = None,
            guide: Guide = Guide()) -> tuple[Answer, Turn | None]:
    """The answer to a message, read in the conversation `turn` (None: a new one), and where
    the conversation stands after it. A message of several questions is answered question by
    question, each read in the conversation as the one before it left it; its answer's own
    fields are the first question's (but `context`, what a follow-up is read with: the
    last one's), and `parts` holds each one's."""
    lexicon = lexicon or general()
    text = text.strip()
    questions = parts(text, lexicon)
    # A greeting or a "thanks" among questions needs no answer of its own.
    asked = [q for q in questions if not _only_talk(q, lexicon)] or questions
    if len(asked) < 2:
        answer, turn = _respond_one(asked[0] if len(questions) > 1 else text, turn, index,
                                    options, lexicon, guide)
        return (answer if answer.question == text else replace(answer, question=text)), turn
    answers: list[Answer] = []
    for question in asked[:MAX_PARTS]:
        answer, turn = _respond_one(question, turn, index, options, lexicon, guide)
        answers.append(answer)
    first, last = answers[0], answers[-1]
    return replace(first, question=text, parts=tuple(answers), context=last.context,
                   unanswered_parts=max(0, len(asked) - MAX_PARTS)), turn


def _only_talk(question: str, lexicon: Lexicon) -> bool:
    kind, rest = small_talk(question, lexicon)
    return kind is not None and not rest


def _respond_one(question: str, turn: Turn | None, index: Index, options: AnswerOptions,
                 lexicon: Lexicon, guide: Guide) -> tuple[Answer, Turn | None]:
    kind, rest = small_talk(question, lexicon)
    if kind is not None and not rest:
        examples = () if kind == "farewell" else guide.examples[:SUGGESTED]
        return Answer(question, False, suggestions=examples, reason="small_talk",
                      scope=scope_of(index, named=True), intent=Intent.SMALL_TALK,
                      small_talk=kind), turn
    asked = rest or question
    # A reply to an answer known only by its quotes: "more" reads on from them, as there is
    # no question to find more answers to; any other follow-up is read with the quote.
    reads_on = turn is not None and not turn.asked and read(asked, (), lexicon).intent is \
        Intent.MORE
    context = turn.follow_up_context(options.context_depth) if turn and not reads_on else ()
    answer = compose(asked, index, context, options, lexicon, turn.shown if turn else ())
    if answer.question != question:
        answer = replace(answer, question=question)
    if not answer.answered:
        if answer.reason in ("not_covered", "empty") and guide.language is not None \
                and foreign(asked, guide.language):
            answer = replace(answer, reason="other_language", intent=Intent.LANGUAGE,
                             language=guide.language.name)
        answer = replace(answer, suggestions=guide.examples[:SUGGESTED])
    return answer, next_turn(asked, answer, turn)


def next_turn(question: str, answer: Answer, before: Turn | None) -> Turn | None:
    """Where the conversation stands after `answer` to `question` (None: afresh)."""
    if answer.intent is Intent.MORE:
        if before is None or not answer.answered:
            return before
        return replace(before, shown=(*before.shown, *(c.passage_id for c in answer.citations)))
    if answer.reason in _ASIDES:
        return before
    if answer.reason == "not_covered":
        # Off topic: a question that stood on its own starts afresh; one that leaned on the
        # conversation ("what was *it* carrying?") leaves it as it was.
        return before if answer.context else None
    return Turn(question, answer.context, tuple(c.passage_id for c in answer.citations))


def turn_from_quotes(index: Index, quotes: Sequence[str]) -> Turn | None:
    """The conversation of an answer known only by what it quoted (the text of its quotes, as
    a reader sees them): its first quote stands for its question, and the passages quoted are
    what "more" goes on from. None when it quoted nothing."""
    quotes = [q for q in quotes if q.strip()]
    if not quotes:
        return None
    shown = tuple(p for p in (_quoted_passage(index, q) for q in quotes) if p is not None)
    return Turn(quotes[0], (), shown, asked=False)


def _quoted_passage(index: Index, quote: str) -> str | None:
    """The id of the passage `quote` comes from: found by its words, and checked to hold it
    (white space aside, and without the "…" that marks a trimmed quote)."""
    wanted = " ".join(quote.strip().strip("…").split())
    if not wanted:
        return None
    for hit in index.search(tokenize(wanted)[:64], k=3):
        if wanted in " ".join(hit.passage.text.split()):
            return hit.passage.id
    return None
