"""The on-disk cache restores the passages and the index exactly, is keyed by the files' content,
and never serves a stale or damaged entry."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import sparse

from bot import index_cache
from bot.index import Index
from bot.index_cache import (
    DOCUMENTS,
    MANIFEST,
    MATRIX,
    PREFIX,
    TEXTS,
    IndexCache,
    entry_key,
    folder_files,
    knowledge_files,
)
from bot.knowledge import load_folder
from bot.serving import open_index

ARTICLE = """---
title: Blinken visits China
source: Example News
url: https://example.com/blinken
---
# Blinken visits China

The Secretary of State landed in Beijing on Sunday.

## Talks

The talks covered fentanyl, trade and military communication.

Both sides agreed to keep channels open.
"""
NOTES = "Notes on balloons\n\nA balloon drifted over Montana in February.\n\nIt was shot down.\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    (root / "sub").mkdir(parents=True)
    (root / "blinken.md").write_text(ARTICLE, encoding="utf-8")
    (root / "sub" / "notes.txt").write_text(NOTES, encoding="utf-8")
    return root


@pytest.fixture
def cache(tmp_path: Path) -> IndexCache:
    return IndexCache(tmp_path / "cache")


def assert_same_index(restored: Index, built: Index) -> None:
    assert restored.knowledge == built.knowledge
    assert restored.vocabulary == built.vocabulary
    assert restored.surface == built.surface
    assert restored.surface_counts.tolist() == built.surface_counts.tolist()
    for part in ("data", "indices", "indptr"):
        restored_part, built_part = getattr(restored.matrix, part), getattr(built.matrix, part)
        np.testing.assert_array_equal(restored_part, built_part)
        assert restored_part.dtype == built_part.dtype
    np.testing.assert_array_equal(restored.text_bits, built.text_bits)
    np.testing.assert_array_equal(restored.idf, built.idf)
    assert restored.avgdl == built.avgdl
    for token in built.vocabulary:
        assert restored.search([token], k=5) == built.search([token], k=5)


def test_restore_gives_back_the_loaded_passages_and_the_built_index(
    folder: Path, cache: IndexCache
) -> None:
    built = Index(load_folder(folder), k1=1.2, b=0.7)
    assert cache.save(built) is not None
    restored = cache.restore(folder, 1.2, 0.7)
    assert restored is not None
    assert_same_index(restored, built)
    assert restored.k1 == 1.2
    assert restored.b == 0.7
    # The passages are real objects, quoting their documents verbatim.
    first = restored.passages[0]
    assert first.document.text[first.start : first.end] == first.text
    assert first.document.url == "https://example.com/blinken"


def test_a_restored_index_reports_the_files_the_folder_holds_but_does_not_read(
    folder: Path, cache: IndexCache, caplog: pytest.LogCaptureFixture
) -> None:
    built = Index(load_folder(folder))
    cache.save(built)
    (folder / "minutes.docx").write_bytes(b"PK\x03\x04 not an article")
    with caplog.at_level(logging.WARNING):
        restored = cache.restore(folder, built.k1, built.b)
    assert restored is not None  # the .docx is no document: the same entry serves
    assert [name for name, _ in restored.knowledge.skipped] == ["minutes.docx"]
    assert "minutes.docx" in caplog.text
    assert load_folder(folder).skipped == restored.knowledge.skipped


def test_load_for_a_loaded_knowledge_base_uses_its_passages(
    folder: Path, cache: IndexCache
) -> None:
    knowledge = load_folder(folder)
    cache.save(Index(knowledge))
    again = load_folder(folder)
    restored = cache.load(again, 1.5, 0.75)
    assert restored is not None
    assert restored.knowledge is again


def test_a_changed_added_or_renamed_file_misses(folder: Path, cache: IndexCache) -> None:
    cache.save(Index(load_folder(folder)))
    assert cache.restore(folder, 1.5, 0.75) is not None
    assert cache.restore(folder, 1.5, 0.8) is None  # other parameters, other entry
    notes = folder / "sub" / "notes.txt"
    notes.write_text(NOTES.replace("February", "March"), encoding="utf-8")
    assert cache.restore(folder, 1.5, 0.75) is None
    notes.write_text(NOTES, encoding="utf-8")
    assert cache.restore(folder, 1.5, 0.75) is not None
    notes.rename(folder / "sub" / "notes.md")  # same bytes, parsed as Markdown now
    assert cache.restore(folder, 1.5, 0.75) is None
    (folder / "sub" / "notes.md").rename(notes)
    (folder / "extra.txt").write_text("Extra\n\nMore text.\n", encoding="utf-8")
    assert cache.restore(folder, 1.5, 0.75) is None


def test_keys_come_from_the_same_files_either_way(folder: Path) -> None:
    knowledge = load_folder(folder)
    assert knowledge_files(knowledge) == folder_files(folder)
    assert entry_key(folder_files(folder), 1.5, 0.75) != entry_key(folder_files(folder), 1.5, 0.7)


def test_served_from_another_folder_the_paths_are_the_new_folder_s(
    folder: Path, cache: IndexCache, tmp_path: Path
) -> None:
    cache.save(Index(load_folder(folder)))
    moved = folder.rename(tmp_path / "moved")
    restored = cache.restore(moved, 1.5, 0.75)
    assert restored is not None
    assert restored.knowledge == load_folder(moved)


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "text", "manifest",
                                    "missing"])
def test_a_damaged_entry_is_removed_and_rebuilt_never_served(
    folder: Path, cache: IndexCache, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    built = Index(load_folder(folder))
    path = cache.save(built)
    assert path is not None
    matrix = path / MATRIX
    raw = bytearray(matrix.read_bytes())
    if damage == "flip":
        raw[-20] ^= 0x01  # one bit of one weight
        matrix.write_bytes(bytes(raw))
    elif damage == "truncate":
        matrix.write_bytes(bytes(raw[: len(raw) // 2]))
    elif damage == "garbage":
        (path / DOCUMENTS).write_bytes(b"not JSON at all")
    elif damage == "text":  # one letter of a quoted paragraph
        texts = (path / TEXTS).read_bytes()
        (path / TEXTS).write_bytes(texts.replace(b"Beijing", b"Beijinh", 1))
    elif damage == "manifest":  # a number changed in the manifest itself
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        manifest["entry"]["avgdl"] += 1
        (path / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    else:
        (path / DOCUMENTS).unlink()
    with caplog.at_level(logging.WARNING, logger="bot.index_cache"):
        assert cache.restore(folder, 1.5, 0.75) is None
    assert "unusable" in caplog.text
    assert not path.exists()
    rebuilt = open_index(folder, cache, 1.5, 0.75)  # rebuilds and writes a good entry
    assert_same_index(rebuilt, built)
    assert path.exists()
    restored = cache.restore(folder, 1.5, 0.75)
    assert restored is not None
    assert_same_index(restored, built)


def test_an_entry_is_standard_files(folder: Path, cache: IndexCache) -> None:
    built = Index(load_folder(folder))
    path = cache.save(built)
    assert path is not None
    matrix = sparse.load_npz(path / MATRIX)
    np.testing.assert_array_equal(matrix.toarray(), built.matrix.toarray())
    lines = (path / DOCUMENTS).read_text(encoding="utf-8").splitlines()
    documents = [json.loads(line) for line in lines]
    assert [d["document"]["id"] for d in documents] == ["blinken", "sub/notes"]
    assert documents[0]["passages"]["id"] == [p.id for p in built.passages[:3]]
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(manifest["entry"]["files"]) == sorted(
        p.name for p in path.iterdir() if p.name != MANIFEST)


def test_an_entry_with_another_key_inside_is_not_served(folder: Path, cache: IndexCache) -> None:
    path = cache.save(Index(load_folder(folder)))
    assert path is not None
    impostor = cache.path_for(entry_key(folder_files(folder), 2.0, 0.75))
    path.rename(impostor)
    assert cache.restore(folder, 2.0, 0.75) is None
    assert not impostor.exists()


def test_only_the_newest_entries_are_kept(folder: Path, tmp_path: Path) -> None:
    cache = IndexCache(tmp_path / "cache", keep=2)
    knowledge = load_folder(folder)
    for k1 in (1.0, 1.1, 1.2):
        path = cache.save(Index(knowledge, k1=k1))
        assert path is not None
        os.utime(path, (k1, k1))  # an mtime order that cannot tie
    kept = sorted(p.name for p in cache.folder.glob(f"{PREFIX}*"))
    assert len(kept) == 2
    assert cache.restore(folder, 1.0, 0.75) is None
    assert cache.restore(folder, 1.2, 0.75) is not None


def test_an_unwritable_cache_only_logs(folder: Path, tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    cache = IndexCache(blocker / "cache")
    with caplog.at_level(logging.WARNING, logger="bot.index_cache"):
        index = open_index(folder, cache, 1.5, 0.75)
    assert len(index) == len(load_folder(folder).passages)
    assert "could not write the index cache" in caplog.text


def test_a_folder_the_loader_rejects_is_a_miss_not_an_error(
    folder: Path, cache: IndexCache
) -> None:
    cache.save(Index(load_folder(folder)))
    (folder / "broken.md").write_bytes(b"\x00\x01binary")
    assert cache.restore(folder, 1.5, 0.75) is None


@pytest.mark.parametrize("size", [0, 1, 2**16 - 1, 2**16, 2**16 + 1, 3 * 2**16 + 5])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float64, np.bool_])
def test_arrays_become_lists_a_slice_at_a_time_with_nothing_lost(size: int, dtype: Any) -> None:
    array = (np.arange(size) * 7 % 1000).astype(dtype)
    listed = index_cache._listed(array)
    assert listed == array.tolist()
    assert all(type(a) is type(b) for a, b in zip(listed, array.tolist(), strict=True))
