"""Saved web pages: the article's paragraphs and headings, without the page's furniture, on
realistic pages (news, blog, wiki, magazine, an old table layout; `tests/fixtures/html/`), and
every page that holds no article refused with what to do."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import write_folder

from bot.knowledge import KnowledgeError, load_folder
from bot.readers import ReadError, html
from bot.readers.article import Article, fold

FIXTURES = Path(__file__).parent / "fixtures" / "html"
PAGES = sorted(p.stem for p in FIXTURES.glob("*.html"))
MODERN = [name for name in PAGES if not name.startswith("oldsite")]


def truth(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def read(name: str) -> Article:
    return html.read((FIXTURES / f"{name}.html").read_bytes(), f"{name}.html")


def texts(article: Article) -> list[str]:
    return [article.text[p.start : p.end] for p in article.paragraphs]


@pytest.mark.parametrize("name", PAGES)
def test_every_article_paragraph_is_a_passage_in_order(name: str) -> None:
    article = read(name)
    found = [fold(t) for t in texts(article)]
    expected = [fold(p) for p in truth(name)["paragraphs"]]
    positions = [found.index(p) for p in expected]  # raises if one is missing or merged
    assert positions == sorted(positions)


@pytest.mark.parametrize("name", MODERN)
def test_no_furniture_of_the_page_is_kept(name: str) -> None:
    text = fold(read(name).text)
    kept = [b for b in truth(name)["boilerplate"] if fold(b) in text]
    assert kept == []


@pytest.mark.parametrize("name", MODERN)
def test_headings_open_sections(name: str) -> None:
    article = read(name)
    sections = list(dict.fromkeys(p.section for p in article.paragraphs if p.section))
    expected = truth(name)["sections"]
    assert sections[: len(expected)] == expected
    by_text = {fold(article.text[p.start : p.end]): p.section for p in article.paragraphs}
    assert by_text[fold(truth(name)["paragraphs"][-1])] == expected[-1]


@pytest.mark.parametrize("name", MODERN)
def test_title_site_link_and_date_come_from_the_page_s_metadata(name: str) -> None:
    article = read(name)
    want = truth(name)
    assert (article.title, article.source, article.url) == (
        want["title"], want["source"], want["url"])
    if want["published"]:
        assert article.published == want["published"]


def test_a_page_without_an_article_element_still_gives_its_paragraphs_and_title() -> None:
    article = read("oldsite-floods")
    assert truth("oldsite-floods")["title"] in article.title
    assert article.published == "2024-02-09"  # "Published Friday 9 February 2024"


def test_a_page_in_its_declared_legacy_encoding_is_decoded_by_it() -> None:
    page = ("<html><head><meta charset='windows-1252'><title>Caf\xe9 prices</title></head>"
            "<body><article><h1>Caf\xe9 prices</h1><p>" + "The caf\xe9 on the quay raised the "
            "price of a cr\xe8me br\xfbl\xe9e to four pounds this spring. " * 3 + "</p></article>"
            "</body></html>").encode("cp1252")
    article = html.read(page, "cafe.html")
    assert article.title == "Café prices"
    assert "crème brûlée" in texts(article)[0]


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        pytest.param(b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
                     "no article text", id="navigation-only"),
        pytest.param(b"", "no article text", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", id="an-image-named-html"),
        pytest.param(b"<html><body>" + b"<span></span>" * 70_000 + b"</body></html>",
                     "more than the 60,000", id="too-many-elements"),
    ],
)
def test_a_page_without_an_article_is_refused_with_what_to_do(page: bytes, problem: str) -> None:
    with pytest.raises(ReadError) as caught:
        html.read(page, "page.html")
    assert problem in str(caught.value)
    assert "; " in str(caught.value)  # and what to do about it


def test_a_hostile_page_is_refused_in_about_a_second_not_minutes() -> None:
    # 760,000 empty elements in 10 MB: trafilatura alone spent over a minute on it.
    page = b"<html><body>" + b"<span></span>" * 760_000 + b"</body></html>"
    started = time.perf_counter()
    with pytest.raises(ReadError, match="760,002 HTML elements"):
        html.read(page, "page.html")
    assert time.perf_counter() - started < 10


def test_an_html_file_in_the_knowledge_folder_is_quoted_verbatim(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"notes.md": "# Notes\n\nA paragraph."})
    shutil.copyfile(FIXTURES / "news-harbour.html", folder / "harbour.htm")
    kb = load_folder(folder)
    doc = next(d for d in kb.documents if d.id == "harbour")
    assert doc.title == "Harbour expansion approved after decade of delays"
    assert doc.source == "The Coastal Courier"
    passages = [p for p in kb.passages if p.document is doc]
    assert len(passages) >= len(truth("news-harbour")["paragraphs"])
    for p in passages:
        assert doc.text[p.start : p.end] == p.text
    assert kb.skipped == ()


def test_a_page_with_no_article_fails_the_load_naming_the_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {
        "notes.md": "# Notes\n\nA paragraph.",
        "login.html": "<html><body><form><input name=user></form></body></html>",
    })
    with pytest.raises(KnowledgeError) as caught:
        load_folder(folder)
    assert str(caught.value).startswith(f"{folder / 'login.html'}: no article text found")
