"""Short names for footnotes: a document's title and a section heading as a citation shows them.

News titles run long ("US China Relations 2023: Why is United States Secretary of State Antony
Blinken going to China?"), and a citation that repeats one under every quote is mostly title. A
document's front matter may give its own `short_title`; otherwise the title is shortened the
way an editor would: a site name after " - " or " | " goes, a title in two parts around a colon
keeps the part that fits (the headline after the colon, else the topic before it), and what
is still too long is cut at a word.
"""

from __future__ import annotations

import re
from datetime import date

from bot.knowledge import Document

MAX_CHARS = 48  # about half a phone's line: a footnote's title and section fit on one
_TAIL = re.compile(r"\s+[-–—|]\s+")  # "Headline - Site Name", "Section - Its subtitle"


def short_title(document: Document, limit: int = MAX_CHARS) -> str:
    """The document's `short_title`, or its title shortened (see the module docstring)."""
    if document.short_title:
        return document.short_title
    title = " ".join(document.title.split())
    if len(title) <= limit:
        return title
    head = _TAIL.split(title, maxsplit=1)[0].strip()
    if len(head) <= limit and _has_words(head, 2):
        return head
    topic, _, headline = head.partition(":")
    for part in (headline.strip(), topic.strip()) if headline.strip() else ():
        if len(part) <= limit and _has_words(part, 2):
            return part[:1].upper() + part[1:]  # "Topic: how it works" -> "How it works"
    return cut(head, limit)


def short_section(section: str, limit: int = MAX_CHARS) -> str:
    """A section heading for a footnote: whole when it fits; else, for a heading in two parts
    ("China and United State News - Building Bridges and Overcoming Challenges"), the part
    that says what this section is about, after the dash; else cut at a word."""
    section = " ".join(section.split())
    if len(section) <= limit:
        return section
    pieces = [p for p in _TAIL.split(section) if _has_words(p, 2)]
    if len(pieces) > 1 and len(pieces[-1]) <= limit:
        return pieces[-1]
    return cut(section, limit)


def published_date(published: str) -> str:
    """A publication date as a footnote gives it: "16 Jun 2023" for an ISO date (or date and
    time), anything else as the document gives it, cut to fit."""
    try:
        day = date.fromisoformat(published.strip()[:10])
    except ValueError:
        return cut(" ".join(published.split()), 32)
    return f"{day.day} {day:%b} {day.year}"


def cut(text: str, limit: int) -> str:
    """`text` cut at the last word boundary within `limit` characters, with "…"."""
    if len(text) <= limit:
        return text
    room = text[: limit - 1]
    space = room.rfind(" ")
    kept = room[:space] if space > limit // 2 else room
    return kept.rstrip(" ,;:-–—|") + "…"


def _has_words(text: str, n: int) -> bool:
    return len(text.split()) >= n
