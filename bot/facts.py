"""What kind of fact a question asks for (an amount, a time, a place, a person) and whether a
passage holds a fact of that kind: a passage that merely shares the question's words does not
answer "how much fentanyl…?" unless it gives an amount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from bot.text import stem, synonyms_of, tokenize

# What may open a question before its question word: "and when…?", "ok so who…?".
QUESTION_LEAD = r"^\W*(?:(?:and|but|so|ok|okay|then|also|now|well)\W+)*"


class FactKind(Enum):
    QUANTITY = "quantity"
    TIME = "time"
    PLACE = "place"
    PERSON = "person"
    SPEECH = "speech"
    REASON = "reason"


# Titles a person holds: "which (Chinese foreign) minister…" asks who holds one.
_ROLES = (r"(?:officials?|leaders?|president|presidents|ministers?|secretary|ambassadors?|"
          r"diplomats?|spokes(?:man|woman|person)|envoys?|senators?|governors?|mayors?|"
          r"premier|chancellor|generals?|commanders?|founders?|ceo|chief|director|king|queen)")

_ASKS: tuple[tuple[FactKind, re.Pattern[str]], ...] = (
    # How long it has been since something ("how long ago", "how many years since") is asked
    # as a time: "since 2019" answers it, though a year is no amount.
    (FactKind.TIME, re.compile(
        r"\bhow\s+long\s+(?:ago|has\s+it\s+been|since)\b|\bsince\s+when\b"
        r"|\bhow\s+many\s+(?:years|months|weeks|days)\s+(?:ago|since|has\s+it\s+been|"
        r"have\s+passed)\b", re.IGNORECASE)),
    (FactKind.SPEECH, re.compile(
        r"\bwhat\s+(?:did|does|do|will|would|has|have|had)\b.*\b(?:say|said|tell|told|talk|"
        r"discuss|discussed|announce|state|write|wrote|post|tweet|comment|speak|reply|respond|"
        r"agree|promise|pledge)"
        r"\w*\b|\bwhat\s+(?:was|were)\b.*\b(?:said|discussed|announced|agreed)\b"
        # What someone thinks of something is known from what they said...
        r"|\bwhat\s+(?:does|do|did|will|would)\b.*\b(?:think|thinks|thought|believe|"
        r"believes|feel|feels|felt)\b|\b(?:opinion|opinions)\s+(?:of|on|about)\b"
        # ...and how someone reacted is what they said or did in response.
        r"|\bhow\s+(?:did|does|do|has|have|had|will|would|is|are|was|were)\b.*"
        r"\b(?:react|respond|reply|replie|take|took|receive)\w*\b"
        r"|\b(?:reaction|response|responses|reactions)\b", re.IGNORECASE)),
    (FactKind.QUANTITY, re.compile(
        r"\bhow\s+(?:many|much|long|old|far|close|near|big|large|often|high|low|tall|fast)\b"
        r"|\bwhat\s+(?:number|percentage|percent|amount|proportion|share|size|age|price|cost)\b"
        r"|\b(?:number|amount)\s+of\b|\bwhat\s+(?:did|does|do|will|would)\b.*\bcost\b"
        r"|\bhow\s+expensive\b"
        r"|(?:'s|’s|s'|s’)\s+(?:age|height|weight|salary|population|budget|size|net\s+worth|"
        r"worth)\b|\bnet\s+worth\b"
        r"|\b(?:age|height|population|budget|salary)\s+of\b", re.IGNORECASE)),
    (FactKind.TIME, re.compile(
        QUESTION_LEAD + r"when\b|\bwhen\s*\?*\s*$"  # ...or last: "blinken china trip when?"
        r"|\b(?:what|which)\s+(?:\w+\s+)?(?:year|day|date|time|month|week|hour|season)\b"
        # "what was the original date of the trip"
        r"|\bwhat(?:'s|’s|\s+is|\s+was|\s+are|\s+were)\s+the\s+(?:\w+\s+)?(?:date|dates|day)\b"
        r"|\bon\s+what\s+date\b|\bhow\s+soon\b|\b(?:date|dates|deadline|timeline|schedule)\s*\??$",
        re.IGNORECASE)),
    (FactKind.PLACE, re.compile(
        QUESTION_LEAD + r"where\b|\bwhere\s*\?*\s*$"
        r"|\b(?:in|at|to|from)\s+(?:what|which)\s+(?:country|city|place|location|region|state|"
        r"town|sea|area)\b|\b(?:what|which)\s+(?:country|countries|"
        r"city|cities|places?|locations?|regions?|towns?)\b"
        # "Which US state…", "which European countries…" ("what state is it in" is no place).
        r"|\bwhich\s+(?:[\w'-]+\s+)?(?:countries|country|cities|city|states?|provinces?|"
        r"regions?|towns?)\b", re.IGNORECASE)),
    (FactKind.REASON, re.compile(
        QUESTION_LEAD + r"(?:why|how\s+come)\b|\bwhat(?:'s|’s|\s+is|\s+was)\s+the\s+reason\b"
        r"|\bfor\s+what\s+(?:reason|purpose)\b", re.IGNORECASE)),
    (FactKind.PERSON, re.compile(
        QUESTION_LEAD + r"(?:who|whom)\b|\bwhose\b|\b(?:what|which)\s+(?:person|people|company|"
        r"organi[sz]ation|group)\b|\b(?:what|which)\s+(?:[\w'-]+\s+){0,2}?" + _ROLES + r"\b",
        re.IGNORECASE)),
)

_ABOUT_THE_TEXT = re.compile(
    r"\b(?:article|text|story|piece|report|author|writer|it|you|source|paper|page|post)\s+"
    r"(?:say|says|said|tell|told|talk|write|wrote|mention|bring|brings|raise|raises|"
    r"discuss|discusses|cite|cites|refer|refers)", re.IGNORECASE)
_MONTHS = (
    "january february march april may june july august september october november december jan "
    "feb mar apr jun jul aug sep sept oct nov dec"
).split()
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions trillion dozen "
    "dozens half twice double triple percent several"
).split()
_DIGITS = re.compile(r"\d")
_YEARS = re.compile(r"(?<![\d.,$£€])\b(?:1[5-9]|20)\d\d\b(?![.,]\d|\s*%)")
_WORD = re.compile(r"\w+")
# Facts are found by looking words up in sets: one regex alternation of dozens of words, tried
# at every position of every candidate passage, cost more than the rest of an answer.
_NUMBERS = frozenset(_NUMBER_WORDS)
_TIME_WORDS = frozenset(_MONTHS + _DAYS + (
    "today tomorrow yesterday tonight ago weekend since until morning evening afternoon spring "
    "summer autumn winter").split())
_TIME_PHRASE = re.compile(  # on lower-cased text
    r"\b(?:1[5-9]|20)\d\d\b|\b\d{1,2}[/.-]\d{1,2}\b|\b(?:last|next|this|past|coming)\s+"
    r"(?:week|month|year|decade|century|few\s+years)\b"
    # How soon: "within days", "in two weeks", "for weeks", "soon", "shortly".
    r"|\b(?:within|in|for|after)\s+(?:a\s+few\s+|several\s+|a\s+couple\s+of\s+|\w+\s+)?"
    r"(?:hours|days|weeks|months|years)\b|\b(?:soon|shortly|imminently|immediately)\b")
# Without a digit or one of these words, no time phrase can occur: most passages skip it.
_TIME_CUES = frozenset("week month year years decade century hours days weeks months soon "
                       "shortly imminently immediately".split())
# "On what date…" asks for a day: a passage that gives only the month does not say.
# "What time does he land?" asks for the hour; "what time of year" does not.
_MONEY_ASKED = re.compile(r"\b(?:cost|costs|costing|price|prices|priced|spend|spent|spending|"
                          r"pay|paid|paying|budget|worth|money|expensive|fund|funds|funding)\b",
                          re.IGNORECASE)
_MONEY = re.compile(  # on lower-cased text
    r"[$£€¥]\s?\d|\b\d[\d,.]*\s*(?:k|m|bn)?\s*(?:dollars?|usd|euros?|pounds?|yuan|rmb|"
    r"renminbi|yen|rupees?|francs?)\b|\b(?:million|billion|trillion)\b")
_HOUR_ASKED = re.compile(r"\b(?:what|which)\s+(?:time|hour)\b(?!\s+of\b)", re.IGNORECASE)
_EXACT = re.compile(r"\b(?:exact|exactly|precise|precisely)\b", re.IGNORECASE)
_CLOCK = re.compile(  # on lower-cased text
    r"\b\d{1,2}(?::\d\d)?\s*(?:a\.?m\b\.?|p\.?m\b\.?)|\b\d{1,2}:\d\d\b|\bo'clock\b"
    r"|\b(?:noon|midnight|morning|afternoon|evening|night|overnight|tonight|dawn|dusk)\b")
_TIME_UNIT = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?(day|date|year|month)\b", re.IGNORECASE)
_DAY_WORDS = frozenset([*_DAYS, "today", "tomorrow", "yesterday", "tonight"])
_UNIT_WORDS = {
    "day": frozenset(["day", "days", "week", "weekday"]), "date": frozenset(["date", "dates"]),
    "year": frozenset(["year", "years"]), "month": frozenset(["month", "months"]),
    "hour": frozenset(["hour", "hours"]),
}
_MONTH_WORDS = frozenset(_MONTHS)
_MONTH_ALTERNATION = "|".join(_MONTHS)
_DAY_OF_MONTH = re.compile(  # on lower-cased text
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:" + _MONTH_ALTERNATION + r")\b"
    r"|\b(?:" + _MONTH_ALTERNATION + r")\s+\d{1,2}\b")
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b|\b(?:last|next|this)\s+year\b")  # lower-cased
_IDENTITY = re.compile(r"\bwho\s+(?:is|was|are|were|'s)\s+(?!the\b|a\b|an\b|this\b|that\b|it\b)"
                       r"\w+\s*\??\s*$", re.IGNORECASE)
# "Who is the US ambassador to China?" asks who holds a role: only a passage that names the
# role can say, however many of the other words it shares.
# The role is a noun, never a participle: in "who is the Chinese leader *seeing* in Beijing",
# the leader is the role and "seeing" ends it.
_ROLE_HOLDER = re.compile(
    r"\bwho\s+(?:is|was|are|were|'s|will\s+be)\s+(?:the|a|an)\s+(?:[\w'-]+\s+){0,3}?"
    r"([\w'-]+)(?<!ing)\s*(?:\bof\s+((?:[\w'-]+\s*){1,4}?)\s*(?:[?.!]|$)|"
    r"\b(?:to|of|in|at|for|from|on|with|who|that|which|whom)\b|\b[\w'-]+ing\b|[?.!]|$)"
    # "Which (Chinese foreign) minister is Blinken meeting?" asks who holds that title.
    r"|\b(?:which|what)\s+(?:[\w'-]+\s+){0,2}?(" + _ROLES + r")\b",
    re.IGNORECASE)
_PLACE_WORDS = frozenset(
    "territory territories sea ocean country countries city capital region border airspace "
    "island province state coast strait abroad overseas headquarters".split())
_PERSON_WORDS = frozenset(
    "official officials president secretary minister founder leader leaders diplomat diplomats "
    "spokesman spokeswoman spokesperson americans people citizens government administration "
    "sides nations countries ambassador envoy chief ceo director general king queen prime "
    "officer team company army military".split())
_SPEECH_WORDS = frozenset(
    "said says say told tells stated announced announces discussed discusses added noted "
    "declared remarked warned urged agreed agree wrote tweeted commented spoke speaks replied "
    "responded insisted argued claimed recognize recognise recognizes recognises recognized "
    "recognised acknowledge acknowledges acknowledged admitted admits conceded affirmed "
    "confirmed reacted reacts responds condemned condemns welcomed welcomes criticized "
    "criticised protested denied denies praised blamed accused rejected".split())
_REASON_WORDS = frozenset(
    "because due since as so therefore thus hence amid after following given result results "
    "resulting cause causes caused led lead leads sparked triggered prompted reason reasons "
    "aim aims aimed objective objectives purpose goal goals seek seeks seeking sought intend "
    "intends intended intention order need needs needed necessary require requires required "
    "requiring must should crucial essential vital important importance significance "
    "significant urgency urgent underscores underscore underscored highlights highlight "
    "highlighted demonstrates demonstrating shows signals means help helps helping allow "
    "allows enable enables opportunity depend depends depending hope hopes hoping "
    "focus focused why".split())
_SPEECH_PHRASE = re.compile(  # on lower-cased text
    r"\baccording\s+to\b|\bcalled\s+for\b|[\"“][^\"”]{30,}[\"”]")
_CAPITAL = re.compile(r"\b[A-Z]")
_SPEECH_CUES = frozenset(("according", "called"))  # without them (or a quote), no phrase
_PROPER_WORD = re.compile(r"[A-Z][\w'’-]+")
_NOT_NAMES = {m.capitalize() for m in _MONTHS + _DAYS} | {"I"}


# Each kind's pattern can only match a question holding one of these words (the question word,
# or what follows "what"/"how"): most questions skip most patterns, tried at every position.
_ASK_CUES: dict[FactKind, frozenset[str]] = {
    FactKind.SPEECH: frozenset({"what", "how", "reaction", "reactions", "response",
                                "responses", "opinion", "opinions"}),
    FactKind.QUANTITY: frozenset(
        "many much long old far close near big large often high low tall fast number expensive "
        "percentage percent amount proportion share size age price cost height weight salary "
        "population budget worth".split()),
    FactKind.TIME: frozenset(
        "when year day date time month week hour season soon dates deadline timeline schedule "
        "long since many".split()),
    FactKind.PLACE: frozenset(
        "where country countries city cities place places location locations region regions "
        "state states town towns sea area province provinces".split()),
    FactKind.PERSON: frozenset(
        "who whom whose person people company organization organisation group official "
        "officials leader leaders president presidents minister ministers secretary "
        "ambassador ambassadors diplomat diplomats spokesman spokeswoman spokesperson envoy "
        "envoys senator senators governor governors mayor mayors premier chancellor general "
        "generals commander commanders founder founders ceo chief director king queen".split()),
    FactKind.REASON: frozenset({"why", "come", "reason", "purpose"}),
}


def asked_kind(question: str) -> FactKind | None:
    """The kind of fact the question asks for, if it asks for one of the checkable kinds."""
    present = set(_WORD.findall(question.lower()))
    for kind, pattern in _ASKS:
        if present.isdisjoint(_ASK_CUES[kind]) or not pattern.search(question):
            continue
        if kind in (FactKind.SPEECH, FactKind.REASON) and _ABOUT_THE_TEXT.search(question):
            # "What does the article say about X" asks about X, not for a quote; "why does
            # the article bring up X" asks what X has to do with it, not for a cause.
            continue
        return kind
    return None


_PAST = re.compile(r"\b(?:was|were|had|did)\b", re.IGNORECASE)
_NOT_PAST = re.compile(r"\b(?:is|are|am|will|shall|going\s+to|set\s+to|plans?\s+to|"
                       r"scheduled\s+to|expected\s+to)\b", re.IGNORECASE)
_ASKED_PAST = re.compile(QUESTION_LEAD + r"(?:when|what\s+\w+|which\s+\w+)\W+(?:\w+\W+)?"
                         r"(?:was|were|did|had)\b", re.IGNORECASE)
_ASKED_NOT_PAST = re.compile(QUESTION_LEAD + r"(?:(?:when|what\s+\w+|which\s+\w+)\W+(?:\w+\W+)?"
                             r"(?:is|are|will|does|do|'s)\b|when['’](?:s|re|ll)\b)",
                             re.IGNORECASE)
_PAST_REFERENCE = re.compile(  # on lower-cased text
    r"\bsince\s+(?:the\s+)?[\w-]+|\b[\w-]+\s+(?:years?|months?|weeks?|days?)\s+ago\b"
    r"|\b(?:last|past|previous)\s+(?:few\s+|two\s+|three\s+)?[\w-]+")
_FUTURE_REFERENCE = re.compile(  # on lower-cased text
    r"\b(?:within|in|for)\s+(?:a\s+few\s+|several\s+|a\s+couple\s+of\s+|\w+\s+)?"
    r"(?:hours|days|weeks|months|years)\b|\b(?:soon|shortly|imminently)\b"
    r"|\b(?:next|coming|upcoming)\s+[\w-]+")
# Words without which those references cannot occur: most passages skip the regex.
_PAST_CUES = frozenset("since ago last past previous".split())
_FUTURE_CUES = frozenset(
    "hours days weeks months years soon shortly imminently next coming upcoming".split())


@dataclass(frozen=True, slots=True)
class AskedFact:
    """What a question asks for, read once, so that each candidate passage is only checked.

    `past` is None unless a "when" question says whether it asks about what was or what will
    be; `unit` is the unit of time it names ("day", "date", "year", "month"); `role` holds, for
    "who is the president of the United States?", each thing a passage must name, as the stems
    that name it.
    """

    kind: FactKind
    past: bool | None = None
    unit: str | None = None
    role: tuple[frozenset[str], ...] = ()
    identity: bool = False
    named: bool = False  # "which officials…?" asks for names: the title alone does not say

    @classmethod
    def of(cls, kind: FactKind, question: str) -> AskedFact:
        if kind is FactKind.TIME:
            named = _TIME_UNIT.search(question)
            unit = named.group(1).lower() if named else None
            if _HOUR_ASKED.search(question):
                unit = "hour"
            elif unit is None and _EXACT.search(question):
                unit = "date"  # "When exactly…?": a month or a year is not exact
            return cls(kind, past=_tense_asked(question), unit=unit)
        if kind is FactKind.QUANTITY and _MONEY_ASKED.search(question):
            return cls(kind, unit="money")  # "two superpowers" is no price
        if kind is FactKind.PERSON:
            held = _ROLE_HOLDER.search(question)
            role: tuple[frozenset[str], ...] = ()
            if held:
                title = held.group(1) or held.group(3)
                wanted = [stem(title.lower()), *tokenize(held.group(2) or "")]
                role = tuple(frozenset({token, *synonyms_of(token)}) for token in wanted)
            return cls(kind, role=role, identity=bool(_IDENTITY.search(question)),
                       named=bool(held and held.group(3)))
        return cls(kind, identity=kind is FactKind.PLACE and bool(_IDENTITY.search(question)))

    def held_by(self, text: str) -> bool:
        """Whether `text` holds a fact of the kind asked (loosely: a number, a date, a name or
        a role). A question that names the unit of time ("what day", "which year") needs that
        unit: a passage that gives only a month does not say on what day."""
        lower = text.lower()
        words = _words_of(lower)
        if self.kind is FactKind.TIME and self.past is not None:
            # "When will he visit?" is not answered by "since 2019" or "the past few years",
            # nor "When did it end?" by "could begin within days".
            other, cues = ((_FUTURE_REFERENCE, _FUTURE_CUES) if self.past
                           else (_PAST_REFERENCE, _PAST_CUES))
            if not words.isdisjoint(cues):
                lower = other.sub(" ", lower)
                words = _words_of(lower)
        if self.kind is FactKind.TIME and self.unit is not None:
            if self.unit == "hour":
                return bool(_CLOCK.search(lower))
            if self.unit in ("day", "date"):
                return bool(not words.isdisjoint(_DAY_WORDS) or _DAY_OF_MONTH.search(lower))
            if self.unit == "year":
                return bool(_YEAR.search(lower))
            return not words.isdisjoint(_MONTH_WORDS)
        if self.unit == "money":
            return bool(_MONEY.search(lower))
        if self.role:
            # "the president of the United States" is not named by "Chinese President Xi".
            tokens = set(tokenize(text))
            if not all(tokens.intersection(names) for names in self.role):
                return False
            if self.named and not _has_name(text):
                return False
        if self.identity:
            # "Who is Blinken?" is answered by what he is ("Secretary of State"), not his name.
            return not words.isdisjoint(_PERSON_WORDS)
        return _holds_plainly(self.kind, text, lower, words)

    @property
    def unit_words(self) -> frozenset[str]:
        """The words naming the unit of time asked ("what *day* of the *week*"): the fact check
        looks for that unit ("Sunday"), so they are no words a passage should share."""
        return _UNIT_WORDS.get(self.unit or "", frozenset()) if self.kind is FactKind.TIME \
            else frozenset()

    @property
    def plain_bit(self) -> int:
        """This fact's bit in `passage_facts`, or 0 when whether a passage holds it depends on
        more of the question than its kind (a tense, a unit of time, a role, an identity)."""
        if self.unit is not None or (self.kind is FactKind.TIME and self.past is not None):
            return 0
        if self.role or self.identity:
            return 0
        return _PLAIN_BITS[self.kind]

    def other_time(self, text: str) -> bool:
        """Whether a "when" question and a passage are about different times: "When is he
        going?" asks about what is planned, and a passage that only tells what was ("was
        scheduled for February but was postponed") answers another question."""
        if self.past is None:
            return False
        if self.past:
            return bool(_NOT_PAST.search(text)) and not _PAST.search(text)
        return bool(_PAST.search(text)) and not _NOT_PAST.search(text)


_PLAIN_BITS = {kind: 1 << i for i, kind in enumerate(FactKind)}


def passage_facts(text: str) -> int:
    """The kinds of fact `text` holds, as asked plainly ("how many", "when", "who"...), one
    bit each (`AskedFact.plain_bit`): worked out once per passage when the index is built, so
    that answering a question does not read every candidate passage again."""
    lower = text.lower()
    words = _words_of(lower)
    bits = 0
    for kind in (FactKind.QUANTITY, FactKind.TIME, FactKind.SPEECH, FactKind.REASON):
        if _holds_plainly(kind, text, lower, words):
            bits |= _PLAIN_BITS[kind]
    place, person = not words.isdisjoint(_PLACE_WORDS), not words.isdisjoint(_PERSON_WORDS)
    if not (place and person) and _has_name(text):  # a name is a place or a person
        place = person = True
    return bits | (_PLAIN_BITS[FactKind.PLACE] if place else 0) | (
        _PLAIN_BITS[FactKind.PERSON] if person else 0)


def _holds_plainly(kind: FactKind, text: str, lower: str, words: set[str]) -> bool:
    """Whether a passage holds a fact of `kind`, whatever else the question says."""
    if kind is FactKind.QUANTITY:
        # A year is a date, not an amount: "since 2019" does not say how many.
        return bool(not words.isdisjoint(_NUMBERS)
                    or (_DIGITS.search(text) and _DIGITS.search(_YEARS.sub(" ", text))))
    if kind is FactKind.REASON:
        # "Why is Gates meeting Xi?" is not answered by a passage that only says he is:
        # an answer gives a cause, a purpose, a need or a consequence, in so many words.
        return not words.isdisjoint(_REASON_WORDS)
    if kind is FactKind.SPEECH:
        return bool(not words.isdisjoint(_SPEECH_WORDS) or (
            (not words.isdisjoint(_SPEECH_CUES) or any(q in lower for q in "\"“"))
            and _SPEECH_PHRASE.search(lower)))
    if kind is FactKind.TIME:
        return bool(not words.isdisjoint(_TIME_WORDS) or (
            (not words.isdisjoint(_TIME_CUES) or _DIGITS.search(lower))
            and _TIME_PHRASE.search(lower)))
    if kind is FactKind.PLACE:
        return bool(not words.isdisjoint(_PLACE_WORDS) or _has_name(text))
    return bool(not words.isdisjoint(_PERSON_WORDS) or _has_name(text))


def read_question(question: str) -> AskedFact | None:
    """What fact the question asks for, if any, ready to check passages against."""
    kind = asked_kind(question)
    return None if kind is None else AskedFact.of(kind, question)


def _tense_asked(question: str) -> bool | None:
    if _ASKED_NOT_PAST.search(question):
        return False
    return True if _ASKED_PAST.search(question) else None


def tense_clash(question: str, text: str) -> bool:
    """Whether a "when" question and a passage are about different times (see `AskedFact`)."""
    return AskedFact.of(FactKind.TIME, question).other_time(text)


def holds(kind: FactKind, text: str, question: str = "") -> bool:
    """Whether `text` holds a fact of `kind`, as `question` asks for it (see `AskedFact`)."""
    return AskedFact.of(kind, question).held_by(text)


# Punctuation, as spaces: splitting on them gives the words of a passage several times faster
# than a \w+ regex (which the few symbols not listed here would also split on).
_SEPARATORS = str.maketrans({c: " " for c in (
    "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~\u00a0\u00ab\u00bb\u00b7\u2010\u2011\u2012\u2013\u2014"
    "\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u2026\u2032\u2033")})


def _words_of(lower: str) -> set[str]:
    return set(lower.translate(_SEPARATORS).split())


def _has_name(text: str) -> bool:
    """Whether `text` holds a name: a capitalised word of two letters or more that does not
    open the text, a sentence or a quote, and is not a month or a day. Scanned from each
    capital: a pattern with look-behinds, tried at every position of a long passage, cost
    more than the rest of the check."""
    for capital in _CAPITAL.finditer(text):
        at = capital.start()
        if at == 0 or text[at - 1] in "\"“‘(" or (
                at >= 2 and text[at - 1].isspace() and text[at - 2] in ".!?:"):
            continue
        word = _PROPER_WORD.match(text, at)
        if word is not None and word.group() not in _NOT_NAMES:
            return True
    return False
