"""Telling a file's format by its content (for uploads, whose names may be wrong): PDF, HTML,
Markdown and raw text are told apart, and every other kind of file is refused with what it is and
what to send instead. Each accepted file then reads with the reader named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.readers import READERS, ReadError, sniff

FIXTURES = Path(__file__).parent / "fixtures"
PDF = (FIXTURES / "pdf" / "report-simple.pdf").read_bytes()
PAGE = (FIXTURES / "html" / "news-harbour.html").read_bytes()
MARKDOWN = b"---\ntitle: Boats\n---\n\n## Harbour\n\nBoats come and go.\n"
ARTICLE = "<p>" + "The harbour master counted forty boats in the bay at dawn. " * 3 + "</p>"
RAW = "Harbour News\n\nThe harbour master counted forty boats. Caf\u00e9 prices rose.\n".encode()


@pytest.mark.parametrize(
    ("data", "name", "suffix"),
    [
        pytest.param(PDF, "report.pdf", ".pdf", id="pdf"),
        pytest.param(PDF, "report.txt", ".pdf", id="pdf-named-txt"),
        pytest.param(PDF, "", ".pdf", id="pdf-without-a-name"),
        pytest.param(PAGE, "page.html", ".html", id="html"),
        pytest.param(PAGE, "page.pdf", ".html", id="html-named-pdf"),
        pytest.param(f"\ufeff  <!DOCTYPE html><html><body>{ARTICLE}</body></html>".encode(), "a",
                     ".html", id="html-with-bom"),
        pytest.param(f"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'><body>"
                     f"{ARTICLE}</body></html>".encode(), "x.xml", ".html", id="xhtml"),
        pytest.param(f"<html><meta charset=latin-1><p>Caf\xe9</p>{ARTICLE}</html>".encode(
            "latin-1"), "cafe.htm", ".html", id="html-in-latin-1"),
        pytest.param(MARKDOWN, "boats.md", ".md", id="markdown"),
        pytest.param(MARKDOWN, "boats", ".md", id="markdown-by-content"),
        pytest.param(b"# Boats\n\nThey come and go.\n", "notes.text", ".md", id="heading"),
        pytest.param(RAW, "news.txt", ".txt", id="raw-text"),
        pytest.param(RAW, "news", ".txt", id="raw-text-without-a-suffix"),
        pytest.param(b"# Boats\n\nThey come and go.\n", "boats.txt", ".txt",
                     id="txt-name-keeps-raw-rules"),
        pytest.param(b"<3 the harbour\n\nA paragraph.", "love.txt", ".txt",
                     id="text-opening-with-a-bracket"),
    ],
)
def test_the_format_is_told_by_content(data: bytes, name: str, suffix: str) -> None:
    assert sniff(data, name) == suffix
    assert READERS[suffix](data, name).paragraphs  # and that reader reads it


@pytest.mark.parametrize(
    ("data", "name", "what"),
    [
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00", "essay.docx", "is a Word document", id="docx"),
        pytest.param(b"PK\x03\x04\x14\x00", "bundle.zip", "is a zip archive", id="zip"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.doc", "old Office", id="doc"),
        pytest.param(b"{\\rtf1\\ansi Hello}", "letter.rtf", "word-processor", id="rtf"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "scan.pdf", "an image (PNG)", id="png-as-pdf"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo.jpg", "an image (JPEG)", id="jpeg"),
        pytest.param(b"\x00\x00\x00\x18ftypmp42", "clip.mp4", "audio or video", id="mp4"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00\x00", "tool", "binary file", id="program"),
        pytest.param("Caf\xe9 cr\xe8me, a long enough text".encode("latin-1"), "x.txt",
                     "not UTF-8", id="latin-1-text"),
        pytest.param(b"", "empty.md", "is empty", id="empty"),
        pytest.param(b" \n\t\n", "blank.txt", "is empty", id="blank"),
    ],
)
def test_other_files_are_refused_saying_what_they_are(data: bytes, name: str, what: str) -> None:
    with pytest.raises(ReadError) as caught:
        sniff(data, name)
    assert what in str(caught.value)
    assert ".md" in str(caught.value) or "again" in str(caught.value) or "send" in str(
        caught.value)


def test_a_character_cut_at_the_end_of_the_sample_is_not_an_encoding_error() -> None:
    text = ("Caf\u00e9 " * 3000).encode()  # 2-byte characters across the sniffed prefix
    assert len(text) > 8192
    assert sniff(text, "notes") == ".txt"
