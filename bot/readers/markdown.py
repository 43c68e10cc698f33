"""Markdown (`.md`, `.markdown`): optional YAML front matter (`title`, `short_title`,
`source`, `url`, `published`), read with python-frontmatter; `#` headings open sections, and
the first level-one heading is the title when the front matter gives none."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from bot.readers.article import Article, ReadError, decode_text, label, lines
from bot.readers.boilerplate import is_boilerplate
from bot.readers.layout import paragraphs, pieces, section_name

FIELDS = ("title", "short_title", "source", "url", "published")
_FRONT_MATTER = YAMLHandler()


def read(data: bytes, name: str) -> Article:
    """The article in a Markdown file's bytes, or `ReadError`."""
    text = decode_text(data)
    meta, body = front_matter(text)
    title = _meta_str(meta, "title") or _first_title(text, body) or PurePath(name).stem

    title_seen = False

    def heading(line: str) -> str | None:
        nonlocal title_seen
        found = parse_heading(line)
        if found is None:
            return None
        level, words = found
        if level == 1 and not title_seen and label(words) == title:
            title_seen = True  # the title, set as a heading: not a section
            return ""
        return section_name(words)

    found = paragraphs(text, pieces(text, body, _stands_alone), title, heading)
    return Article(title=title, text=text, paragraphs=found, source=_meta_str(meta, "source"),
                   url=_meta_str(meta, "url"), published=_meta_str(meta, "published"),
                   short_title=_meta_str(meta, "short_title"))


def front_matter(text: str) -> tuple[dict[str, Any], int]:
    """The front matter's fields and where the body starts (0 without front matter)."""
    if not _FRONT_MATTER.detect(text):
        return {}, 0
    try:
        raw, body = _FRONT_MATTER.split(text)
    except ValueError:  # the library's split found no closing line
        raise ReadError("front matter starts with --- but never ends; add a closing --- "
                        "line") from None
    boundary = _FRONT_MATTER.FM_BOUNDARY
    opening = boundary.match(text) if boundary else None  # the line detect() found
    first_line = text.count("\n", 0, opening.end() if opening else 0)
    try:
        loaded = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        # An error at the end of the front matter (an unclosed bracket) is shown on its last
        # line, not on the closing --- line.
        line = min(where.line, raw.rstrip().count("\n")) if where is not None else 0
        at = f" at line {first_line + line + 1}" if where is not None else ""
        raise ReadError(f"broken front matter{at}: {getattr(exc, 'problem', None) or exc}; "
                        "fix the YAML between the --- lines") from None
    except RecursionError:  # PyYAML builds nested values recursively
        raise ReadError("front matter is nested too deeply; use plain 'key: value' lines "
                        f"({', '.join(FIELDS)})") from None
    if loaded is not None and not isinstance(loaded, dict):
        raise ReadError(f"front matter must be 'key: value' lines ({', '.join(FIELDS)})")
    return loaded or {}, len(text) - len(body)


def parse_heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line ("## Text ##"), else None. As in CommonMark, a run
    of "#" closes the heading only after a space, so "# C#" is about C#."""
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or (len(line) > level and not line[level].isspace()):
        return None
    if len(line) == level:
        return None  # a bare "#" run: no heading text
    words = line[level:].strip()
    closed = words.rstrip("#")
    if closed != words and (not closed or closed[-1].isspace()):
        words = closed.rstrip()
    return level, words


def _first_title(text: str, body: int) -> str | None:
    for start, end in lines(text, body):
        found = parse_heading(text[start:end])
        if found and found[0] == 1 and label(found[1]):
            return label(found[1])
    return None


def _meta_str(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, list | dict):
        raise ReadError(f"front matter field {key!r} must be a single value")
    return label(str(value)) or None


def _stands_alone(line: str) -> bool:
    return parse_heading(line) is not None or is_boilerplate(line)
