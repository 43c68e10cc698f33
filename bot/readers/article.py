"""What a reader makes of one file, and the pieces every reader shares: decoding text, labels
safe to show, and paragraphs found by blank lines. Everything here runs in linear time in the
length of its input, whatever the input holds (no backtracking patterns)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

# Bidirectional controls: an RTL override in a file name or heading would make a citation label
# read differently from what it is ("gnp.txt" shown for "txt.png"). Labels never carry them.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LABEL_TABLE = str.maketrans(
    {**{ch: None for ch in BIDI_CONTROLS}, **{chr(c): " " for c in (*range(32), *range(127, 160))}}
)


class ReadError(Exception):
    """A file that cannot be read. The message says what is wrong and what to do; it leaves out
    the file's name, which the caller puts in front."""


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of `Article.text`, at `start:end`, under a section heading (or none)."""

    start: int
    end: int
    section: str | None


@dataclass(frozen=True, slots=True)
class Article:
    """The text of one file to quote from, its paragraphs in reading order and its metadata."""

    title: str
    text: str
    paragraphs: tuple[Paragraph, ...]
    source: str | None = None
    url: str | None = None
    published: str | None = None
    short_title: str | None = None


def label(text: str) -> str:
    """`text` fit to show as a title, section or document name: no bidirectional or other
    control characters, white space collapsed."""
    return " ".join(text.translate(_LABEL_TABLE).split())


def decode_text(data: bytes) -> str:
    """UTF-8 text (a byte-order mark allowed) with `\\n` line ends, in NFC; or `ReadError`."""
    if b"\x00" in data:
        raise ReadError("is a binary file, not text; save it as UTF-8 text or remove it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(f"is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise ReadError("is empty; write the article into it or remove it")
    return text


def lines(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """Spans of the lines of `text[start:]`, without their `\\n`, stripped of white space
    (blank lines give empty spans)."""
    pos = start
    size = len(text)
    while pos <= size:
        end = text.find("\n", pos)
        if end < 0:
            end = size
        yield trim(text, pos, end)
        pos = end + 1


def blocks(text: str, start: int = 0) -> Iterator[list[tuple[int, int]]]:
    """The runs of non-blank lines of `text[start:]`: each a list of trimmed line spans."""
    run: list[tuple[int, int]] = []
    for span in lines(text, start):
        if span[0] < span[1]:
            run.append(span)
        elif run:
            yield run
            run = []
    if run:
        yield run


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """`start:end` narrowed to leave out white space at either end."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def words(line: str) -> list[str]:
    """The case-folded words of `line`, with a trailing colon dropped: what boilerplate and
    heading rules compare."""
    found = line.casefold().split()
    if found and found[-1] == ":":
        found.pop()
    elif found and found[-1].endswith(":"):
        found[-1] = found[-1][:-1]
    return found


def fold(text: str) -> str:
    """Words only, case-folded and joined by single spaces: how a line is compared to a title."""
    kept = "".join(ch if ch.isalnum() or ch == "_" else " " for ch in text.casefold())
    return " ".join(kept.split())


class TitleRepeat:
    """Tells whether a line only repeats the title (news pages print it twice)."""

    def __init__(self, title: str) -> None:
        self.title = fold(title)  # once: a title may be long, and is compared to every line

    def __call__(self, line: str) -> bool:
        norm = fold(line)
        return bool(norm) and (norm == self.title or (len(norm) > 20 and norm in self.title))
