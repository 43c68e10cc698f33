"""PDF files with a text layer: paragraphs in reading order (pdfminer.six's layout analysis, which
follows columns), words hyphenated at line ends joined again, a paragraph split by a column or
page break rejoined, running headers, footers and page numbers left out, larger type read as
headings, and the title from the document's metadata or its largest heading.

pdfminer.six was chosen over pypdf by measured quality (`benchmarks/pdf_extractors.py`): pypdf
gives a two-column page in the file's order, which need not be the reading order.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTPage, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
from pdfminer.pdfexceptions import PDFException
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.psexceptions import PSException

from bot.readers.article import Article, Paragraph, ReadError, fold, label

# Reading takes about 70 ms a full page (measured); a file that takes longer than this is refused
# rather than read on: a hostile or enormous PDF must not hold a reload for minutes.
MAX_SECONDS = 30.0
MAX_PAGES = 1_000
# The layout analysis of a page grows faster than its letters (60,000 scattered letters on one
# page took 45 s): a page of more letters than this is refused before it is analysed. A page
# of small print holds 10,000-15,000.
MAX_PAGE_CHARS = 20_000
# Type this much larger than the body text is a heading.
HEADING_RATIO = 1.15
HEADING_MAX_WORDS = 20
# Running headers and footers sit in this share of the page at the top and at the bottom.
MARGIN_SHARE = 0.12
# pdfminer logs every token it parses at DEBUG (millions of lines for a large file, which made
# reading it ten times slower with debug logging on) and every quirk of a file at WARNING; the
# loader's error says what matters.
logging.getLogger("pdfminer").setLevel(logging.ERROR)
_ENDS_SENTENCE = tuple('.!?:;"”’)')
_UNTITLED = ("untitled", "microsoft word", "document")


@dataclass(frozen=True, slots=True)
class _Box:
    """A block of text on a page, as the layout analysis found it."""

    page: int
    lines: tuple[str, ...]
    size: float
    top: float
    bottom: float
    height: float

    @property
    def text(self) -> str:
        return join_lines(self.lines)


def read(data: bytes, name: str) -> Article:
    """The article in a PDF file's bytes, or `ReadError`."""
    if b"%PDF-" not in data[:1024]:
        raise ReadError("is not a PDF file (it does not start like one); save it again as PDF "
                        "or remove it")
    document, boxes = _boxes(data)
    if not boxes:
        raise ReadError("has no text to read (a scan, or pages of pictures of text); run it "
                        "through OCR (for example ocrmypdf) or put its text into a .md file")
    body = _furniture_removed(boxes)
    body_size = _body_size(body)
    title = _meta_title(document) or _heading_title(body, body_size) or PurePath(name).stem
    return _article(label(title), body, body_size)


def join_lines(lines: Iterator[str] | tuple[str, ...] | list[str]) -> str:
    """Lines of a paragraph as one line: a word hyphenated at a line's end made whole."""
    text = ""
    for line in lines:
        if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def _boxes(data: bytes) -> tuple[PDFDocument, list[_Box]]:
    started = time.monotonic()
    boxes: list[_Box] = []
    try:
        document = PDFDocument(PDFParser(BytesIO(data)))
        pages = resolve1(resolve1(document.catalog.get("Pages", {})).get("Count", 0))
        if isinstance(pages, int) and pages > MAX_PAGES:
            raise ReadError(f"has {pages:,} pages, more than {MAX_PAGES:,}; split it into "
                            "several files, or put the text people ask about into a .md file")
        resources = PDFResourceManager(caching=True)
        device = _Aggregator(resources, laparams=LAParams())
        interpreter = PDFPageInterpreter(resources, device)
        for number, page in enumerate(PDFPage.create_pages(document)):
            if number >= MAX_PAGES:
                raise ReadError(f"has more than {MAX_PAGES:,} pages; split it into several "
                                "files, or put the text people ask about into a .md file")
            if time.monotonic() - started > MAX_SECONDS:
                raise ReadError(f"took more than {MAX_SECONDS:.0f} s to read (stopped at page "
                                f"{number + 1}); split it into several files, or put its text "
                                "into a .md file")
            interpreter.process_page(page)
            boxes.extend(_page_boxes(device.get_result(), number))
    except PDFPasswordIncorrect:
        raise ReadError("is protected by a password; save a copy without the password (or "
                        "print it to PDF) and add that instead") from None
    except (PDFException, PSException, ValueError, KeyError, TypeError, AttributeError,
            IndexError, RecursionError, AssertionError) as exc:
        # pdfminer reports a damaged file with whatever its parser tripped on.
        raise ReadError(f"is damaged or incomplete ({type(exc).__name__}); download or export "
                        "it again") from None
    return document, boxes


class _Aggregator(PDFPageAggregator):
    """pdfminer's page aggregator, refusing a page of too many letters before its layout is
    analysed (the step whose time grows faster than the page)."""

    def end_page(self, page: PDFPage) -> None:
        letters = sum(isinstance(item, LTChar) for item in self.cur_item)
        if letters > MAX_PAGE_CHARS:
            raise ReadError(f"has a page of {letters:,} letters (page {self.pageno}), more "
                            f"than the {MAX_PAGE_CHARS:,} a page of small print holds; put its "
                            "text into a .md file")
        super().end_page(page)


def _page_boxes(page: LTPage, number: int) -> Iterator[_Box]:
    for element in page:
        if not isinstance(element, LTTextBox):
            continue
        lines: list[str] = []
        sizes: list[float] = []
        for line in element:
            if not isinstance(line, LTTextLine):
                continue
            text = " ".join(line.get_text().split())
            if text:
                lines.append(text)
                sizes.extend(ch.size for ch in line if isinstance(ch, LTChar))
        if lines and sizes:
            yield _Box(number, tuple(lines), statistics.median(sizes), element.y1,
                       element.y0, page.height)


def _furniture_removed(boxes: list[_Box]) -> list[_Box]:
    """The boxes less running headers, footers and page numbers: text in the page's top or
    bottom margin that repeats on other pages (numbers aside) or is only a page number."""
    pages = len({box.page for box in boxes})
    seen = Counter(_shape(box) for box in boxes if _in_margin(box))
    return [box for box in boxes if not (_in_margin(box) and (
        _is_page_number(box.text) or (pages > 1 and seen[_shape(box)] > 1)))]


def _in_margin(box: _Box) -> bool:
    return box.bottom > box.height * (1 - MARGIN_SHARE) or box.top < box.height * MARGIN_SHARE


def _shape(box: _Box) -> str:
    return "".join("#" if ch.isdigit() else ch for ch in fold(box.text))


def _is_page_number(text: str) -> bool:
    words = fold(text).split()
    numbers = [w for w in words if w.isdigit()]
    return bool(numbers) and all(w.isdigit() or w in ("page", "of", "p") for w in words)


def _body_size(boxes: list[_Box]) -> float:
    weights: Counter[float] = Counter()
    for box in boxes:
        weights[round(box.size, 1)] += sum(map(len, box.lines))
    return weights.most_common(1)[0][0] if weights else 0.0


def _is_heading(box: _Box, body_size: float) -> bool:
    return (box.size >= body_size * HEADING_RATIO and len(box.lines) <= 2
            and len(box.text.split()) <= HEADING_MAX_WORDS)


def _meta_title(document: PDFDocument) -> str | None:
    for info in document.info:
        value = resolve1(info.get("Title"))
        if isinstance(value, bytes):
            value = _decode_pdf_string(value)
        if isinstance(value, str) and label(value) and \
                not label(value).casefold().startswith(_UNTITLED):
            return value
    return None


def _decode_pdf_string(value: bytes) -> str:
    if value.startswith((b"\xfe\xff", b"\xff\xfe")):
        return value.decode("utf-16", "replace")
    return value.decode("latin-1")


def _heading_title(boxes: list[_Box], body_size: float) -> str | None:
    first_page = [box for box in boxes if box.page == boxes[0].page]
    headings = [box for box in first_page if _is_heading(box, body_size)]
    return max(headings, key=lambda box: box.size).text if headings else None


def _article(title: str, boxes: list[_Box], body_size: float) -> Article:
    parts = [title]
    size = len(title)
    paragraphs: list[Paragraph] = []
    section: str | None = None
    pending: list[str] = []  # a paragraph that may go on in the next box

    def flush() -> None:
        nonlocal size
        if pending:
            text = join_lines(pending)
            parts.append(text)
            start = size + 2
            size = start + len(text)
            paragraphs.append(Paragraph(start, size, section))
            pending.clear()

    for box in boxes:
        if _is_heading(box, body_size):
            heading = label(box.text)
            flush()
            if heading and heading != title:
                section = heading.rstrip(":").strip() or section
                parts.append(heading)
                size += 2 + len(heading)
            continue
        if pending and not _goes_on(join_lines(pending), box.lines[0]):
            flush()
        pending.extend(box.lines)
    flush()
    return Article(title=title, text="\n\n".join(parts), paragraphs=tuple(paragraphs))


def _goes_on(paragraph: str, next_line: str) -> bool:
    """Whether a paragraph cut off at a column or page break goes on in the next box."""
    return not paragraph.endswith(_ENDS_SENTENCE) and next_line[:1].islower()
