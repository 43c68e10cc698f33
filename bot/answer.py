"""Answers: the passages that answer a question, quoted verbatim with the answering sentence
marked, or a plain refusal when the knowledge base does not hold the answer.

The question is read once (`question.read`); its evidence (`evidence.gather`) is weighed by the
fitted answer model (`config/weights.json`), which ranks the candidates and decides whether the
best one answers at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from bot import model as answer_model
from bot import sentences
from bot.evidence import FEATURES, Candidate, Evidence, gather, resolve
from bot.index import Hit, Index
from bot.knowledge import Passage
from bot.lexicon import Lexicon, general
from bot.model import AnswerModel
from bot.overview import leads
from bot.question import Intent, Query, read
from bot.titles import short_title

# What a passage holds of the question, in its own words, as synonyms or in its headings.
_HELD = [FEATURES.index(f) for f in ("coverage", "synonym_only", "heading_only")]
_KIND_MISSING = FEATURES.index("kind_missing")


@dataclass(frozen=True, slots=True)
class AnswerOptions:
    """The knobs of answer composition; `Settings` fills them from `BOT_*` variables. `model`
    is the fitted answer model (None: the shipped `config/weights.json`)."""

    min_coverage: float = 0.0  # a floor of the operator's own over the model's decision
    related_ratio: float | None = None  # None: the answer model's own, fitted
    max_citations: int = 3
    max_quote_chars: int = 600
    context_depth: int = 3
    candidates: int = 4  # the best by BM25 weighed sentence by sentence (more gain nothing)
    model: AnswerModel | None = None


DEFAULT_OPTIONS = AnswerOptions()


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a quote comes from. `quote` is a verbatim substring of the document's text, and
    `highlight` a verbatim substring of `quote` (at `highlight_at`): the sentence that answers."""

    passage_id: str
    document: str
    title: str
    section: str | None
    paragraph: int
    quote: str
    score: float
    url: str | None = None
    trimmed_start: bool = False
    trimmed_end: bool = False
    highlight: str = ""
    highlight_at: int = 0
    short_title: str = ""  # the title as a footnote names it (front matter `short_title`)
    source: str | None = None  # who published it ("Al-Jazeera"), from the document
    published: str | None = None  # when, as the document gives it ("2023-06-16")


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of one message: quotes with citations, or a refusal or a reply with
    example questions (`suggestions`). A message that asked several questions has an answer
    per question in `parts` (at most `MAX_PARTS`), and its own fields are the first part's."""

    question: str
    answered: bool
    citations: tuple[Citation, ...] = ()
    suggestions: tuple[str, ...] = ()
    # answered | empty | not_covered | no_fact | no_more | small_talk | other_language
    reason: str = "answered"
    scope: str = "the article"
    # What a follow-up to this answer is read with besides its question: the earlier questions
    # it was read with (for an overview, the lead it quoted).
    context: tuple[str, ...] = field(default=())
    intent: Intent = Intent.QUESTION  # how the question was read
    small_talk: str = ""  # its kind ("greeting", "thanks", ...; smalltalk.txt), for small talk
    language: str = ""  # the language the articles are in, for a question in another one
    parts: tuple[Answer, ...] = ()  # one answer per question, when the message asked several
    unanswered_parts: int = 0  # questions of the message beyond `MAX_PARTS`, not answered
    # The answer model's chance that the knowledge base answers the question at all (None when
    # the model did not weigh it: an overview, "tell me more"); kept in the question log.
    answerable: float | None = None


def shipped_model() -> AnswerModel:
    """The answer model in `config/weights.json`."""
    return answer_model.load(FEATURES)


def compose(
    question: str,
    index: Index,
    context: Sequence[str] = (),
    options: AnswerOptions = AnswerOptions(),
    lexicon: Lexicon | None = None,
    shown: Sequence[str] = (),
) -> Answer:
    """Answer `question` from `index`, reading it with `context` (earlier questions, newest
    first) when it is a follow-up, and with `lexicon` (the knowledge base's vocabulary).
    `shown`: the passages (ids) the conversation has quoted on its subject so far, which a
    request for more goes on from."""
    lexicon = lexicon or general()
    query = read(question, tuple(context)[: options.context_depth], lexicon)
    if query.intent is Intent.MORE:
        return more_answer(query, index, options, lexicon, shown)
    if query.intent is Intent.OVERVIEW and index.passages:
        return overview_answer(question, index, options)
    return decide(evaluate(query, index, options, lexicon), index, options)


def evaluate(query: Query, index: Index, options: AnswerOptions = AnswerOptions(),
             lexicon: Lexicon | None = None) -> Evidence:
    """The question's evidence, ranked by the answer model; read with the earlier questions
    when it leans on them, or when it says too little to be answered alone."""
    lexicon = lexicon or general()
    model = options.model or shipped_model()
    context = query.context
    if context and query.leans_on_context:
        return _ranked(query, index, options, lexicon, model, context)
    alone = _ranked(query, index, options, lexicon, model, ())
    if context and query.elliptical and not _acceptable(alone, model, options):
        with_context = _ranked(query, index, options, lexicon, model, context)
        if _acceptable(with_context, model, options):
            return with_context
    return alone


def _ranked(query: Query, index: Index, options: AnswerOptions, lexicon: Lexicon,
            model: AnswerModel, context: Sequence[Query]) -> Evidence:
    terms = resolve(query, index, model, context)
    evidence = gather(query, terms, index, lexicon, options.candidates)
    if not evidence.candidates:
        return evidence
    rows = np.array([c.row for c in evidence.candidates])
    scores = model.rank_scores(rows)
    order = (-scores).argsort(kind="stable")  # ties keep BM25's order
    ranked = scores[order]
    answerable = model.answerable(rows[order], ranked)
    # Each one's chance of being the passage that answers, if one does (the scores are
    # pairwise logistic: their softmax), times the chance that one does.
    share = np.exp(ranked - ranked[0])
    share /= share.sum()
    candidates = []
    for at, score, chance in zip(order.tolist(), ranked.tolist(), share.tolist(), strict=True):
        candidate = evidence.candidates[at]
        candidate.logit, candidate.probability = score, chance * answerable
        candidates.append(candidate)
    return replace(evidence, candidates=tuple(candidates), answerable=answerable)


def _acceptable(evidence: Evidence, model: AnswerModel, options: AnswerOptions) -> bool:
    """Whether the best candidate answers: the question is answerable by the model's reckoning
    and the passage holds enough of it."""
    return (bool(evidence.candidates) and evidence.answerable >= model.threshold
            and held(evidence.candidates[0]) >= options.min_coverage)


def held(candidate: Candidate) -> float:
    """The share of the question (its words weighed by idf) the passage holds at all."""
    return float(candidate.row[_HELD].sum())


def decide(evidence: Evidence, index: Index, options: AnswerOptions = AnswerOptions()) -> Answer:
    """Turn ranked evidence into an answer: the best candidate, if the model says it answers,
    and up to `max_citations - 1` more that come close to it."""
    model = options.model or shipped_model()
    query = evidence.query
    used = tuple(q.text for q in query.context) if evidence.terms.context else ()
    refusal = Answer(query.text, False, scope=scope_of(index), context=used,
                     answerable=evidence.answerable)
    if not query.has_content and not used:
        return replace(refusal, reason="empty")
    if not _acceptable(evidence, model, options):
        top = evidence.candidates[0] if evidence.candidates else None
        no_fact = (top is not None and top.row[_KIND_MISSING] > 0
                   and held(top) >= options.min_coverage)
        return replace(refusal, reason="no_fact" if no_fact else "not_covered")
    first, *others = evidence.candidates
    ratio = model.related_ratio if options.related_ratio is None else options.related_ratio
    chosen = [first, *(c for c in others if c.probability >= first.probability * ratio)]
    citations = tuple(cite(c.hit, options.max_quote_chars, c.probability, c.sentence,
                           c.read) for c in chosen[: options.max_citations])
    return Answer(query.text, True, citations, scope=scope_of(index), context=used,
                  answerable=evidence.answerable)


def more_answer(query: Query, index: Index, options: AnswerOptions, lexicon: Lexicon,
                shown: Sequence[str] = ()) -> Answer:
    """"Tell me more": the passages that answer the conversation's question and were not shown
    yet, best first; else the paragraph after one shown, where the story goes on; else "that
    is all". `shown` lists what the conversation quoted on its subject so far; without it, it
    is worked out again from the questions (answers are deterministic), as far back as they
    are kept. Without a question (a reply to an answer known only by its quotes), it reads on
    from what was shown."""
    context = tuple(q.text for q in query.context)
    refusal = Answer(query.text, False, scope=scope_of(index), reason="no_more",
                     context=context, intent=Intent.MORE)
    asked = next((i for i, q in enumerate(query.context) if q.intent is not Intent.MORE), None)
    if asked is None and not shown:  # nothing was asked, or it is further back than kept
        return replace(refusal, reason="empty")
    if not shown and asked is not None:
        shown = _shown_since(context, asked, index, options, lexicon)
        if not shown:  # the question itself went unanswered: there is no more of it
            return replace(refusal, reason="not_covered")
    seen = set(shown)
    chosen: list[tuple[Hit, int]] = []
    if asked is not None:
        original = read(context[asked], context[asked + 1 :], lexicon)
        chosen = [(c.hit, c.sentence) for c in _answering(original, index, options, lexicon)
                  if c.hit.passage.id not in seen]
    if not chosen:
        following = _following(index, shown, seen)
        chosen = [(Hit(following, 0.0, frozenset()), -1)] if following else []
    if not chosen:
        return refusal
    citations = tuple(cite(hit, options.max_quote_chars, sentence=sentence)
                      for hit, sentence in chosen[: options.max_citations])
    return Answer(query.text, True, citations, scope=scope_of(index), context=context,
                  intent=Intent.MORE)


def _shown_since(context: tuple[str, ...], asked: int, index: Index, options: AnswerOptions,
                 lexicon: Lexicon) -> tuple[str, ...]:
    """The passages the answer to `context[asked]`, and each request for more since, quoted."""
    shown: list[str] = []
    for i in range(asked, -1, -1):
        answer = compose(context[i], index, context[i + 1 :], options, lexicon, tuple(shown))
        shown.extend(c.passage_id for c in answer.citations)
    return tuple(shown)


def _answering(query: Query, index: Index, options: AnswerOptions,
               lexicon: Lexicon) -> list[Candidate]:
    """The candidates that answer `query`: the best, if the model says it answers, and those
    that come close enough to it."""
    model = options.model or shipped_model()
    evidence = evaluate(query, index, options, lexicon)
    if not _acceptable(evidence, model, options):
        return []
    ratio = model.related_ratio if options.related_ratio is None else options.related_ratio
    first, *others = evidence.candidates
    return [first, *(c for c in others if c.probability >= first.probability * ratio)]


def _following(index: Index, shown: Sequence[str], seen: set[str]) -> Passage | None:
    """The first paragraph not shown yet after a shown one, in that one's section (the next
    section is another subject), trying the passages in the order they were shown."""
    by_id = {p.id: p for p in _passages_of(index, shown)}
    passages = index.passages
    for passage_id in shown:
        here = by_id.get(passage_id)
        at = None if here is None else index.position(here.document.id, here.paragraph)
        if here is None or at is None:
            continue
        for i in range(at + 1, len(passages)):  # not a slice: that would copy the rest of them
            passage = passages[i]
            if passage.document is not here.document or passage.section != here.section:
                break
            if passage.id not in seen:
                return passage
    return None


def _passages_of(index: Index, ids: Sequence[str]) -> list[Passage]:
    """The passages with these ids ("document#paragraph"), found by position, not by a scan."""
    found = []
    for passage_id in ids:
        document, _, number = passage_id.rpartition("#")
        at = index.position(document, int(number)) if number.isdigit() else None
        if at is not None and index.passages[at].id == passage_id:
            found.append(index.passages[at])
    return found


def overview_answer(question: str, index: Index, options: AnswerOptions) -> Answer:
    """"What is this article about?": the leads, quoted and cited like any answer. They are
    not ranked by the question (its words are in no passage), so their score is 0."""
    chosen = leads(index.knowledge, options.max_citations)
    citations = tuple(cite(Hit(p, 0.0, frozenset()), options.max_quote_chars) for p in chosen)
    # What a follow-up ("when?", "who is he?") is read with: the news itself, the first
    # paragraph quoted (passages are in order of document id, then paragraph).
    lead = min(chosen, key=lambda p: (p.document.id, p.paragraph))
    return Answer(question, True, citations, scope=scope_of(index), context=(lead.text,),
                  intent=Intent.OVERVIEW)


def scope_of(index: Index, named: bool = False) -> str:
    """What the bot answers from, as its replies say it: "the article" or "the knowledge
    base"; `named`, for a greeting: "the article “Its Short Title”" or "3 articles"."""
    documents = index.knowledge.documents
    if not named:
        return "the article" if len(documents) == 1 else "the knowledge base"
    return f"the article “{short_title(documents[0])}”" if len(documents) == 1 else \
        f"{len(documents)} articles"


def cite(hit: Hit, max_chars: int, score: float | None = None, sentence: int = -1,
         read: Sequence[sentences.Sentence] | None = None) -> Citation:
    """A citation of the hit's passage: whole, or when it is long, the run of whole sentences
    around its answering sentence (`sentence`, the passage's sentence number; -1: none) that
    fits in `max_chars`. `read`: the passage's sentences, when they are at hand."""
    passage = hit.passage
    text = passage.text
    found = sentences.spans(text) if read is None else [(s.start, s.end) for s in read]
    start, end = trim(text, found, sentence, max_chars)
    mark_start, mark_end = (0, 0)
    if 0 <= sentence < len(found):
        mark_start, mark_end = sentences.clean(text, found[sentence])
        mark_start, mark_end = max(mark_start, start), min(mark_end, end)
    doc = passage.document
    quote = doc.text[passage.start + start : passage.start + end]
    highlight = quote[mark_start - start : mark_end - start] if mark_end > mark_start else ""
    return Citation(
        passage_id=passage.id, document=doc.id, title=doc.title, section=passage.section,
        paragraph=passage.paragraph, quote=quote,
        score=hit.score if score is None else score, url=doc.url,
        trimmed_start=start > 0, trimmed_end=end < len(text),
        highlight=highlight, highlight_at=mark_start - start if highlight else 0,
        short_title=short_title(doc), source=doc.source, published=doc.published,
    )


def trim(text: str, spans: Sequence[sentences.Span], centre: int,
         max_chars: int) -> tuple[int, int]:
    """The longest run of whole sentences around sentence `centre` (the first, if none) that
    fits in `max_chars`; one sentence longer than that is cut at a word."""
    if len(text) <= max_chars:
        return 0, len(text)
    if not spans:
        return 0, _cut(text, 0, max_chars)
    lo = hi = min(max(centre, 0), len(spans) - 1)
    while True:
        grown = False
        if hi + 1 < len(spans) and spans[hi + 1][1] - spans[lo][0] <= max_chars:
            hi, grown = hi + 1, True
        if lo > 0 and spans[hi][1] - spans[lo - 1][0] <= max_chars:
            lo, grown = lo - 1, True
        if not grown:
            break
    start, end = spans[lo][0], spans[hi][1]
    if end - start > max_chars:  # one sentence longer than the limit: cut it at a word
        end = _cut(text, start, max_chars)
    return start, end


def _cut(text: str, start: int, max_chars: int) -> int:
    cut = text.rfind(" ", start, start + max_chars)
    end = cut if cut > start else start + max_chars
    while end > start and text[end - 1].isspace():
        end -= 1
    return end
