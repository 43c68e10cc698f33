"""Footnotes people can read: a document's short title (its front matter's `short_title`, or
its title shortened as an editor would), a short section heading and the publication date."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_folder

from bot.knowledge import Document, load_folder
from bot.titles import MAX_CHARS, cut, published_date, short_section, short_title


def titled(title: str, short: str | None = None) -> Document:
    return Document("d", "d.md", title, "", short_title=short)


@pytest.mark.parametrize(("title", "short"), [
    ("US China Relations 2023: Why is United States Secretary of State Antony Blinken going "
     "to China?", "US China Relations 2023"),
    ("The enzyme that runs the world: how catalysts shape industry - Science Weekly",
     "How catalysts shape industry"),
    ("Harbour Cup final: Rovers win on penalties after a late equaliser | Sport",
     "Rovers win on penalties after a late equaliser"),
    ("A short title", "A short title"),
    ("Topic: how catalysts shape every living cell and all of industry as we know it",
     "Topic: how catalysts shape every living cell…"),
])
def test_a_long_title_is_shortened_as_an_editor_would(title: str, short: str) -> None:
    found = short_title(titled(title))
    assert found == short
    assert len(found) <= MAX_CHARS


def test_the_front_matter_short_title_wins(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"cup.md": (
        "---\ntitle: The Harbour Cup final, as it happened, minute by minute, with reactions\n"
        "short_title: Harbour Cup final\nsource: Northport Gazette\npublished: 2024-05-13\n---"
        "\n\nNorthport beat Eastvale 3-1.\n")})
    [document] = load_folder(folder).documents
    assert document.short_title == "Harbour Cup final"
    assert short_title(document) == "Harbour Cup final"
    assert (document.source, document.published) == ("Northport Gazette", "2024-05-13")


def test_a_section_in_two_parts_keeps_what_it_is_about() -> None:
    assert short_section("China and United State News - Building Bridges and Overcoming "
                         "Challenges") == "Building Bridges and Overcoming Challenges"
    assert short_section("The Road Ahead") == "The Road Ahead"
    assert len(short_section("word " * 40)) <= MAX_CHARS


@pytest.mark.parametrize(("published", "shown"), [
    ("2023-06-16", "16 Jun 2023"), ("2023-06-16T10:30:00+00:00", "16 Jun 2023"),
    ("June 2023", "June 2023"), ("sometime " * 10, "sometime sometime sometime…"),
])
def test_a_publication_date_as_a_footnote_gives_it(published: str, shown: str) -> None:
    assert published_date(published) == shown


def test_cut_stops_at_a_word() -> None:
    assert cut("one two three four", 12) == "one two…"
    assert cut("short", 12) == "short"
