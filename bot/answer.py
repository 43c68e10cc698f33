"""Answers: choosing the passages that answer a question, quoting them verbatim, and refusing
plainly when the knowledge base does not hold the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from bot.facts import QUESTION_LEAD, AskedFact, read_question
from bot.index import Hit, Index
from bot.knowledge import Passage
from bot.more import asks_for_more
from bot.overview import asks_for_overview, leads
from bot.text import (
    QueryTerm,
    analyze_question,
    content_words,
    is_known,
    normalize_question,
    specificity,
    stem,
    synonym_set,
    synonyms_of,
    tokenize,
    words,
)

# Words that point back at an earlier question: "where was *it* intercepted?"
_ANAPHORA = frozenset(
    (
        "it its it's they them their theirs he him his she her hers this that these those there "
        "then such same else another other former latter"
    ).split()
)
_CONTINUATION = re.compile(
    r"^\W*(?:and|but|so|also|what\s+about|how\s+about|what\s+else|anything\s+else|why\??$|"
    r"how\??$|when\??$|where\??$|who\??$)", re.IGNORECASE
)
_YES_NO = re.compile(
    QUESTION_LEAD + r"(?:is|are|was|were|did|does|do|will|can|could|has|have|had|should|would|"
    r"isn't|aren't|wasn't|weren't|didn't|doesn't|don't|won't|can't|hasn't|haven't)\b",
    re.IGNORECASE)
_WORD_SPAN = re.compile(r"[\w'’-]+")
_SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+[\"”’)\]]*|$)\s*")
SYNONYM_CREDIT = 0.6  # a concept matched only through a synonym counts for this much
GENERIC_IDF = 0.35  # below this share of the top idf, a word is the whole document's topic
IDF_FLOOR = 0.25  # what a word every passage holds still counts, relative to a rare one
COVERAGE_BIAS = 0.5  # how far coverage may reorder BM25's ranking
CONTEXT_CREDIT = 0.5  # ...and one matched only by the title or section heading
UNKNOWN_SHARE = 0.5  # from this share of unknown words, a yes/no question goes unanswered
UNKNOWN_SHARE_ANY = 0.6  # ...and any other question ("what's the weather in Beijing?")
GENERIC_WIDEN = 3  # how many times more candidates a fact question of generic words looks at
TENSE_PENALTY = 0.5  # a "when" answer about another time than asked goes after the others


@dataclass(frozen=True, slots=True)
class AnswerOptions:
    """The knobs of answer composition; `Settings` fills them from `BOT_*` variables."""

    min_coverage: float = 0.25
    min_own_coverage: float = 0.25
    min_score_ratio: float = 0.2
    fact_ratio: float = 0.3
    related_ratio: float = 0.5
    max_citations: int = 3
    max_quote_chars: int = 600
    context_weight: float = 0.5
    context_depth: int = 3
    candidates: int = 10


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a quote comes from. `quote` is a verbatim substring of the document's text."""

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


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of one question: quotes with citations, or a refusal with suggestions."""

    question: str
    answered: bool
    citations: tuple[Citation, ...] = ()
    suggestions: tuple[str, ...] = ()
    reason: str = "answered"  # answered | empty | not_covered | no_fact | no_more
    scope: str = "the article"
    # What a follow-up to this answer is read with besides its question: the earlier questions
    # it was read with (for an overview, the lead it quoted).
    context: tuple[str, ...] = field(default=())


@dataclass(slots=True, eq=False)
class Candidate:
    """A hit with the evidence used to accept or refuse it. (Not frozen: a question makes ten
    or thirty, and a frozen dataclass costs twice as much to make; nothing changes one but its
    own fact check, remembered below.)"""

    hit: Hit
    coverage: float
    fact: AskedFact | None = None  # the kind of fact the question asks for, if any
    own_coverage: float = 1.0
    holds_every_word: bool = False  # its own text holds every word the question asked
    other_time: bool = False  # about another time than the "when" question asks about
    topical: bool = False  # every word asked is the document's topic, held by most passages
    # Checking the fact costs more than the rest of a candidate, and most candidates are
    # refused for their words before it matters: it is checked once, when first asked.
    _held: bool | None = field(default=None, repr=False)

    @property
    def fact_ok(self) -> bool:
        """Whether the passage holds the kind of fact asked for (always, if none is asked)."""
        if self.fact is None:
            return True
        if self._held is None:
            self._held = self.fact.held_by(self.hit.passage.text)
        return self._held

    @property
    def rank(self) -> float:
        """BM25 ranks by shared words; a passage holding more of what was asked goes first."""
        return self.hit.score * (COVERAGE_BIAS + self.coverage) * (
            TENSE_PENALTY if self.other_time else 1.0)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the decision needs, computed once (calibration re-decides it many times)."""

    question: str
    candidates: tuple[Candidate, ...]
    has_content: bool
    context: tuple[str, ...]
    unknown_names: tuple[str, ...] = ()
    mostly_unknown: bool = False  # a question mostly in words no passage uses


def gather(
    question: str,
    index: Index,
    context: Sequence[str] = (),
    options: AnswerOptions = AnswerOptions(),
) -> Evidence:
    """Search for `question`, with earlier questions when it leans on them."""
    original, question = question, normalize_question(question)
    fact = read_question(question)
    own = analyze_question(question, index.vocabulary, index.typos)
    if fact is not None and fact.unit_words:
        own = [t for t in own if t.word.lower() not in fact.unit_words]
    has_content = any(t.origin in ("asked", "typo") for t in own)
    context = tuple(context)[: options.context_depth]
    used: tuple[str, ...] = ()
    if context and _leans_on_context(question, own):
        used = context
        candidates = _search(question, own, index, used, fact, options)
    else:
        candidates = _search(question, own, index, (), fact, options)
        if context and _is_elliptical(question) and not _acceptable(candidates, index, options):
            retry = _search(question, own, index, context, fact, options)
            if _acceptable(retry, index, options):
                candidates, used = retry, context
    return Evidence(original, candidates, has_content or bool(used), used,
                    unknown_names(question, index),
                    not used and _unknown_share(own, index) >= (
                        UNKNOWN_SHARE if _YES_NO.match(question) else UNKNOWN_SHARE_ANY))


def unknown_names(question: str, index: Index) -> tuple[str, ...]:
    """Names the question uses that no passage holds ("Will Blinken meet *Wang Yi*?").

    A question about someone or something the knowledge base never mentions is not answered
    by a passage that shares its other words. Capitalised words count as names unless they
    open a sentence or the whole question is in title case.
    """
    found = list(_WORD_SPAN.finditer(question))
    capitals = [m for m in found if m.group()[0].isupper() and not _opens_sentence(question, m)]
    if not capitals:
        return ()
    # "What Did Xi Say To Gates?" capitalises every word, names or not; "Will Blinken visit
    # Taiwan?" leaves "visit" small, so its capitals are names.
    small = [m for m in found if not m.group()[0].isupper()]
    if not any(content_words(m.group()) for m in small) and sum(
            1 for m in found if m.group()[0].isupper() and content_words(m.group())) >= 3:
        return ()
    names = []
    for match in capitals:
        for word in content_words(match.group()):
            if is_known(stem(word), index) or index.typos.correct(word) is not None:
                continue
            names.append(match.group())
    return tuple(names)


def _unknown_share(own: list[QueryTerm], index: Index) -> float:
    """How much of what the question asks is in words the knowledge base never uses, nor any
    synonym of them, weighted by how specific each word is."""
    asked = [t for t in own if t.origin in ("asked", "typo")]
    unknown = [t for t in asked if t.origin == "asked" and not is_known(t.token, index)]
    total = sum(specificity(t.word) for t in asked)
    return sum(specificity(t.word) for t in unknown) / total if total else 0.0


def _opens_sentence(question: str, match: re.Match[str]) -> bool:
    before = question[: match.start()].rstrip()
    return not before or before[-1] in ".!?:;\"“(«" or match.group() == "I"


def _leans_on_context(question: str, own: list[QueryTerm]) -> bool:
    if not any(t.origin in ("asked", "typo") for t in own):
        return True
    return bool(_ANAPHORA.intersection(words(question)) or _CONTINUATION.match(question))


def _is_elliptical(question: str) -> bool:
    return len(content_words(question)) <= 2


def _search(
    question: str,
    own: list[QueryTerm],
    index: Index,
    context: tuple[str, ...],
    fact: AskedFact | None,
    options: AnswerOptions,
) -> tuple[Candidate, ...]:
    terms = list(own)
    seen = {t.token for t in own}
    weight = options.context_weight
    for earlier in context:
        for term in analyze_question(normalize_question(earlier), index.vocabulary, index.typos):
            if term.token not in seen:
                terms.append(QueryTerm(term.token, term.weight * weight, "context", term.word))
                seen.add(term.token)
        weight *= options.context_weight
    # What a passage must hold: the asked words, and for a follow-up the earlier question's
    # words at their lower weight ("where was *it* intercepted?" is also about the balloon).
    concepts = [t for t in terms if t.origin in ("asked", "typo", "context")]
    asked = [t for t in own if t.origin in ("asked", "typo")]
    generic = bool(asked) and all(_is_topic(t.token, index) for t in asked)
    if generic:
        # "Why is Blinken going to China?" about an article on exactly that: every passage
        # shares the asked words, so what singles out the answer is that it gives a reason.
        terms = [QueryTerm(t.token, 1.0, t.origin, t.word) if t.origin == "why" else t
                 for t in terms]
    # When every asked word is the document's topic, BM25 orders its passages by little more
    # than their length: the one holding the asked-for fact ("When is Blinken going to
    # China?") may rank anywhere, so more are looked at.
    hits = index.search(terms, k=options.candidates * (GENERIC_WIDEN if generic and fact else 1))
    weighted_concepts = _weigh(concepts, index)
    asked_tokens = {t.token for t in asked}
    weighted_asked = [w for w in weighted_concepts if w[0] in asked_tokens]
    candidates = [
        Candidate(hit, _coverage(weighted_concepts, hit), fact,
                  _coverage(weighted_asked, hit) if asked and len(asked) < len(concepts) else 1.0,
                  bool(asked_tokens) and asked_tokens <= hit.in_text,
                  fact is not None and fact.other_time(hit.passage.text), generic)
        for hit in hits
    ]
    candidates.sort(key=lambda c: -c.rank)
    return tuple(candidates)


def _is_topic(token: str, index: Index) -> bool:
    """Whether a word is what the whole document is about: most passages hold it, or a synonym
    of it ("trip", once in an article that says "visit" throughout; "heading" for "visit")."""
    cut = GENERIC_IDF * index.max_idf
    if token in index and index.idf_of(token) < cut:
        return True
    return any(index.idf_of(s) < cut for s in synonyms_of(token) if s in index)


Weighted = list[tuple[str, float, frozenset[str]]]  # token, weight, its synonyms


def _weigh(concepts: list[QueryTerm], index: Index) -> Weighted:
    """Each concept once, weighted by how specific the asked word is. A word most passages
    share ("China" in an article about China) tells little about whether this passage is the
    one that answers, so the corpus's idf scales it too."""
    weighted: Weighted = []
    for term in {t.token: t for t in concepts}.values():
        distinct = index.idf_of(term.token) / index.max_idf
        weight = specificity(term.word) * term.weight * (IDF_FLOOR + (1 - IDF_FLOOR) * distinct)
        weighted.append((term.token, weight, synonym_set(term.token)))
    return weighted


def _coverage(weighted: Weighted, hit: Hit) -> float:
    """Share of the question's weighted concepts the passage itself holds. A word found only in
    the title or section heading counts for half: it says what the whole document is about,
    not what this passage answers."""
    body = hit.in_text
    total = matched = 0.0
    for token, weight, synonyms in weighted:
        total += weight
        if token in body:
            matched += weight
        elif not synonyms.isdisjoint(body):
            matched += weight * SYNONYM_CREDIT
        elif token in hit.matched:
            matched += weight * CONTEXT_CREDIT
    return matched / total if total else 0.0


def _acceptable(candidates: tuple[Candidate, ...], index: Index, options: AnswerOptions) -> bool:
    covered = _covered(candidates, index, options)
    return next(_with_fact(candidates, covered, options), None) is not None


def _covered(
    candidates: tuple[Candidate, ...], index: Index, options: AnswerOptions
) -> list[Candidate]:
    """The candidates that hold enough of what was asked to answer it."""
    # A passage that shares only words every passage has (the title's) is no evidence at all...
    floor = options.min_score_ratio * index.max_idf
    return [
        c for c in candidates
        if c.coverage >= options.min_coverage and c.own_coverage >= options.min_own_coverage
        # ...unless its own text holds every asked word: "Who is Antony Blinken?" about an
        # article on him is answered by the passage that names him with his role.
        and (c.hit.score >= floor or c.holds_every_word
             # ...or the question asks for a fact about the topic itself ("When is Blinken
             # going to China?"): then the fact, checked next, is the evidence.
             or (c.topical and c.fact is not None))
    ]


def _with_fact(
    candidates: tuple[Candidate, ...], covered: list[Candidate], options: AnswerOptions
) -> Iterator[Candidate]:
    """The covered candidates that hold the kind of fact asked for, best first; checked one
    at a time, so that only as many are checked as the answer quotes."""
    if not candidates:
        return
    best_score = max(c.hit.score for c in candidates)
    # The passage that holds the asked-for fact may rank below one that only shares words,
    # but not far below: then the words it shares are probably incidental. Not so when its own
    # text holds every asked word: "Who is the US secretary of state?" about an article headed
    # by him scores low on words every passage shares, and its answer says so in full. Nor
    # when every asked word is the topic: then scores differ by little more than length.
    floor = best_score * options.fact_ratio
    yield from (c for c in covered
                if (c.hit.score >= floor or c.holds_every_word or c.topical) and c.fact_ok)


def decide(evidence: Evidence, index: Index, options: AnswerOptions = AnswerOptions()) -> Answer:
    """Turn evidence into an answer: the best acceptable passage and up to two related ones."""
    scope = scope_of(index)
    refusal = Answer(evidence.question, False, suggestions=suggestions(index), scope=scope,
                     context=evidence.context)
    if not evidence.has_content:
        return replace(refusal, reason="empty")
    # "Did the balloon carry any weapons?" of an article that never mentions either: a
    # passage about the balloon can neither confirm it nor deny it; nor does one about
    # Beijing tell "what's the weather in Beijing this weekend?".
    refused = evidence.unknown_names or evidence.mostly_unknown
    covered = [] if refused else _covered(evidence.candidates, index, options)
    if not covered:
        return replace(refusal, reason="not_covered")
    # A "when" answer about another time than asked comes only after every other.
    covered.sort(key=lambda c: c.other_time)
    accepted = _with_fact(evidence.candidates, covered, options)
    first = next(accepted, None)
    if first is None:
        return replace(refusal, reason="no_fact")
    chosen = [first]
    for c in accepted:
        if len(chosen) >= options.max_citations:
            break
        if c.hit.score >= first.hit.score * options.related_ratio:
            chosen.append(c)
    citations = tuple(cite(c.hit, options.max_quote_chars, c.rank) for c in chosen)
    return Answer(evidence.question, True, citations, scope=scope, context=evidence.context)


def compose(
    question: str,
    index: Index,
    context: Sequence[str] = (),
    options: AnswerOptions = AnswerOptions(),
) -> Answer:
    """Answer `question` from `index`, reading it with `context` (earlier questions, newest
    first) when it is a follow-up."""
    normalized = normalize_question(question)
    if context and asks_for_more(normalized):
        return more_answer(question, index, tuple(context), options)
    if asks_for_overview(normalized, bool(context)) and index.passages:
        return overview_answer(question, index, options)
    return decide(gather(question, index, context, options), index, options)


def more_answer(
    question: str, index: Index, context: tuple[str, ...], options: AnswerOptions
) -> Answer:
    """"Tell me more": the passages that answer the conversation's question and were not shown
    yet, best first; else the paragraph after the last one shown, where the story goes on.

    What was shown is worked out again from the conversation (answers are deterministic), so
    this needs no memory beyond the earlier questions the adapter already keeps."""
    refusal = Answer(question, False, suggestions=suggestions(index), scope=scope_of(index),
                     reason="no_more", context=context)
    asked = next((i for i, q in enumerate(context)
                  if not asks_for_more(normalize_question(q))), None)
    if asked is None:  # the question is further back than the conversation is kept
        return replace(refusal, reason="empty")
    shown: list[Citation] = []
    for i in range(asked, -1, -1):  # the answer to the question, then each "more" since
        shown.extend(compose(context[i], index, context[i + 1 :], options).citations)
    if not shown:  # the question itself went unanswered: there is no more of it
        return replace(refusal, reason="not_covered")
    seen = {c.passage_id for c in shown}
    evidence = gather(context[asked], index, context[asked + 1 :], options)
    covered = _covered(evidence.candidates, index, options)
    chosen = [c.hit for c in _with_fact(evidence.candidates, covered, options)
              if c.hit.passage.id not in seen][: options.max_citations]
    if not chosen:
        following = _following(index, shown[-1], seen)
        chosen = [Hit(following, 0.0, frozenset())] if following else []
    if not chosen:
        return refusal
    citations = tuple(cite(hit, options.max_quote_chars) for hit in chosen)
    return Answer(question, True, citations, scope=scope_of(index), context=context)


def _following(index: Index, shown: Citation, seen: set[str]) -> Passage | None:
    """The first paragraph after `shown` in its section that was not shown yet (the next
    section is another subject)."""
    passages = index.passages
    at = index.position(shown.document, shown.paragraph)
    if at is None:
        return None
    here = passages[at]
    for i in range(at + 1, len(passages)):  # not a slice: that would copy the rest of them
        passage = passages[i]
        if passage.document is not here.document or passage.section != here.section:
            return None
        if passage.id not in seen:
            return passage
    return None


def overview_answer(question: str, index: Index, options: AnswerOptions) -> Answer:
    """"What is this article about?": the leads, quoted and cited like any answer. They are
    not ranked by the question (its words are in no passage), so their score is 0."""
    chosen = leads(index.knowledge, options.max_citations)
    citations = tuple(cite(Hit(p, 0.0, frozenset()), options.max_quote_chars) for p in chosen)
    # What a follow-up ("when?", "who is he?") is read with: the news itself, the first
    # paragraph quoted (passages are in order of document id, then paragraph).
    lead = min(chosen, key=lambda p: (p.document.id, p.paragraph))
    return Answer(question, True, citations, scope=scope_of(index), context=(lead.text,))


def scope_of(index: Index) -> str:
    """What an answer says it searched: "the article", or "the knowledge base"."""
    return "the article" if len(index.knowledge.documents) == 1 else "the knowledge base"


def suggestions(index: Index, limit: int = 5) -> tuple[str, ...]:
    """What the knowledge base can answer: its section headings, else its titles."""
    if len(index.knowledge.documents) == 1 and index.sections:
        return index.sections[:limit]
    return tuple(d.title for d in index.knowledge.documents[:limit])


def cite(hit: Hit, max_chars: int, score: float | None = None) -> Citation:
    """A citation of the hit's passage, trimmed at sentence boundaries when it is long."""
    passage = hit.passage
    start, end = _trim(passage.text, hit.matched, max_chars)
    doc = passage.document
    return Citation(
        passage_id=passage.id, document=doc.id, title=doc.title, section=passage.section,
        paragraph=passage.paragraph, quote=doc.text[passage.start + start : passage.start + end],
        score=hit.score if score is None else score, url=doc.url,
        trimmed_start=start > 0, trimmed_end=end < len(passage.text),
    )


def _trim(text: str, matched: frozenset[str], max_chars: int) -> tuple[int, int]:
    if len(text) <= max_chars:
        return 0, len(text)
    spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]
    if not spans:
        return 0, max_chars
    best = max(range(len(spans)),
               key=lambda i: (len(matched.intersection(tokenize(text[slice(*spans[i])]))), -i))
    lo = hi = best
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
        cut = text.rfind(" ", start, start + max_chars)
        end = cut if cut > start else start + max_chars
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
