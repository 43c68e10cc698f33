"""Example questions a knowledge base answers, made from its own text: for a greeting, for
small talk and for a refusal ("you could ask…"), in the terminal and on Telegram.

Made the same way for any subject: a title or heading that is itself a question, then, section
by section in reading order, the most specific pair of words that stand together in the
section's first paragraphs ("spy balloon", "Haber process", "penalty shoot-out"), asked about.
Each is kept only if the bot answers it, quoting the passage it was made from; each quotes
another passage, so the examples show the breadth of what can be asked. Worked out once per
index (a few dozen answers, milliseconds each) by the service that serves it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bot.answer import DEFAULT_OPTIONS, AnswerOptions, compose
from bot.index import Index
from bot.knowledge import Passage
from bot.lexicon import Lexicon, general
from bot.text import SPECIFICITY_MAX, specificity, word_reading

LIMIT = 4  # how many a greeting shows
MAX_CANDIDATES = 24  # each is answered once: a cap keeps a large knowledge base cheap
PASSAGES_PER_SECTION = 3  # where a section says what it is about
MAX_SECTIONS = 12  # sections looked at: enough for the examples, few on a large base
PHRASES_PER_SECTION = 3
RARE = 2.5  # the specificity of a word English hardly uses (Zipf frequency 4 or less)
_SPAN = re.compile(r"[^\W\d_][\w'’]*(?:-[^\W\d_][\w'’]*)*")
_TITLE_PARTS = re.compile(r"[:|]")
_QUOTES = " \t\n\"“”‘'«»"


def example_questions(index: Index, options: AnswerOptions = DEFAULT_OPTIONS,
                      lexicon: Lexicon | None = None, limit: int = LIMIT) -> tuple[str, ...]:
    """Up to `limit` questions the bot answers from `index`, each quoting another passage."""
    lexicon = lexicon or general()
    chosen: list[str] = []
    quoted: set[str] = set()
    for n, (question, phrase) in enumerate(_candidates(index, lexicon)):
        if n == MAX_CANDIDATES or len(chosen) == limit:
            break
        answer = compose(question, index, (), options, lexicon)
        if not answer.answered:
            continue
        first = answer.citations[0]
        if first.passage_id in quoted or (phrase and phrase.casefold() not in
                                          first.quote.casefold()):
            continue
        quoted.add(first.passage_id)
        chosen.append(question)
    return tuple(chosen)


def _candidates(index: Index, lexicon: Lexicon) -> Iterator[tuple[str, str]]:
    """(question, the phrase its answer must quote, or "") in the order they are tried."""
    knowledge = index.knowledge
    for document in knowledge.documents:
        for part in _TITLE_PARTS.split(document.title):
            if part.strip().endswith("?") and len(part.split()) >= 3:
                yield " ".join(part.split()), ""
    for heading in index.sections:
        if heading.strip().endswith("?") and len(heading.split()) >= 3:
            yield heading.strip(), ""
    where = "the article" if len(knowledge.documents) == 1 else "the articles"
    # The best name of each section in turn, then the second best of each, and so on: the
    # examples spread over the articles.
    ranked = [_phrases(passages[:PASSAGES_PER_SECTION], index, lexicon)
              for passages in _spread(_sections(knowledge.passages), MAX_SECTIONS)]
    seen: set[str] = set()
    for round_ in range(PHRASES_PER_SECTION):
        for phrases in ranked:
            if round_ >= len(phrases) or phrases[round_].casefold() in seen:
                continue
            phrase = phrases[round_]
            seen.add(phrase.casefold())
            shown = phrase if phrase[:1].isupper() else f"the {phrase}"
            yield f"What does {where} say about {shown}?", phrase
    verb = "is" if len(knowledge.documents) == 1 else "are"
    yield f"What {verb} {where} about?", ""  # answered by any knowledge base: the last resort


def _spread(sections: Iterator[list[Passage]], limit: int) -> list[list[Passage]]:
    """Up to `limit` sections, taken from the documents in turn (the first section of each,
    then the second of each, …) so that examples come from as many articles as they can."""
    by_document: dict[str, list[list[Passage]]] = {}
    for section in sections:
        by_document.setdefault(section[0].document.id, []).append(section)
    chosen: list[list[Passage]] = []
    for round_ in range(limit):
        for found in by_document.values():
            if round_ < len(found):
                chosen.append(found[round_])
                if len(chosen) == limit:
                    return chosen
    return chosen


def _sections(passages: Sequence[Passage]) -> Iterator[list[Passage]]:
    """The passages in runs of one document's section, in reading order."""
    run: list[Passage] = []
    for passage in passages:
        if run and (passage.document is not run[0].document
                    or passage.section != run[0].section):
            yield run
            run = []
        run.append(passage)
    if run:
        yield run


def _phrases(passages: Sequence[Passage], index: Index, lexicon: Lexicon) -> list[str]:
    """The names of things in these passages, most specific first: rare among the knowledge
    base's passages (what every paragraph names is no subject of one) and in English at large
    (a name, a term of the trade)."""
    scored: dict[str, tuple[float, str]] = {}
    for passage in passages:
        for phrase, score in _pairs(passage.text, index, lexicon):
            key = phrase.casefold()
            if score > 0 and score > scored.get(key, (0.0, ""))[0]:
                scored[key] = (score, phrase)
    return [phrase for _, phrase in sorted(scored.values(), key=lambda item: -item[0])]


def _pairs(text: str, index: Index, lexicon: Lexicon) -> Iterator[tuple[str, float]]:
    """The names of things in `text`: the last one or two words of each run of content words
    that a determiner opens ("a "Chinese *spy balloon*"", "the flow of *fentanyl*"), where
    the head word of a name usually stands, each with how specific it is. A word that a
    determiner or a pronoun follows takes an object ("fits *like* a key", "the metals
    *inside* them"): it ends the name before it."""
    determiners = lexicon.phrases("determiner")
    objects = determiners | lexicon.phrases("anaphora")
    spans = list(_SPAN.finditer(text))
    said = [m.group().casefold().replace("’", "'") for m in spans]
    run: list[tuple[str, float]] = []  # content words in a row, after a determiner
    for i, match in enumerate(spans):
        word = said[i]
        joined = i > 0 and not text[spans[i - 1].end() : match.start()].strip(_QUOTES)
        token = word_reading(word)[0]
        content = (bool(token) and len(word) >= 3 and word not in lexicon.question_words
                   and not word.endswith("'s")  # "Xi's scheduled": a possessive names none
                   and not (i + 1 < len(said) and (said[i + 1],) in objects))
        if run and not (joined and content):
            yield _phrase(run[-2:])
            run = []
        if content and (run or (joined and (said[i - 1],) in determiners)):
            run.append((match.group(), index.idf_of(token) / index.max_idf
                        + specificity(word) / SPECIFICITY_MAX))
    if run:
        yield _phrase(run[-2:])


def _phrase(words: list[tuple[str, float]]) -> tuple[str, float]:
    # Two capitalised words, or two lower-case ones, are more often one name or one thing
    # than a capitalised one beside a lower-case one ("Chinese spy"); one word alone names a
    # thing only if it is rare in English ("fentanyl", not "away").
    phrase = " ".join(w for w, _ in words)
    if len(words) == 1:
        return phrase, words[0][1] - 1.0 if specificity(phrase.casefold()) >= RARE else 0.0
    alike = words[0][0][:1].isupper() == words[1][0][:1].isupper()
    return phrase, words[0][1] + words[1][1] + 0.5 * alike
