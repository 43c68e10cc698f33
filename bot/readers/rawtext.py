"""Raw text (`.txt`), as copied from a news page: the first line is the title, a short line
ending in ":" is a section heading, and the page's furniture is dropped (see `boilerplate`)."""

from __future__ import annotations

from pathlib import PurePath

from bot.readers import boilerplate
from bot.readers.article import Article, decode_text, label, lines
from bot.readers.layout import paragraphs, pieces, section_name

# A heading is a short line that ends in ":" and is not itself a sentence.
HEADING_MAX_WORDS = 14


def read(data: bytes, name: str) -> Article:
    """The article in a raw text file's bytes, or `ReadError`."""
    text = decode_text(data)
    first = next(span for span in lines(text) if span[0] < span[1])  # decode_text: not blank
    title = label(text[first[0] : first[1]]) or PurePath(name).stem
    source = None
    for start, end in lines(text):
        source = boilerplate.courtesy(text[start:end]) or source  # the last one counts
    found = paragraphs(text, pieces(text, first[1], _stands_alone), title, _heading)
    return Article(title=title, text=text, paragraphs=found,
                   source=label(source) if source else None)


def is_heading(line: str) -> bool:
    if not line.endswith(":") or len(line) < 3:
        return False
    return len(line.split()) <= HEADING_MAX_WORDS and not boilerplate.is_image_credit(line)


def _heading(line: str) -> str | None:
    return section_name(line[:-1]) if is_heading(line) else None


def _stands_alone(line: str) -> bool:
    return is_heading(line) or boilerplate.is_boilerplate(line)
