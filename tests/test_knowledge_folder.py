"""Listing a knowledge folder: the size limits (each file, all of them) checked before anything
is read, links, hidden and reserved files, files no reader reads (reported, not silently
passed over), odd names and folders, and labels safe to show."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FileOpens
from helpers import write_folder
from knowledge_cases import BAD, big_file, nested_folders, remove_deep_folders

from bot.knowledge import (
    MAX_DEPTH,
    MB,
    KnowledgeError,
    Limits,
    list_folder,
    load_folder,
    read_file,
    shown,
)
from bot.readers.article import BIDI_CONTROLS

GOOD = {"good.txt": "Good\n\nA fine paragraph."}


@pytest.fixture(autouse=True)
def _deep_folders_removed() -> Iterator[None]:
    yield
    remove_deep_folders()


def error_for(folder: Path, limits: Limits = Limits()) -> str:  # noqa: B008
    with pytest.raises(KnowledgeError) as caught:
        load_folder(folder, limits)
    return str(caught.value)


# ---- size limits ---------------------------------------------------------------------------

def test_a_50_mb_file_is_refused_without_being_read(
    tmp_path: Path, file_opens: FileOpens
) -> None:
    folder = write_folder(tmp_path / "k", GOOD)
    dump = big_file(folder / "zz-dump.txt")  # listed after good.txt
    file_opens.paths.clear()  # making it opened it
    started = time.perf_counter()
    message = error_for(folder)
    assert time.perf_counter() - started < 1.0
    assert message.startswith(f"{dump}: 50.0 MB is larger than the 10 MB limit")
    assert "BOT_MAX_FILE_MB" in message
    # Refused while the folder is listed, on its size alone: no file was opened at all.
    assert not [p for p in file_opens.paths if p.startswith(str(folder))]


def test_the_file_limit_is_a_parameter(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {**GOOD, "long.txt": "Long\n\n" + "word " * 400})
    assert len(load_folder(folder, Limits(max_file_bytes=4096)).documents) == 2
    message = error_for(folder, Limits(max_file_bytes=1024))
    assert message.startswith(f"{folder / 'long.txt'}: ")
    assert "is larger than the" in message


def test_fifty_files_under_the_file_limit_are_refused_by_the_total_before_any_is_read(
    tmp_path: Path, file_opens: FileOpens
) -> None:
    # The case that used to load for 162 s to a 4.35 GB peak.
    folder = write_folder(tmp_path / "k", GOOD)
    for number in range(50):
        big_file(folder / f"part-{number:02}.txt", int(9.9 * MB))
    file_opens.paths.clear()
    started = time.perf_counter()
    message = error_for(folder)
    assert time.perf_counter() - started < 1.0
    assert message.startswith(f"{folder}: the documents add up to 495.0 MB, more than the 50 MB "
                              "limit for a knowledge folder (BOT_MAX_KNOWLEDGE_MB)")
    assert not [p for p in file_opens.paths if p.startswith(str(folder))]


def test_a_folder_at_the_total_limit_loads_and_one_byte_more_does_not(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"a.txt": "A\n\nFirst.", "b.txt": "B\n\nSecond."})
    total = list_folder(folder).total_bytes
    assert total == sum(p.stat().st_size for p in folder.iterdir())
    assert len(load_folder(folder, Limits(max_total_bytes=total)).documents) == 2
    assert "add up to" in error_for(folder, Limits(max_total_bytes=total - 1))


def test_files_that_are_not_read_do_not_count_toward_the_total(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", GOOD)
    big_file(folder / "video.mp4")
    assert load_folder(folder).skipped == (
        ("video.mp4", "is audio or video (.mp4), which is not read; put a transcript into a "
                      ".md or .txt file"),)


# ---- what is read, left out and reported ----------------------------------------------------

def test_files_no_reader_reads_are_reported_with_what_to_do_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_folder(tmp_path / "k", {
        **GOOD, "report.docx": b"PK\x03\x04", "sub/photo.JPG": b"\xff\xd8\xff", "NOTES": "x",
        "data.xyz": "x",
    })
    os.mkfifo(folder / "pipe.md")
    with caplog.at_level(logging.WARNING, logger="bot.knowledge"):
        kb = load_folder(folder)
    assert [d.id for d in kb.documents] == ["good"]
    reasons = dict(kb.skipped)
    assert list(reasons) == ["NOTES", "data.xyz", "pipe.md", "report.docx", "sub/photo.JPG"]
    assert reasons["report.docx"].startswith("is a word-processor document (.docx)")
    assert "save it as PDF" in reasons["report.docx"]
    assert reasons["sub/photo.JPG"].startswith("is an image (.jpg)")
    assert "has no suffix" in reasons["NOTES"]
    assert "convert it to .md, .txt, .html or .pdf" in reasons["data.xyz"]
    assert "not a regular file" in reasons["pipe.md"]
    [record] = [r for r in caplog.records if r.name == "bot.knowledge"]
    assert record.levelname == "WARNING"
    for name, why in kb.skipped:
        assert f"{name} {why}" in record.getMessage()


def test_a_folder_of_only_unread_files_says_which_formats_are_read(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"notes.docx": "not an article"})
    message = error_for(folder)
    assert message == (f"{folder}: no documents found; add .md, .txt, .html or .pdf files to it")


def test_the_top_level_synonyms_file_is_the_knowledge_base_s_own_not_an_article(
    tmp_path: Path,
) -> None:
    folder = write_folder(tmp_path / "k", {
        **GOOD, "synonyms.txt": "lorry, truck\n", "sub/synonyms.txt": "Synonyms\n\nAn article.",
    })
    kb = load_folder(folder)
    assert [d.id for d in kb.documents] == ["good", "sub/synonyms"]
    assert kb.skipped == ()


def test_hidden_files_and_folders_are_left_out_silently(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {
        **GOOD, ".draft.md": "# Draft\n\nNot yet.", ".git/config.txt": "x", ".DS_Store": "x",
    })
    os.symlink(tmp_path, folder / ".link", target_is_directory=True)
    os.symlink(tmp_path / "nowhere.txt", folder / ".dangling.txt")
    kb = load_folder(folder)
    assert [d.id for d in kb.documents] == ["good"]
    assert kb.skipped == ()


def test_links_inside_the_folder_are_served_and_linked_folders_not_followed(
    tmp_path: Path,
) -> None:
    folder = write_folder(tmp_path / "k", {"sub/good.txt": "Good\n\nA fine paragraph."})
    os.symlink(folder / "sub" / "good.txt", folder / "alias.txt")
    os.symlink(folder / "sub", folder / "again", target_is_directory=True)
    # The linked folder inside is not read twice: its files are read where they are.
    assert [d.id for d in load_folder(folder).documents] == ["alias", "sub/good"]


def test_links_to_files_no_reader_reads_are_reported_not_followed(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", GOOD)
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    os.symlink(tmp_path / "photo.png", folder / "photo.png")
    os.symlink(tmp_path / "nowhere.docx", folder / "missing.docx")
    kb = load_folder(folder)
    assert [d.id for d in kb.documents] == ["good"]
    assert [name for name, _ in kb.skipped] == ["missing.docx", "photo.png"]


def test_reading_a_file_that_is_gone_says_it_disappeared(tmp_path: Path) -> None:
    gone = tmp_path / "gone.txt"
    with pytest.raises(KnowledgeError, match="disappeared") as caught:
        read_file(gone, tmp_path)
    assert str(gone) in str(caught.value)
    assert "try the reload again" in str(caught.value)


# ---- every problem: one line naming the path, with what to do -------------------------------

@pytest.mark.parametrize("name", BAD)
def test_the_loader_names_the_file_and_the_problem_on_one_line(tmp_path: Path, name: str) -> None:
    folder = write_folder(tmp_path / "k", GOOD)
    make, problem = BAD[name]
    bad = make(folder)
    message = error_for(folder)
    assert message.startswith(f"{shown(bad)}: ")
    assert problem in message
    assert "\n" not in message
    message.encode("utf-8")  # printable anywhere: no undecodable bytes left in it
    assert message.rstrip(".").split(";")[-1].strip()  # and says what to do about it


def test_a_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", GOOD)
    Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9.txt")).write_text("Cafe\n\nCoffee.")
    assert error_for(folder) == (f"{folder}/caf\\xe9.txt: the name is not valid UTF-8; rename "
                                 "it (a name in UTF-8, as any current system writes it)")


def test_folders_nested_1000_deep_are_refused_quickly_by_name(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", GOOD)
    too_deep = nested_folders(folder, 1000)
    started = time.perf_counter()
    message = error_for(folder)
    assert time.perf_counter() - started < 1.0
    assert message == (f"{too_deep}: folders are nested more than {MAX_DEPTH} deep; move the "
                       "articles into a shallower folder")


def test_folders_nested_up_to_the_limit_are_read(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", GOOD)
    deepest = folder.joinpath(*["d"] * MAX_DEPTH)
    deepest.mkdir(parents=True)
    (deepest / "deep.txt").write_text("Deep\n\nFar down.")
    assert [d.id for d in load_folder(folder).documents] == ["d/" * MAX_DEPTH + "deep", "good"]


# ---- labels shown to people -----------------------------------------------------------------

def test_bidirectional_controls_never_reach_a_label(tmp_path: Path) -> None:
    rlo, lri, pdi = "\u202e", "\u2066", "\u2069"
    folder = write_folder(tmp_path / "k", {
        f"report{rlo}fdp.md": (f"---\ntitle: Budget {rlo}2024{pdi}\nsource: The {lri}Times\n---\n\n"
                               f"## Spending{rlo} plans\n\nThe {rlo}council met.\n"),
        f"notes{lri}.txt": f"Field {rlo}notes\n\nWeather{pdi}:\nIt rained.\n",
    })
    kb = load_folder(folder)
    labels = [d.id for d in kb.documents] + [d.title for d in kb.documents]
    labels += [d.source or "" for d in kb.documents] + [p.section or "" for p in kb.passages]
    assert labels == ["notes", "reportfdp", "Field notes", "Budget 2024", "", "The Times",
                      "Weather", "Spending plans"]
    for label in labels:
        assert not set(label) & set(BIDI_CONTROLS)
    # The quoted text itself is left as written: a passage quotes its document verbatim.
    assert kb.passages[1].text == f"The {rlo}council met."


def test_control_characters_in_a_file_name_are_not_in_its_label(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"two\nlines.txt": "Title\n\nA paragraph."})
    [doc] = load_folder(folder).documents
    assert doc.id == "two lines"
