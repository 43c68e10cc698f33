"""The vocabulary file format (Solr / Elasticsearch synonyms), read and checked line by line.

    a, b, c          equivalent terms
    a, b => c, d     one-way: a or b is read as c, d
    # comment        (a `#` that opens the line or follows a space starts a comment)

A line that ends with a comma or `=>` goes on on the next one. A term is one or more words. Every
mistake raises `VocabularyError` naming the file and the line, so an admin knows what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import KnowledgeError

MAX_FILE_BYTES = 1024 * 1024  # a vocabulary is kilobytes: a larger file is a mistake
MAX_WORD_CHARS = 40  # longer "words" are no words of any language
MAX_TERM_WORDS = 8
_COMMENT = re.compile(r"(?:^|\s)#.*")
# Words: letters, digits and the marks inside words ("co-founder", "o'clock", "u.s.").
_TERM_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?\.?")
_PATTERN_WORD = {"*", "..."}
# A word and its negation by prefix are opposites: "clear" and "unclear" in one group would
# answer a question about one with a passage about the other.
_NEGATIONS = ("un", "in", "im", "il", "ir", "dis", "non", "non-")


class VocabularyError(KnowledgeError):
    """A vocabulary file could not be read; the message names the file, the line and the fix."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One line: `left` terms, and for a one-way rule (`=>`) the `right` terms they become.
    Each term is a tuple of lower-case words."""

    line: int
    left: tuple[tuple[str, ...], ...]
    right: tuple[tuple[str, ...], ...] = ()

    @property
    def one_way(self) -> bool:
        return bool(self.right)


def read_rules(path: Path, *, patterns: bool = False, targets: frozenset[str] | None = None,
               opposites: bool = False) -> list[Rule]:
    """The rules of a vocabulary file. `patterns` allows `*` and `...` in left-hand terms;
    `targets`, when given, is what every right-hand side must be (one of those words);
    `opposites` reads a file of opposites, where a word and its negation belong together."""
    text = _read(path)
    rules: list[Rule] = []
    pending, first = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        if not pending:
            first = number
        pending = f"{pending} {line}" if pending else line
        if pending.endswith((",", "=>")):
            continue
        rules.append(_rule(path, first, pending, patterns, targets, opposites))
        pending = ""
    if pending:
        end = "=>" if pending.endswith("=>") else ","
        raise VocabularyError(f"{path}:{first}: the rule ends with '{end}' at the end of the "
                              "file; add what follows it or remove it")
    return rules


def read_words(path: Path) -> list[str]:
    """A word list: words separated by spaces or lines, `#` comments."""
    words: list[str] = []
    for number, raw in enumerate(_read(path).splitlines(), 1):
        for word in _COMMENT.sub("", raw).split():
            if len(word) > MAX_WORD_CHARS or not _TERM_WORD.fullmatch(word):
                raise VocabularyError(f"{path}:{number}: {_shown(word)} is not a word; list "
                                      "words separated by spaces")
            words.append(word.lower())
    return words


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise VocabularyError(f"{path}: {size:,} bytes is too large for a vocabulary "
                                  f"file (at most {MAX_FILE_BYTES:,}); keep one term list "
                                  "per line")
        data = path.read_bytes()
    except OSError as exc:
        raise VocabularyError(f"{path}: could not be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise VocabularyError(f"{path}:{line}: not UTF-8 text; save the file as UTF-8") from None


def _rule(path: Path, number: int, line: str, patterns: bool,
          targets: frozenset[str] | None, opposites: bool = False) -> Rule:
    where = f"{path}:{number}"
    sides = line.split("=>")
    if len(sides) > 2:
        raise VocabularyError(f"{where}: more than one '=>'; write one rule per line")
    if len(sides) == 2 and not (sides[0].strip() and sides[1].strip()):
        raise VocabularyError(f"{where}: '=>' needs terms on both sides, as in "
                              "'put off => postpone'")
    left = _terms(where, sides[0], patterns)
    right = _terms(where, sides[1], False) if len(sides) == 2 else ()
    if len(sides) == 2:
        if not left or not right:
            raise VocabularyError(f"{where}: '=>' needs terms on both sides, as in "
                                  "'put off => postpone'")
        if targets is not None:
            wrong = [" ".join(t) for t in right if " ".join(t) not in targets]
            if wrong:
                raise VocabularyError(f"{where}: {_shown(wrong[0])} is not one of "
                                      f"{', '.join(sorted(targets))}")
    elif len(left) < 2:
        raise VocabularyError(f"{where}: a group needs two or more terms separated by commas, "
                              "or a one-way rule 'a => b'")
    elif targets is not None:
        raise VocabularyError(f"{where}: write 'pattern, pattern => kind'")
    _check_group(where, left if targets is not None else left + right, opposites)
    return Rule(number, left, right)


def _terms(where: str, side: str, patterns: bool) -> tuple[tuple[str, ...], ...]:
    terms: list[tuple[str, ...]] = []
    for raw in side.split(","):
        words = raw.lower().split()
        if not words:
            raise VocabularyError(f"{where}: an empty term (two commas in a row, or a comma "
                                  "at an end); remove the extra comma")
        if len(words) > MAX_TERM_WORDS:
            raise VocabularyError(f"{where}: {_shown(raw.strip())} has more than "
                                  f"{MAX_TERM_WORDS} words; a term is a word or a short phrase")
        for word in words:
            if patterns and word in _PATTERN_WORD:
                continue
            if len(word) > MAX_WORD_CHARS or not _TERM_WORD.fullmatch(word):
                raise VocabularyError(f"{where}: {_shown(word)} is not a word; terms are "
                                      "words and spaces, separated by commas")
        if patterns and words[0] in _PATTERN_WORD:
            raise VocabularyError(f"{where}: {_shown(raw.strip())} starts with a wildcard; "
                                  "start a pattern with a word")
        terms.append(tuple(words))
    return tuple(terms)


def _check_group(where: str, terms: tuple[tuple[str, ...], ...], opposites: bool) -> None:
    seen: set[tuple[str, ...]] = set()
    for term in terms:
        if term in seen:
            raise VocabularyError(f"{where}: {_shown(' '.join(term))} is listed twice; "
                                  "remove one")
        seen.add(term)
    if opposites:
        return
    singles = {t[0] for t in terms if len(t) == 1}
    for word in singles:
        for prefix in _NEGATIONS:
            if prefix + word in singles:
                raise VocabularyError(
                    f"{where}: {_shown(word)} and {_shown(prefix + word)} are opposites; a "
                    "rule joins words of one meaning, so put them on separate lines or drop "
                    "one")


def _shown(word: str) -> str:
    return repr(word if len(word) <= 60 else word[:57] + "...")
