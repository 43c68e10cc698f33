"""Which language a text is written in, so that a question in another language than the
articles' gets told which language the bot reads, rather than that the articles are silent.

Told first by script (the Unicode name of each letter: LATIN, CYRILLIC, CJK, ...), which is
exact; then, among the languages that share a script, by words: each language's most frequent
words and their frequencies, from wordfreq's lists (a dependency the bot already has for its
English typo map), make a unigram model, and the language under which the text's words are
most likely wins, when it wins clearly. A question of two or three words that no list holds
("Xi Jinping Beijing") is no language: the bot then never claims it is a foreign one. The
languages, their scripts and names are data, in `config/lexicon/languages.txt`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import wordfreq

from bot.text import LEXICON_DIR
from bot.vocabulary import VocabularyError

LANGUAGES_FILE = LEXICON_DIR / "languages.txt"
TOP_WORDS = 2000  # a language's most frequent words: its function words and then some
MIN_KNOWN = 2  # words of a text its language's list must hold, for the words to decide
# ...and the share of a text's words: a language's 2,000 commonest words make up over half of
# any text in it, and a few percent of a list of names or made-up words.
MIN_SHARE = 0.25
MARGIN = 2.0  # log10: the winner a hundred times likelier than the next language
UNLISTED = -7.0  # log10 frequency of a word beyond a language's list
MAX_CHARS = 4000  # enough of a text to tell its language
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639, as wordfreq names it
    scripts: frozenset[str]
    name: str  # in English: "French"


@lru_cache(maxsize=2)
def languages(path: Path = LANGUAGES_FILE) -> tuple[Language, ...]:
    """The languages in `path`, in its order (raises `VocabularyError` naming a bad line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"{path}: could not be read ({exc})") from None
    found: list[Language] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split(None, 2)
        if len(fields) != 3 or not fields[0].isalpha():
            raise VocabularyError(f"{path}:{number}: write 'code  SCRIPTS  Name', as in "
                                  "'fr  LATIN  French'")
        code, scripts, name = fields
        found.append(Language(code.lower(), frozenset(scripts.upper().split(",")), name))
    return tuple(found)


def detect(text: str) -> Language | None:
    """The language `text` (an article, a sample of one) is written in, or None when it cannot
    be told: no letters, letters of no listed script, or words that no language's list holds
    enough of (a quarter), or that two languages hold alike."""
    candidates, said = _by_script(text)
    modelled = [lang for lang in candidates if _frequencies(lang.code)]
    if len(candidates) == 1 or (candidates and not modelled):
        return candidates[0]
    scored = sorted(((_likelihood(said, lang), lang) for lang in modelled),
                    key=lambda item: -item[0][0])
    if not scored:
        return None
    (best, known), lang = scored[0]
    runner_up = scored[1][0][0] if len(scored) > 1 else -math.inf
    decided = known >= max(MIN_KNOWN, MIN_SHARE * len(said)) and best - runner_up >= MARGIN
    return lang if decided else None


def foreign(text: str, reads: Language) -> bool:
    """Whether a question is written in another language than `reads`: mostly in the letters
    of scripts `reads` does not use, or in words another language of its script clearly has:
    at least `MIN_KNOWN` words that language's list holds and `reads`'s does not, and the
    words `MARGIN` likelier under it. A few English words borrowed into another language's
    list ("chicken", "for" in Filipino) never make an English question foreign."""
    letters = [_script(ch) for ch in text[:MAX_CHARS] if ch.isalpha()]
    if not letters:
        return False
    if sum(script in reads.scripts for script in letters) * 2 < len(letters):
        return True
    candidates, said = _by_script(text)
    own = _frequencies(reads.code)
    if not own:
        return False
    mine = _likelihood(said, reads)[0]
    for lang in candidates:
        theirs = _frequencies(lang.code)
        if lang == reads or not theirs:
            continue
        distinct = sum(1 for w in said if w in theirs and w not in own)
        if distinct >= MIN_KNOWN and _likelihood(said, lang)[0] - mine >= MARGIN:
            return True
    return False


def _by_script(text: str) -> tuple[list[Language], list[str]]:
    """The languages whose scripts cover most of the text's letters (none when most letters
    are of scripts no language here uses), and the text's words."""
    text = text[:MAX_CHARS]
    scripts = Counter(_script(ch) for ch in text if ch.isalpha())
    if not scripts:
        return [], []
    covered = {lang: sum(n for script, n in scripts.items() if script in lang.scripts)
               for lang in languages()}
    most = max(covered.values())
    if most * 2 < sum(scripts.values()):
        return [], []
    said = [w.replace("’", "'") for w in _WORD.findall(text.casefold())]
    return [lang for lang in languages() if covered[lang] == most], said


def named(code: str) -> str:
    """A language's English name ("fr" -> "French"), or the code for one not listed."""
    return next((lang.name for lang in languages() if lang.code == code), code)


def _likelihood(said: list[str], lang: Language) -> tuple[float, int]:
    """(log10 likelihood of the words under the language's unigram model, how many of them
    its list holds)."""
    frequencies = _frequencies(lang.code)
    known = [frequencies[w] for w in said if w in frequencies]
    return sum(known) + UNLISTED * (len(said) - len(known)), len(known)


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else ""


@cache
def _frequencies(code: str) -> Mapping[str, float]:
    """log10 frequency of the language's `TOP_WORDS` most frequent words; {} when wordfreq
    has no list for it. Read from wordfreq's file directly, in frequency order, so that only
    the top of each list is kept (its whole lists of 40 languages would hold 170 MB)."""
    path = wordfreq.available_languages("small").get(code)
    if path is None:
        return {}
    found: dict[str, float] = {}
    for centibels, bucket in enumerate(wordfreq.read_cBpack(path)):
        for word in bucket:
            found.setdefault(word, -centibels / 100)
            if len(found) == TOP_WORDS:
                return found
    return found
