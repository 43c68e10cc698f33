"""The one tokenizer, for passages and questions alike: Unicode words, case-folded, stopwords and
question words removed, Snowball stems; plus the query-side helpers (typo map, synonyms).
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Container, Iterable
from functools import lru_cache
from typing import NamedTuple

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA
from wordfreq import get_frequency_dict
from wordfreq import zipf_frequency as _wordfreq_zipf

TOKENIZER_VERSION = "1"  # bump when tokens change: the on-disk index cache is keyed by it

# "US" and "U.S." are the country, not the pronoun: they must survive case folding, so they
# become one token before it; "United States" and "America" join them.
_COUNTRY = re.compile(
    r"(?<!\w)(?:U\.S\.(?:A\.)?|USA|US|United\s+States(?:\s+of\s+America)?|America)(?!\w)"
)
_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
COUNTRY_TOKEN = "usa"

QUESTION_WORDS = frozenset(
    ["what", "whats", "when", "where", "who", "whom", "whose", "why", "how", "which", "whether"]
)
# Words that frame a question without naming what it is about ("what was the balloon
# *incident*?"): an article rarely repeats them, so counting them would refuse good questions.
FRAME_WORDS = frozenset(
    (
        "happen happened happens happening incident incidents event events situation story "
        "stories detail details info information news now time times summarize summarise "
        "summary recap elaborate explain overview tldr gist describe come comes came coming"
    ).split()
)
STOPWORDS = frozenset(
    (
        "a about above after again against all am an and any are aren't as at be because been "
        "before being below between both but by can cannot could couldn't did didn't do does "
        "doesn't doing don't down during each few for from further had hadn't has hasn't have "
        "haven't having he he'd he'll he's her here here's hers herself him himself his i i'd "
        "i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my "
        "myself no nor not of off on once only or other ought our ours ourselves out over own "
        "same shan't she she'd she'll she's should shouldn't so some such than that that's the "
        "their theirs them themselves then there there's these they they'd they'll they're "
        "they've this those through to too under until up very was wasn't we we'd we'll we're "
        "we've were weren't what's when's where's who's why's how's with won't would wouldn't "
        "you you'd you'll you're you've your yours yourself yourselves also just will shall may "
        "might must us s t d ll m re ve y etc tell please know explain describe mention "
        "mentioned article text say says said anything something someone thing things much many "
        "way ways kind sort anyone anybody everyone everybody somebody actually really basically "
        "exactly even ever quite rather"
    ).split()
) | QUESTION_WORDS | FRAME_WORDS

# General news-English synonyms, searched at a lower weight than the asker's own words.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("trip", "visit", "journey", "travel", "tour", "going", "arrive", "arrival", "heading",
     "leave", "leaving", "depart", "departure"),
    ("delay", "postpone", "reschedule", "put off", "holdup", "cancel", "cancelled", "canceled",
     "scrap", "scrapped"),
    ("goal", "objective", "aim", "purpose", "intent", "intention", "agenda", "mission"),
    ("talk", "dialogue", "discussion", "negotiation", "conversation"),
    ("meet", "meeting", "sit down", "summit", "encounter", "see"),
    ("trust", "confidence"),
    ("tension", "friction", "strain", "strained", "hostility", "rocky", "turbulent", "troubled",
     "tense", "frosty", "flashpoint"),
    ("improve", "better", "mend", "repair", "fix", "thaw", "warm", "warming", "ease"),
    ("relation", "relationship", "ties", "bilateral"),
    ("conflict", "war", "clash", "confrontation", "fight"),
    ("plane", "aircraft", "jet", "airplane"),
    ("collision", "crash", "near-collision", "incident", "encounter", "collide", "collided"),
    ("risk", "danger", "threat"),
    ("official", "diplomat", "envoy"),
    ("president", "leader", "head of state"),
    ("founder", "creator", "co-founder"),
    ("problem", "challenge", "issue", "difficulty", "obstacle", "hurdle", "concern"),
    ("remain", "still", "persist", "linger", "continue"),
    ("expectation", "hope", "prospect", "outlook"),
    ("success", "succeed", "successful", "outcome", "result", "results"),
    ("cooperation", "collaboration", "partnership", "cooperate", "collaborate", "work together"),
    ("competition", "rivalry", "compete", "rival"),
    ("spy", "espionage", "surveillance", "spying"),
    ("detained", "imprisoned", "jailed", "detainee", "prisoner", "held"),
    ("senior", "high-ranking", "top", "highest", "ranking"),
    ("first", "initial", "initially", "original", "originally"),
    ("schedule", "plan", "planned", "scheduled", "set", "supposed", "due"),
    ("disagreement", "dispute", "quarrel"),
    ("economic", "economy", "trade"),
    ("coercion", "pressure"),
    ("misunderstanding", "misperception", "miscalculation", "misjudgment"),
    ("escalation", "escalate", "escalatory", "provocation"),
    ("stable", "steady"),
    ("significance", "important", "importance", "significant", "matter"),
    ("uncertain", "unclear", "unknown"),
    ("military", "army", "armed forces", "defense"),
    ("sticking point", "obstacle", "concern", "contention"),
    ("drug", "drugs", "fentanyl", "opioid", "opioids", "narcotic", "narcotics"),
    ("key", "crucial", "essential", "vital", "critical", "central", "necessary", "need",
     "important"),
    ("rebuild", "rebuilt", "restore", "renew", "revive", "repair"),
    ("decide", "determine", "depend", "hinge", "rest"),
    ("step", "move", "measure", "action"),
    ("positive", "constructive", "good", "encouraging"),
    ("overcome", "navigate", "handle", "tackle", "address", "resolve", "manage", "solve"),
    ("preliminary", "exploratory", "early", "initial", "tentative"),
    ("suggest", "highlight", "indicate", "show", "signal", "underscore", "demonstrate", "reveal"),
    ("clear", "certain", "uncertain", "unclear", "known", "sure", "predictable",
     "unpredictable"),
    ("urgent", "urgency", "pressing"),
    ("complex", "complicated", "complexity", "multifaceted", "intricate", "simple"),
    ("modest", "low", "limited", "small", "slim"),
    ("willing", "willingness", "ready", "readiness", "open"),
    ("recent", "lately", "latest", "new"),
    ("area", "front", "field", "domain", "sphere"),
    ("considered", "seen", "regarded", "viewed", "deemed", "perceived"),
    ("country", "nation", "side"),
    ("prevent", "avoid", "avert"),
    ("past", "previous"),
    ("agree", "recognize", "recognise", "acknowledge", "accept"),
    ("china", "chinese", "beijing"),
    ("usa", "american", "americans", "washington"),
)
# A "why" question is looking for a reason or a purpose even when it names neither.
WHY_EXPANSION = ("objective", "purpose", "aim", "goal", "reason", "seek", "intend", "intention")
SYNONYM_WEIGHT = 0.4
# When the asked word itself is in no passage, its synonyms stand in for it almost fully.
STAND_IN_WEIGHT = 0.9
WHY_WEIGHT = 0.15

_stemmer = Stemmer.Stemmer("english")


# Chat shorthand for the words that decide what a question asks ("wen", "wat r").
_SHORTHAND = {
    "wen": "when", "wat": "what", "wut": "what", "wht": "what", "whta": "what", "r": "are",
    "u": "you", "ur": "your", "y": "why", "hw": "how", "wher": "where", "whr": "where",
    "abt": "about", "bc": "because", "cuz": "because", "pls": "please", "plz": "please",
    "thx": "thanks", "whos": "who is", "wats": "what is", "hows": "how is", "wheres": "where is",
    "whens": "when is", "b4": "before", "govt": "government", "gov": "government",
    "wanna": "want to", "gonna": "going to",
}
_SHORTHAND_RE = re.compile(r"(?<![\w'’])(" + "|".join(map(re.escape, _SHORTHAND)) + r")(?![\w'’])",
                           re.IGNORECASE)
# Lower-case "us" is the country when it stands beside another country or a word of state:
# "between us and china", "us-china ties", "us officials".
_LOWER_US = re.compile(
    r"(?<![\w'’])us(?=[\s-]+(?:and\s+|or\s+)?(?:china|chinese|beijing|russia|india|japan|uk|eu|"
    r"iran|israel|mexico|canada|europe|relations?|ties|officials?|government|president|"
    r"secretary|military|army|navy|territory|surveillance|economy|trade|dollar|embassy|"
    r"ambassador|diplomats?|citizens?|troops|forces|administration|congress|senate)\b)"
    r"|(?<=\band\s)us(?![\w'’])(?=\s*(?:relations?|ties|[?.!,]|$))"
    r"|(?<=\bbetween\s)us(?![\w'’])",
    re.IGNORECASE,
)


# The words a question names the text itself by ("what is this *article* about?"), as a regex
# alternation.
TEXT_NOUNS = (r"article|articles|text|story|stories|piece|report|news|post|page|document|"
              r"documents|knowledge\s+base")


# Idioms whose words mean something else in an article: "the point of" a visit is its purpose,
# not a "sticking point".
_IDIOMS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # (words one of which the idiom needs: checked first, as most questions hold none), ...
    (("point",), re.compile(r"\b(?:the|what'?s\s+the)\s+point\s+(?:of|in|behind)\b",
                            re.IGNORECASE), "the purpose of"),
    (("for",), re.compile(r"\bwhat\s+for\s*\?", re.IGNORECASE), "for what purpose?"),
    # "What does Blinken want?" asks what he is after: his objective.
    (("want", "wants", "wanted"),
     re.compile(r"\bwhat\s+(?:does|do|did)\s+([\w' -]+?)\s+want\s*(?=\?*\s*$)", re.IGNORECASE),
     r"what is the objective of \1"),
    # What someone is "hoping to achieve" is their objective, not their hopes or expectations.
    (("achieve", "accomplish", "gain", "get", "win", "secure"),
     re.compile(r"\b(?:hop|want|aim|try|tri|expect|seek|look|plan)\w*\s+to\s+(?:achieve|"
                r"accomplish|gain|get\s+out\s+of|get\s+from|win|secure)\b", re.IGNORECASE),
     "objective"),
    (("same",), re.compile(r"\bat\s+the\s+same\s+time\b", re.IGNORECASE), "simultaneously"),
    (("put", "puts", "putting", "push", "pushed", "pushing"),
     re.compile(r"\b(?:put(?:s|ting)?\s+off|push(?:ed|es|ing)?\s+back)\b", re.IGNORECASE),
     "postponed"),
    # Whether something matters is its significance; "what's the matter" asks what is wrong.
    (("matter",), re.compile(r"\bwhat(?:'s|’s|\s+is)\s+the\s+matter\b", re.IGNORECASE),
     "what is wrong"),
    (("matter",), re.compile(r"\bno\s+matter\b", re.IGNORECASE), ""),
    # "How big a deal is it?" asks how significant it is, not for a size.
    # "What's the deal with the balloon?" asks what there is to know about it.
    (("deal",), re.compile(r"\bwhat(?:'s|’s|s|\s+is)\s+the\s+deal\s+(?:with|about)\b",
                           re.IGNORECASE), "what about"),
    (("deal",), re.compile(r"\bhow\s+big\s+(?:of\s+)?(?:a\s+)?deal\b", re.IGNORECASE),
     "how significant"),
    (("deal",), re.compile(r"\b(?:a\s+)?big\s+deal\b", re.IGNORECASE), "significant"),
    (("deal", "deals", "dealing", "dealt"),
     re.compile(r"\bdeal(?:s|ing|t)?\s+with\b", re.IGNORECASE), "handle"),
    (("turn", "turns", "turned", "turning"),
     re.compile(r"\bturn(?:s|ed|ing)?\s+out\b", re.IGNORECASE), "outcome"),
    (("sore", "bone"), re.compile(r"\bsore\s+(?:spots?|points?)\b|\bbones?\s+of\s+contention\b",
                                  re.IGNORECASE), "sticking points"),
    # How people put a clash or a rank in a chat: "butting heads", "this high up".
    (("butt", "butting", "butted", "odds", "loggerheads"),
     re.compile(r"\b(?:butt(?:s|ed|ing)?\s+heads|at\s+(?:odds|loggerheads))\b",
                re.IGNORECASE), "clashing"),
    (("high",), re.compile(r"\b(?:this\s+|so\s+|that\s+)?high[\s-]+(?:up|level)\b",
                           re.IGNORECASE), "senior"),
    # "Over the last few years" is the past few years; "when did he last go" is not.
    (("last",), re.compile(r"\blast(?=\s+(?:(?:few|couple\s+of|several|two|three|four|five|"
                           r"ten)\s+)?(?:years?|months?|decades?|weeks?)\b)", re.IGNORECASE),
     "past"),
    # What "stands in the way" of something is an obstacle to it.
    (("way",), re.compile(r"\b(?:stand(?:s|ing)?|stood|get(?:s|ting)?|got)\s+in\s+the\s+way\b",
                          re.IGNORECASE), "is an obstacle"),
    (("down",), re.compile(r"\b(?:comes?|came|coming)\s+down\s+to\b", re.IGNORECASE),
     "depends on"),
    # "keep the rivalry from turning into a war": prevent it.
    (("keep", "keeps", "keeping", "kept"),
     re.compile(r"\b(?:keep|keeps|keeping|kept)\b(?=(?:\s+[\w'’-]+){1,4}\s+from\b)",
                re.IGNORECASE), "prevent"),
    (("together",), re.compile(r"\bwork(?:s|ed|ing)?\s+together\b", re.IGNORECASE),
     "cooperate"),
    (("get", "gets", "getting"),
     re.compile(r"\bget(?:s|ting)?\s+(?:through|past|over)\b", re.IGNORECASE), "overcome"),
    # "What's the US secretary of state's name?" asks who holds that title (but "the name of
    # the article" is its title).
    (("name",), re.compile(r"\bwhat(?:'s|’s|s|\s+is|\s+was)\s+(?:the\s+)?name\s+of\s+"
                           r"(?!(?:(?:the|this|that)\s+)?(?:" + TEXT_NOUNS + r")\b)",
                           re.IGNORECASE), "who is "),
    (("name",), re.compile(r"\bwhat(?:'s|’s|s|\s+is|\s+was)\s+((?:the\s+)?[\w -]+?)(?:'s|’s)"
                           r"\s+name\b", re.IGNORECASE), r"who is \1"),
    # "What's Blinken's job title?" asks who he is.
    (("job", "title", "role", "position", "post", "rank"),
     re.compile(r"\b[Ww]hat(?:'s|’s|\s+is|\s+was)\s+((?:[A-Z][\w-]*\s+){0,2}[A-Z][\w-]*)(?:'s|’s)"
                r"\s+(?:official\s+)?(?:job\s+title|job|title|role|position|post|rank)\b"),
     r"who is \1"),
)
_PLAIN_WORD = re.compile(r"[a-z0-9]+")
_MARKUP_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")


@lru_cache(maxsize=4096)  # compose and gather both read the question, follow-ups re-read
def normalize_question(question: str) -> str:
    """A question as typed in a chat, with shorthand spelled out, idioms made literal and the
    lower-case country marked, so that it reads like the articles it is matched against."""
    text = question
    if "<" in text or "&" in text:
        # Markup pasted into a chat ("<b>spy balloon</b>", "&amp;") is not what is asked.
        text = html.unescape(_MARKUP_TAG.sub(" ", text))
    # Each rewrite runs only when the question holds a word it needs: most hold none.
    present = set(_PLAIN_WORD.findall(text.lower()))
    if not present.isdisjoint(_SHORTHAND):
        text = _SHORTHAND_RE.sub(lambda m: _SHORTHAND[m.group(1).lower()], text)
        present = set(_PLAIN_WORD.findall(text.lower()))
    for needed, pattern, literal in _IDIOMS:
        if not present.isdisjoint(needed):
            text = pattern.sub(literal, text)
    return _LOWER_US.sub("US", text) if "us" in present else text


def normalize(text: str) -> str:
    """NFKC-normalise and mark the country before case folding erases the difference."""
    text = unicodedata.normalize("NFKC", text)
    return _COUNTRY.sub(f" {COUNTRY_TOKEN} ", text)


def words(text: str) -> list[str]:
    """Case-folded Unicode words, stopwords and question words kept."""
    return [w.replace("’", "'") for w in _WORD.findall(normalize(text).casefold())]


def content_words(text: str) -> list[str]:
    """Case-folded words without stopwords, question words and bare punctuation."""
    return [w for w in words(text) if _is_content(w)]


def _is_content(word: str) -> bool:
    if word.isdigit():
        return _is_number(word)
    return word not in STOPWORDS and bool(word.strip("_"))


def _is_number(word: str) -> bool:
    # Years and amounts are content ("since 2019"); lone digits of list markers are not.
    return word.isdigit() and len(word) >= 2


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word.split("'")[0]))


def tokenize(text: str) -> list[str]:
    """The index's tokens for `text`: content words, stemmed. Used for passages and questions."""
    return [stem(w) for w in content_words(text)]


class QueryTerm(NamedTuple):
    """One token of a question with its weight and why it is there (asked, typo, synonym...).
    (A tuple: a question makes a dozen, and a frozen dataclass costs several times as much.)"""

    token: str
    weight: float
    origin: str
    word: str


def synonyms_of(token: str) -> tuple[str, ...]:
    return _synonym_table().get(token, ())


def is_known(token: str, vocabulary: Container[str]) -> bool:
    """Whether the knowledge base uses `token`, or a synonym that can stand in for it."""
    return token in vocabulary or any(s in vocabulary for s in synonyms_of(token))


_NO_SYNONYMS: frozenset[str] = frozenset()


def synonym_set(token: str) -> frozenset[str]:
    """`synonyms_of`, as a set: what a passage's words are checked against."""
    return _synonym_sets().get(token, _NO_SYNONYMS)


@lru_cache(maxsize=1)
def _synonym_sets() -> dict[str, frozenset[str]]:
    return {token: frozenset(synonyms) for token, synonyms in _synonym_table().items()}


@lru_cache(maxsize=1)
def _synonym_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, set[str]] = {}
    for group in SYNONYM_GROUPS:
        # Phrases ("put off") are left out: their single words ("put") mean something else.
        stems = {stem(w) for w in group if " " not in w for w in content_words(w)}
        for s in stems:
            table.setdefault(s, set()).update(stems - {s})
    return {key: tuple(sorted(values)) for key, values in table.items()}


COMMON_ZIPF = 3.3  # about once per 500,000 words of English: a real word, not a typo


MEMO_SIZE = 16384  # remembered corrections per index (cleared, not evicted, when full)


class TypoMap:
    """Maps a word that is not in the vocabulary to the closest word that is.

    Short words are never corrected (too many real words lie one edit apart), the first letter
    must agree (people rarely mistype it), and ties go to the more frequent word.
    """

    def __init__(self, vocabulary: Iterable[tuple[str, int]]) -> None:
        ranked = sorted(vocabulary, key=lambda item: (-item[1], item[0]))
        # Words by first letter and length, most frequent first: a word within `limit` edits
        # is at most `limit` letters longer or shorter, so only those few buckets are searched.
        self._buckets: dict[tuple[str, int], list[str]] = {}
        self._rank: dict[str, int] = {}
        for rank, (word, _count) in enumerate(ranked):
            if len(word) >= 4 and not word.isdigit():
                self._buckets.setdefault((word[0], len(word)), []).append(word)
                self._rank[word] = rank
        self._known = {word for word, _ in ranked}
        # Each search costs ~0.4 ms, and a question's unknown words are looked up again (as a
        # possible name, as a follow-up's context) and asked again by others.
        self._memo: dict[tuple[str, str], str | None] = {}

    def __contains__(self, word: str) -> bool:
        return word in self._known

    @staticmethod
    def max_edits(word: str) -> int:
        if len(word) < 4:
            return 0
        if len(word) == 4:
            # Four letters are corrected only when they are no English word at all ("chna").
            return 1 if zipf_frequency(word, "en") < 1.5 else 0
        return 1 if len(word) < 8 else 2

    def correct(self, word: str, typed: str | None = None) -> str | None:
        """The vocabulary word `word` was probably meant to be, or None.

        A common English word is taken as meant ("weather" is not a typo of "whether"), even
        when no passage holds it. `typed` is the word as typed when `word` is its stem: the
        edit budget and the common-word test go by what the person typed.
        """
        typed = typed or word
        key = (word, typed)
        if key not in self._memo:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = self._closest(word, typed)
        return self._memo[key]

    def _closest(self, word: str, typed: str) -> str | None:
        limit = self.max_edits(typed)
        if limit == 0 or word in self._known:
            return None
        if zipf_frequency(typed, "en") >= COMMON_ZIPF:
            return None
        best: tuple[float, int, str] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            bucket = self._buckets.get((word[:1], length))
            if bucket:
                match = process.extractOne(word, bucket, scorer=OSA.distance,
                                           score_cutoff=limit)
                if match is not None:
                    found = (match[1], self._rank[match[0]], str(match[0]))
                    best = found if best is None or found < best else best
        return None if best is None else best[2]


def analyze_question(
    question: str, vocabulary: Container[str], typos: TypoMap
) -> list[QueryTerm]:
    """A question's weighted terms: its own stems, typo corrections and synonyms.

    `vocabulary` holds the index's stems; words that are in neither the vocabulary nor the typo
    map's known words stay as they are, so the caller can see what did not match.
    """
    terms: list[QueryTerm] = []
    asked = words(question)
    for word in asked:
        if not _is_content(word):
            continue
        token = stem(word)
        if token not in vocabulary:
            # Compare the stem too: "visting" is two edits from "visit", its stem "vist" one.
            corrected = typos.correct(word) or typos.correct(token, typed=word)
            if corrected is not None and stem(corrected) in vocabulary:
                terms.append(QueryTerm(stem(corrected), 1.0, "typo", word))
                continue
            # A misspelt word the articles do not use may still have a synonym they do:
            # "suposed" is "supposed", which the articles say as "scheduled".
            # Only a word English itself hardly knows: "clashing" is rare, not a typo.
            meant = english_typos().correct(word) if zipf_frequency(word) < TYPO_ZIPF else None
            if meant is not None:
                token = stem(meant)
                if token in vocabulary:
                    terms.append(QueryTerm(token, 1.0, "typo", word))
                    continue
                if is_known(token, vocabulary):
                    terms.append(QueryTerm(token, 1.0, "asked", meant))
                    continue
                token = stem(word)
        terms.append(QueryTerm(token, 1.0, "asked", word))
    own = {term.token for term in terms}
    for term in list(terms):
        weight = SYNONYM_WEIGHT if term.token in vocabulary else STAND_IN_WEIGHT
        for synonym in synonyms_of(term.token):
            if synonym not in own and synonym in vocabulary:
                terms.append(QueryTerm(synonym, weight, "synonym", term.word))
                own.add(synonym)
    if "why" in asked:
        for word in WHY_EXPANSION:
            token = stem(word)
            if token not in own and token in vocabulary:
                terms.append(QueryTerm(token, WHY_WEIGHT, "why", "why"))
                own.add(token)
    return terms


ENGLISH_ZIPF = 3.0  # the English words a typo is matched against: about 30,000 of them
TYPO_ZIPF = 2.0  # below this, a word is taken for a typo ("suposed" 1.6, "clashing" 2.9)


@lru_cache(maxsize=1)
def english_typos() -> TypoMap:
    """Common English words, for a typo the articles' own words do not explain. Built on first
    use (about 0.1 s), as most questions never need it."""
    floor = 10 ** (ENGLISH_ZIPF - 9)
    return TypoMap((word, round(freq * 1e9)) for word, freq in _english().items()
                   if freq >= floor and word.isascii() and word.isalpha())


def zipf_frequency(word: str, lang: str = "en") -> float:
    """wordfreq's Zipf frequency of `word`, looked up directly for a plain ASCII word.

    wordfreq tokenizes every word it is asked about, which costs more than a whole retrieval;
    a word of ASCII letters is its own single token, so its frequency is a dictionary lookup,
    rounded as wordfreq rounds it. Anything else goes through wordfreq itself.
    """
    if lang != "en" or not (word.isascii() and word.isalpha()):
        return float(_wordfreq_zipf(word, lang))
    freq = _english().get(word.lower(), 0.0)
    if freq <= 0.0:
        return 0.0
    freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
    return round(math.log(freq, 10) + 9, 2)


@lru_cache(maxsize=1)
def _english() -> dict[str, float]:
    return get_frequency_dict("en", "best")


@lru_cache(maxsize=65536)
def specificity(word: str) -> float:
    """How much a word says about what a question is about, from its rarity in general English.

    "born" or "fentanyl" name what is asked; "want" or "get" hardly do. A word no passage holds
    counts against a passage by this much, whatever the corpus looks like.
    """
    return 1.0 + 0.5 * min(6.0, max(0.0, 7.0 - zipf_frequency(word, "en")))
