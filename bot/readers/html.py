"""Web pages (`.html`, `.htm`) saved from a browser: the article's own text, found by trafilatura
(navigation, ads, cookie banners, share buttons, related links and comments left out), with its
headings as sections and its title, site name, canonical link and date from the page's metadata.

trafilatura was chosen by measured quality on saved news, blog, wiki and magazine pages (see
`benchmarks/html_extractors.py` and docs/knowledge.md).
"""

from __future__ import annotations

import logging
from pathlib import PurePath

import trafilatura
from lxml import etree
from trafilatura.settings import Document as Extraction

from bot.readers.article import Article, Paragraph, ReadError, label

# Elements of trafilatura's output that hold a paragraph of their own.
_BLOCKS = frozenset({"p", "quote", "list", "code", "div"})
# Extraction takes about 0.1 ms per element of the page (measured), so a page of more elements
# than this is refused before extraction: a saved news page has a few thousand, a long wiki page
# some tens of thousands, and a hostile 10 MB page of 750,000 empty elements took over a minute.
MAX_ELEMENTS = 60_000
# Less text than this is no article (a login form, a page of links), however it is marked up.
MIN_ARTICLE_CHARS = 100
# Footnote markers ("[1]" after a sentence in a wiki) are not part of what a passage quotes.
_PRUNED = "//sup[contains(@class, 'reference')]"
_NO_TEXT = ("no article text found in the page; save the article's own page (not a front page, "
            "search result or login page), or copy its text into a .md file")

# trafilatura logs a page it finds no text in at WARNING, and says nothing the loader's error
# does not say better.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def read(data: bytes, name: str) -> Article:
    """The article in a saved web page's bytes, or `ReadError`."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError("is a binary file, not a web page; save the page as HTML or remove it")
    try:
        page = trafilatura.load_html(data)  # decodes by the page's own charset
    except (ValueError, etree.LxmlError):
        page = None
    if page is None:
        raise ReadError(_NO_TEXT)
    elements = sum(1 for _ in page.iter())
    if elements > MAX_ELEMENTS:
        raise ReadError(f"the page has {elements:,} HTML elements, more than the {MAX_ELEMENTS:,} "
                        "an article's page has; save the article alone (the browser's reader "
                        "view, or 'Web Page, HTML only'), or copy its text into a .md file")
    try:
        # fast: without trafilatura's second opinion from jusText, whose comparison of
        # neighbouring paragraphs is quadratic (72 s for 25,000 short paragraphs); on the
        # test pages it changed nothing (docs/knowledge.md).
        found = trafilatura.bare_extraction(
            page, include_comments=False, include_tables=False, with_metadata=True, fast=True,
            prune_xpath=_PRUNED)
    except (ValueError, etree.LxmlError, RecursionError):
        found = None
    body = found.body if isinstance(found, Extraction) else None
    if not isinstance(found, Extraction) or body is None:
        raise ReadError(_NO_TEXT)
    source = label(found.sitename or "") or None
    title = _title(found.title, source, body) or PurePath(name).stem
    text, paragraphs = _text(body, title)
    if sum(p.end - p.start for p in paragraphs) < MIN_ARTICLE_CHARS:
        raise ReadError(_NO_TEXT)
    return Article(title=title, text=text, paragraphs=paragraphs, source=source,
                   url=label(found.url or "") or None, published=label(found.date or "") or None)


def _text(body: etree._Element, title: str) -> tuple[str, tuple[Paragraph, ...]]:
    """The article as text (title, then headings and paragraphs separated by blank lines) and
    its paragraphs' spans in it."""
    parts = [title]
    size = len(title)
    paragraphs: list[Paragraph] = []
    section: str | None = None
    for element in body:
        if element.tag == "head":
            heading = label(" ".join(_lines(element)))
            if heading and heading != title:
                section = heading.rstrip(":").strip() or section
                parts.append(heading)
                size += 2 + len(heading)
            continue
        if element.tag not in _BLOCKS:
            continue
        for block in _blocks(element):
            parts.append(block)
            start = size + 2
            size = start + len(block)
            paragraphs.append(Paragraph(start, size, section))
    return "\n\n".join(parts), tuple(paragraphs)


def _blocks(element: etree._Element) -> list[str]:
    """The paragraphs of an element: a list's items one to a line in one paragraph; else each
    line (a line break, or a page read whole when no article stood out, which trafilatura gives
    as lines) a paragraph of its own."""
    if element.tag == "list":
        items = [" ".join(lines) for lines in map(_lines, element.iter("item")) if lines]
        return ["\n".join(items)] if items else []
    return _lines(element)


def _lines(element: etree._Element) -> list[str]:
    """The lines of text in `element` that hold a word, white space collapsed."""
    for lb in element.iter("lb"):
        lb.tail = "\n" + (lb.tail or "")
    text = "".join(map(str, element.itertext()))  # text nodes of a parsed page are str
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return [line for line in lines if any(ch.isalnum() for ch in line)]


def _title(found: str | None, site: str | None, body: etree._Element) -> str | None:
    """The article's title: the page's own top heading when the metadata's title holds it
    ("Lighthouse" in "Lighthouse - Wikipedia"), else the metadata's title less the site's name."""
    title = label(found or "")
    heading = body.find("head")
    if heading is not None and heading.get("rend") == "h1":
        top = label(" ".join(_lines(heading)))
        if top and top in title:
            return top
    if site and title.endswith(site):
        bare = title[: -len(site)].rstrip()
        if bare[-1:] in ("-", "|", "–", "—", ":", "·") and bare[:-1].strip():
            return label(bare[:-1])
    return title or None
