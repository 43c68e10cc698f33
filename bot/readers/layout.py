"""Paragraphs of the plain-text formats (Markdown and raw text): runs of non-blank lines, with a
heading or a line of page furniture split off the run it sits in, furniture dropped, and a line
that only repeats the title left out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from bot.readers import boilerplate
from bot.readers.article import Paragraph, TitleRepeat, blocks, label

# What a format says of a line: None when it is no heading, else the section it opens ("" to
# keep the current section, as for a repeat of the title set as a heading).
Heading = Callable[[str], str | None]


def pieces(text: str, start: int, stands_alone: Callable[[str], bool]) -> Iterator[tuple[int, int]]:
    """Spans of paragraphs of `text[start:]`: each run of non-blank lines, with every line for
    which `stands_alone` is true made a piece of its own (a heading may sit directly above its
    paragraph without a blank line)."""
    for run in blocks(text, start):
        para: tuple[int, int] | None = None
        for begin, end in run:
            if len(run) > 1 and stands_alone(text[begin:end]):
                if para:
                    yield para
                    para = None
                yield begin, end
            else:
                para = (para[0], end) if para else (begin, end)
        if para:
            yield para


def paragraphs(
    text: str, spans: Iterable[tuple[int, int]], title: str, heading: Heading
) -> tuple[Paragraph, ...]:
    """The paragraphs among `spans`, each with the section of the heading above it."""
    repeats_title = TitleRepeat(title)
    section: str | None = None
    found: list[Paragraph] = []
    skip_next = False
    for start, end in spans:
        line = " ".join(text[start:end].split())
        if skip_next:
            skip_next = False
            continue
        # Only a line on its own is a heading or furniture: `pieces` split those off their
        # paragraphs, and the lines of a paragraph joined may look like one.
        single = "\n" not in text[start:end]
        opened = heading(line) if single else None
        if opened is not None:
            section = opened or section
            continue
        if single and boilerplate.is_boilerplate(line):
            skip_next = boilerplate.is_related(line)  # the related article's headline follows
            continue
        if not repeats_title(line):
            found.append(Paragraph(start, end, section))
    return tuple(found)


def section_name(heading: str) -> str:
    """A heading as a section label: no trailing colon, nothing a label must not hold."""
    return label(heading).rstrip(":").strip()
