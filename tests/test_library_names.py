"""File names for documents from outside (`bot.library.names`): what is refused and why, the
suffix a file's content decides, and the names made from titles and links."""

from __future__ import annotations

import pytest

from bot.library import LibraryError
from bot.library.names import check_name, name_from_url, slug, with_kind


@pytest.mark.parametrize("name", [
    "harbour.md", "Harbour News 2024.html", "report.PDF", "café-notes.txt", "新闻.md",
    "a.b.c.md", "x" * 97 + ".md",
])
def test_plain_names_are_kept(name: str) -> None:
    assert check_name(name) == name


def test_names_are_kept_in_composed_form() -> None:
    assert check_name("cafe\u0301.md") == "caf\u00e9.md"


@pytest.mark.parametrize(("name", "problem"), [
    ("", "has no name"),
    ("   ", "has no name"),
    ("../etc/passwd.md", "holds a folder path; send the file under a plain name such as "
                         "passwd.md"),
    ("..\\windows\\win.md", "holds a folder path"),
    ("sub/harbour.md", "holds a folder path"),
    ("..", "holds a folder path"),
    (".", "holds a folder path"),
    (".env.md", "a hidden file, which is never read; rename it, e.g. env.md"),
    ("report\u202efdp.md", "control or bidirectional characters"),
    ("line\nbreak.md", "control or bidirectional characters"),
    ("tab\there.md", "control or bidirectional characters"),
    ("zero\u200fwidth.md", "control or bidirectional characters"),
    (" lead.md", "starts or ends with a space"),
    ("trail.md ", "starts or ends with a space"),
    ("dots.", "ends with a dot"),
    ("x" * 101 + ".md", "at most 100"),
    ("é" * 99 + ".md", "at most 100"),
    ("CON.md", "device name"),
    ("lpt1.txt", "device name"),
    ("nul.tar.md", "device name"),
])
def test_names_that_are_not_plain_visible_file_names_are_refused(name: str, problem: str) -> None:
    with pytest.raises(LibraryError) as caught:
        check_name(name)
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "\u202e" not in str(caught.value)


@pytest.mark.parametrize(("name", "kind", "expected"), [
    ("harbour.md", ".md", "harbour.md"),
    ("harbour.markdown", ".md", "harbour.markdown"),
    ("harbour.htm", ".html", "harbour.htm"),
    ("harbour.txt", ".html", "harbour.html"),  # a web page sent as text
    ("harbour.md", ".pdf", "harbour.pdf"),
    ("README", ".md", "README.md"),
    ("notes.v2", ".txt", "notes.v2.txt"),
])
def test_the_suffix_follows_the_content(name: str, kind: str, expected: str) -> None:
    assert with_kind(name, kind) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Harbour expansion approved after decade of delays",
     "harbour-expansion-approved-after-decade-of-delays"),
    ("US China Relations 2023: Why is Blinken going?",
     "us-china-relations-2023-why-is-blinken-going"),
    ("Новости: «Порт» расширят", "новости-порт-расширят"),
    ("../../etc/passwd", "etc-passwd"),
    ("***", ""),
])
def test_slugs_are_words_joined_by_hyphens(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_a_slug_is_cut_at_a_word() -> None:
    cut = slug("word " * 40, limit=22)
    assert cut == "word-word-word-word"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://example.org/reports/Annual%20Report%202023.pdf", "annual-report-2023.pdf"),
    ("https://example.org/news/harbour-expansion/", "harbour-expansion"),
    ("https://example.org/", "example-org"),
    ("https://example.org/a.b/c?id=1", "c"),
    ("https://example.org/file.verylongsuffix", "file-verylongsuffix"),
])
def test_names_from_links(url: str, expected: str) -> None:
    assert name_from_url(url) == expected
