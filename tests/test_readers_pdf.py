"""PDF files: paragraphs whole and in reading order across two columns written out of order,
words hyphenated at line ends joined, running headers, footers and page numbers left out, larger
type as headings; and scans, password-protected, damaged and enormous files refused with what to
do. The fixtures are made by `tests/fixtures/pdf/make_pdfs.py`."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from helpers import write_folder

from bot.knowledge import KnowledgeError, load_folder
from bot.readers import ReadError, pdf
from bot.readers.article import Article, fold

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
REPORTS = ["report-simple", "report-two-column"]


def truth(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def read(name: str) -> Article:
    return pdf.read((FIXTURES / f"{name}.pdf").read_bytes(), f"{name}.pdf")


def texts(article: Article) -> list[str]:
    return [article.text[p.start : p.end] for p in article.paragraphs]


@pytest.mark.parametrize("name", REPORTS)
def test_paragraphs_are_whole_in_reading_order_and_unhyphenated(name: str) -> None:
    # Each paragraph as written, though its lines were wrapped and hyphenated, and (in the
    # two-column report) written to the file row by row across both columns and run on over
    # column and page breaks.
    assert texts(read(name)) == truth(name)["paragraphs"]


@pytest.mark.parametrize("name", REPORTS)
def test_headers_footers_and_page_numbers_are_left_out(name: str) -> None:
    article = read(name)
    assert len(truth(name)["boilerplate"]) >= 3  # a header, and "Page N of M" on 2+ pages
    for furniture in truth(name)["boilerplate"]:
        assert fold(furniture) not in fold(article.text)


@pytest.mark.parametrize("name", REPORTS)
def test_larger_type_opens_sections_and_the_title_is_the_document_s(name: str) -> None:
    article = read(name)
    want = truth(name)
    assert article.title == want["title"]
    assert list(dict.fromkeys(p.section for p in article.paragraphs)) == want["sections"]


def test_without_a_title_in_its_metadata_the_largest_heading_is_the_title() -> None:
    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", "B", 20)
    doc.text(20, 30, "Tide Tables Explained")
    doc.set_font("Helvetica", "", 10)
    doc.text(20, 45, "High water at the harbour comes about fifty minutes later each day.")
    article = pdf.read(bytes(doc.output()), "tides.pdf")
    assert article.title == "Tide Tables Explained"
    assert texts(article) == ["High water at the harbour comes about fifty minutes later each "
                              "day."]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        pytest.param((FIXTURES / "scanned.pdf").read_bytes(), "no text to read", id="scanned"),
        pytest.param((FIXTURES / "encrypted.pdf").read_bytes(), "protected by a password",
                     id="encrypted"),
        pytest.param((FIXTURES / "report-simple.pdf").read_bytes()[:1500], "damaged or incomplete",
                     id="truncated"),
        pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 40, "damaged or incomplete",
                     id="garbage-after-the-header"),
        pytest.param(b"PK\x03\x04 a zip archive named .pdf", "not a PDF file", id="not-a-pdf"),
    ],
)
def test_a_pdf_that_cannot_be_read_is_refused_with_what_to_do(data: bytes, problem: str) -> None:
    with pytest.raises(ReadError) as caught:
        pdf.read(data, "file.pdf")
    assert str(caught.value).startswith(("has", "is")), str(caught.value)
    assert problem in str(caught.value)
    assert "; " in str(caught.value)


def test_a_page_of_scattered_letters_is_refused_before_its_slow_layout_analysis() -> None:
    # 60,000 letters, each a box of its own: the analysis of such a page took 45 s.
    doc = FPDF(unit="mm")
    doc.add_page()
    doc.set_font("Helvetica", "", 1)
    for number in range(60_000):
        doc.text(5 + number % 200, 5 + number // 200 * 0.45, "x")
    started = time.perf_counter()
    with pytest.raises(ReadError, match="a page of 60,000 letters"):
        pdf.read(bytes(doc.output()), "file.pdf")
    assert time.perf_counter() - started < 20


def test_too_many_pages_are_refused_from_the_page_count_alone() -> None:
    doc = FPDF()
    doc.set_font("Helvetica", "", 10)
    for number in range(pdf.MAX_PAGES + 1):
        doc.add_page()
        doc.text(20, 20, f"Page {number}.")
    started = time.perf_counter()
    with pytest.raises(ReadError, match="1,001 pages, more than 1,000"):
        pdf.read(bytes(doc.output()), "file.pdf")
    assert time.perf_counter() - started < 2


def test_a_pdf_in_the_knowledge_folder_is_quoted_verbatim_and_cited(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"notes.md": "# Notes\n\nA paragraph."})
    shutil.copyfile(FIXTURES / "report-two-column.pdf", folder / "erosion.pdf")
    kb = load_folder(folder)
    doc = next(d for d in kb.documents if d.id == "erosion")
    assert doc.title == "Coastal Erosion Along Maren Bay"
    passages = [p for p in kb.passages if p.document is doc]
    assert [p.text for p in passages] == truth("report-two-column")["paragraphs"]
    assert [p.paragraph for p in passages] == list(range(1, len(passages) + 1))
    for p in passages:
        assert doc.text[p.start : p.end] == p.text


def test_a_scanned_pdf_fails_the_load_naming_the_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"notes.md": "# Notes\n\nA paragraph."})
    shutil.copyfile(FIXTURES / "scanned.pdf", folder / "scan.pdf")
    with pytest.raises(KnowledgeError) as caught:
        load_folder(folder)
    assert str(caught.value).startswith(f"{folder / 'scan.pdf'}: has no text to read")
    assert "OCR" in str(caught.value)
