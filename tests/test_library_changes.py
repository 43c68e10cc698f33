"""Changes to the knowledge folder that can be taken back (`bot.library.changes`), the folder's
signature the watcher compares, the clean-up after a crash, and the records of who added what
(`bot.library.records`), which outlive the process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import write_folder

from bot.library import changes
from bot.library.changes import FolderChange, clean_up, signature
from bot.library.records import FILE_NAME, Record, Records


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "knowledge", {
        "harbour.md": "# Harbour\n\nThe berth is deep.\n", "sub/ferry.txt": "Ferry\n\nIt sails.\n",
        "synonyms.txt": "ship, vessel\n"})


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_new_file_taken_back_leaves_the_folder_as_it_was(folder: Path) -> None:
    before = signature(folder)
    change = FolderChange(folder)
    change.write("volcanoes.md", b"# Volcanoes\n\nLava.\n")
    assert (folder / "volcanoes.md").read_bytes() == b"# Volcanoes\n\nLava.\n"
    assert signature(folder) != before
    change.undo()
    assert not (folder / "volcanoes.md").exists()
    assert signature(folder) == before
    assert hidden(folder) == []


def test_a_replaced_file_taken_back_is_the_very_same_file(folder: Path) -> None:
    path = folder / "harbour.md"
    before, inode = signature(folder), path.stat().st_ino
    change = FolderChange(folder)
    change.write("harbour.md", b"# Harbour\n\nRewritten.\n")
    assert path.read_bytes() == b"# Harbour\n\nRewritten.\n"
    assert len(hidden(folder)) == 1  # the old version, set aside
    change.undo()
    assert path.read_bytes() == b"# Harbour\n\nThe berth is deep.\n"
    assert path.stat().st_ino == inode  # same inode and times: the watcher sees no change
    assert signature(folder) == before
    assert hidden(folder) == []


def test_a_kept_change_deletes_what_it_set_aside(folder: Path) -> None:
    change = FolderChange(folder)
    change.set_aside(folder / "sub" / "ferry.txt")
    change.write("harbour.md", b"# Harbour\n\nRewritten.\n")
    assert not (folder / "sub" / "ferry.txt").exists()
    change.keep()
    assert hidden(folder) == []
    assert hidden(folder / "sub") == []
    change.undo()  # nothing left to take back once kept
    assert (folder / "harbour.md").read_bytes() == b"# Harbour\n\nRewritten.\n"


def test_a_set_aside_file_taken_back_returns(folder: Path) -> None:
    before = signature(folder)
    change = FolderChange(folder)
    change.set_aside(folder / "harbour.md")
    assert not (folder / "harbour.md").exists()
    change.undo()
    assert signature(folder) == before


def test_the_signature_sees_what_the_loader_reads_and_nothing_hidden(folder: Path) -> None:
    before = signature(folder)
    assert before is not None
    assert {entry[0] for entry in before} == {"harbour.md", "sub/ferry.txt", "synonyms.txt"}
    (folder / ".harbour.md.swp").write_bytes(b"swap")
    (folder / ".git").mkdir()
    (folder / ".git" / "index").write_bytes(b"x")
    assert signature(folder) == before
    (folder / "sub" / "ferry.txt").write_text("Ferry\n\nIt sails at dawn.\n")
    assert signature(folder) != before
    assert signature(folder / "missing") is None


def test_leftovers_of_a_crash_are_cleaned_up(folder: Path) -> None:
    # What a change leaves when the process dies in its middle: a half-written file, the old
    # version of a replaced file, and a file set aside whose removal was never confirmed.
    (folder / ".volcanoes.md.bot-1a2b3c4d.part").write_bytes(b"# Volc")
    os.link(folder / "harbour.md", folder / ".harbour.md.bot-5e6f7a8b.kept")
    os.replace(folder / "synonyms.txt", folder / ".synonyms.txt.bot-9c0d1e2f.kept")
    (folder / ".editor.swp").write_bytes(b"not ours")
    assert clean_up(folder) == []  # too recent: another instance may be making that change
    done = clean_up(folder, older_than=0)
    assert len(done) == 3
    assert hidden(folder) == [".editor.swp"]
    assert (folder / "synonyms.txt").read_text() == "ship, vessel\n"  # put back
    assert (folder / "harbour.md").read_text() == "# Harbour\n\nThe berth is deep.\n"


def test_records_outlive_the_process_and_belong_to_their_folder(tmp_path: Path,
                                                                folder: Path) -> None:
    state = tmp_path / "state"
    records = Records(state, folder)
    record = Record("harbour.md", 1700000000.0, 42, "Ada (@ada)", "https://x.example/h", "ab")
    records.put(record)
    records.put(Record("sub/ferry.txt", 1700000001.0, 43, "Bo", None, "cd"))
    records.drop("sub/ferry.txt")
    records.close()
    assert (state / FILE_NAME).is_file()
    assert Records(state, folder).all() == {"harbour.md": record}
    other = write_folder(tmp_path / "other", {"a.md": "# A\n\nText.\n"})
    assert Records(state, other).all() == {}


def test_records_without_a_state_folder_are_kept_in_memory(folder: Path) -> None:
    records = Records(None, folder)
    records.put(Record("harbour.md", 1.0, 42, "Ada", None, "ab"))
    assert list(records.all()) == ["harbour.md"]


def test_an_unwritable_state_folder_falls_back_to_memory(
    tmp_path: Path, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    records = Records(blocker, folder)
    records.put(Record("harbour.md", 1.0, 42, "Ada", None, "ab"))
    assert list(records.all()) == ["harbour.md"]
    assert "kept in memory only" in caplog.text


def test_temporary_names_are_hidden_and_recognisable(folder: Path) -> None:
    change = FolderChange(folder)
    change.write("harbour.md", b"x")
    [kept] = hidden(folder)
    assert kept.startswith(".harbour.md.bot-")
    assert kept.endswith(changes.KEPT)
    change.keep()
