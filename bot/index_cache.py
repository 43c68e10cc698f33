"""The on-disk cache of built indexes, with the passages they were built from, so that a restart
serves in about a second instead of re-reading, re-parsing and re-indexing every article.

An entry is keyed by the content of every knowledge file (SHA-256 of its bytes), k1 and b, and
the code that turns files into passages and passages into weights: a changed, added or removed
file, or an upgrade of that code, is a different key, so a stale entry is never found. A
damaged entry (zip CRC, shapes, ranges) is removed and rebuilt, never served.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import Stemmer
from scipy import sparse

from bot import corpus, facts, index, knowledge, readers, text
from bot.index import Index
from bot.knowledge import (
    DEFAULT_LIMITS,
    Document,
    KnowledgeBase,
    KnowledgeError,
    Limits,
    Passage,
    document_files,
)

log = logging.getLogger(__name__)
FORMAT = "3"
PREFIX = "kb-"
_DECODE_BYTES = 1 << 20
_LIST_ITEMS = 1 << 16  # numbers turned into Python objects per call: ~2 ms
_SOURCES = (knowledge, text, corpus, facts, index)  # and this module: what the entries are made by


class CacheError(Exception):
    """A cache entry that cannot be used: damaged, or made by other code."""


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the code (and stemmer) that decide what an entry holds."""
    digest = hashlib.sha256(f"{FORMAT}|{text.TOKENIZER_VERSION}".encode())
    for module in (*_SOURCES, sys.modules[__name__]):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(str(Stemmer.version()).encode())
    digest.update(readers.fingerprint().encode())  # the readers and their extractors' versions
    return digest.hexdigest()


def entry_key(files: Sequence[tuple[str, str]], k1: float, b: float) -> str:
    """The key of the entry for (relative path, SHA-256) pairs, in the loader's order."""
    digest = hashlib.sha256(f"{code_digest()}|{k1!r}|{b!r}".encode())
    for name, sha in files:
        digest.update(f"\n{name}\t{sha}".encode())
    return digest.hexdigest()[:40]


def knowledge_files(knowledge: KnowledgeBase) -> list[tuple[str, str]]:
    """(relative path, SHA-256) of every file a knowledge base was read from."""
    return [(d.id + Path(d.path).suffix, d.digest) for d in knowledge.documents]


def folder_files(root: Path, limits: Limits = DEFAULT_LIMITS) -> list[tuple[str, str]]:
    """(relative path, SHA-256) of every file `load_folder(root)` would read, in its order."""
    return [
        (path.relative_to(root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest())
        for path in sorted(document_files(root, limits))  # the loader's own listing and order
    ]


class IndexCache:
    """A folder of `.npz` entries; the newest `keep` are kept, older ones are removed."""

    def __init__(self, folder: Path, keep: int = 4) -> None:
        self.folder = Path(folder)
        self.keep = keep

    def path_for(self, key: str) -> Path:
        return self.folder / f"{PREFIX}{key}.npz"

    def restore(
        self, root: Path, k1: float, b: float, limits: Limits = DEFAULT_LIMITS
    ) -> Index | None:
        """The index (with its passages) for the files now in `root`, or None on a miss.

        Problems with the folder itself are left for `load_folder` to report.
        """
        try:
            key = entry_key(folder_files(Path(root), limits), k1, b)
        except (OSError, KnowledgeError):
            return None
        path = self.path_for(key)
        if not path.exists():
            return None
        return self._read_or_drop(path, Path(root), key)

    def load(self, knowledge: KnowledgeBase, k1: float, b: float) -> Index | None:
        """The index for an already loaded knowledge base, or None on a miss."""
        try:
            key = entry_key(knowledge_files(knowledge), k1, b)
        except OSError:  # the code's own files cannot be read: no entry can be trusted
            return None
        path = self.path_for(key)
        if not path.exists():
            return None
        return self._read_or_drop(path, None, key, knowledge)

    def read(self, entry: Path, root: Path) -> Index:
        """A named entry (just written by a build elsewhere) with its passages; raises
        `CacheError` when it cannot be used."""
        key = entry.name.removeprefix(PREFIX).removesuffix(".npz")
        try:
            return read_entry(entry, Path(root), key)
        except CacheError:
            raise
        except Exception as exc:
            raise CacheError(f"{entry}: {exc}") from exc

    def _read_or_drop(
        self, path: Path, root: Path | None, key: str, known: KnowledgeBase | None = None
    ) -> Index | None:
        try:
            return read_entry(path, root, key, known)
        except Exception as exc:  # any damage at all means: rebuild, never serve it
            log.warning("index cache %s is unusable (%s); rebuilding it", path, exc)
            path.unlink(missing_ok=True)
            return None

    def save(self, index: Index) -> Path | None:
        """Write the entry atomically (temp file, then rename); a failure only logs."""
        try:
            key = entry_key(knowledge_files(index.knowledge), index.k1, index.b)
            path = self.path_for(key)
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".npz")
            try:
                with os.fdopen(fd, "wb") as out:
                    np.savez(out, **entry_arrays(index, key))
                os.replace(tmp, path)
            finally:
                Path(tmp).unlink(missing_ok=True)
        except (OSError, CacheError) as exc:
            log.warning("could not write the index cache to %s (%s); serving without it",
                        self.folder, exc)
            return None
        try:
            self._prune(path)
        except OSError as exc:
            log.warning("could not remove old index cache entries in %s (%s)", self.folder, exc)
        return path

    def _prune(self, newest: Path) -> None:
        entries = sorted(self.folder.glob(f"{PREFIX}*.npz"), key=_mtime, reverse=True)
        for old in [e for e in entries if e != newest][self.keep - 1 :]:
            old.unlink(missing_ok=True)
        for legacy in self.folder.glob("index-*.npz"):  # the first format's entries
            legacy.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# ---- the entry format: plain arrays, no pickles --------------------------------------------

def entry_arrays(index: Index, key: str) -> dict[str, Any]:
    kb = index.knowledge
    m = index.matrix
    arrays: dict[str, Any] = {
        "key": np.array(key), "avgdl": np.array(index.avgdl), "k1": np.array(index.k1),
        "b": np.array(index.b), "digest": np.array(kb.digest),
        "data": m.data, "indices": m.indices, "indptr": m.indptr, "text_bits": index.text_bits,
        "fact_bits": index.fact_bits, "idf": index.idf, "surface_counts": index.surface_counts,
        "passage_document": _document_numbers(kb),
    }
    terms = sorted(index.vocabulary, key=index.vocabulary.__getitem__)
    arrays.update(_strings("terms", terms))
    arrays.update(_strings("surface", index.surface))
    arrays.update(_strings("document.suffix", [Path(d.path).suffix for d in kb.documents]))
    # A document's path is rebuilt from the folder it is served from: the same files may move.
    arrays.update(_columns("document", kb.documents, skip={"path"}))
    # A passage's text is a slice of its document's: stored once, as the document's.
    sliced = _sliced(kb)
    arrays["passage.text:sliced"] = np.array(sliced)
    arrays.update(_columns("passage", kb.passages, skip={"document", "text"} if sliced
                           else {"document"}))
    return arrays


def _sliced(kb: KnowledgeBase) -> bool:
    try:
        return all(p.text == p.document.text[p.start : p.end] for p in kb.passages)
    except AttributeError:
        return False


def _document_numbers(kb: KnowledgeBase) -> npt.NDArray[np.int32]:
    number = {id(d): i for i, d in enumerate(kb.documents)}
    try:
        return np.array([number[id(p.document)] for p in kb.passages], dtype=np.int32)
    except KeyError:
        raise CacheError("a passage's document is not among the documents") from None


def _columns(prefix: str, rows: Sequence[Any], skip: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(rows[0]) if rows else ():
        if not f.init or f.kw_only:
            raise CacheError(f"{prefix}.{f.name} cannot be restored positionally")
        if f.name in skip:
            continue
        values = [getattr(r, f.name) for r in rows]
        name = f"{prefix}.{f.name}"
        if all(type(v) is int for v in values):
            out[name] = np.array(values, dtype=np.int64)
        elif all(v is None or type(v) is str for v in values):
            out.update(_strings(name, values))
        else:
            raise CacheError(f"{name} holds values the cache cannot store")
    return out


def _strings(name: str, values: Sequence[str | None]) -> dict[str, Any]:
    distinct = list(dict.fromkeys(values))
    if len(distinct) * 2 <= len(values):
        # Mostly repeats (section headings, sources): each distinct string once, and codes.
        code = {value: i for i, value in enumerate(distinct)}
        return {**_plain_strings(f"{name}:distinct", distinct),
                f"{name}:codes": np.array([code[v] for v in values], dtype=np.int32)}
    return _plain_strings(name, values)


def _plain_strings(name: str, values: Sequence[str | None]) -> dict[str, Any]:
    strings = [v or "" for v in values]
    encoded = [v.encode("utf-8", "surrogatepass") for v in strings]
    return {
        f"{name}:utf8": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        f"{name}:bytes": np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
        f"{name}:chars": np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)),
        f"{name}:none": np.array([v is None for v in values], dtype=bool),
    }


def read_entry(
    path: Path, root: Path | None, key: str, known: KnowledgeBase | None = None
) -> Index:
    """Read an entry back; `known` (when given) is used instead of the stored passages."""
    # The file is opened here, not by numpy, which leaves it open when it is no zip archive.
    with path.open("rb") as raw, np.load(raw, allow_pickle=False) as npz:
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise CacheError("not an archive of arrays")
        data = {name: npz[name] for name in npz.files}  # reading every member checks its CRC
    if str(data["key"]) != key:
        raise CacheError("key mismatch")
    kb = known if known is not None else _knowledge(data, root)
    if [p.id for p in kb.passages] != _read_strings(data, "passage.id"):
        raise CacheError("passages differ")
    terms = _read_strings(data, "terms")
    vocabulary = {t: i for i, t in enumerate(terms)}
    # A word that is its own stem shares one string with it, as in a fresh build.
    shared = {t: t for t in terms}
    surface = [shared.get(w, w) for w in _read_strings(data, "surface")]
    n_docs, n_terms = len(kb.passages), len(terms)
    matrix = sparse.csr_matrix((data["data"], data["indices"], data["indptr"]),
                               shape=(n_terms, n_docs))
    _check(matrix, data, n_terms, len(surface))
    return Index.from_parts(
        kb, k1=float(data["k1"]), b=float(data["b"]),
        vocabulary=vocabulary, matrix=matrix,
        text_bits=data["text_bits"], idf=data["idf"], avgdl=float(data["avgdl"]),
        surface_words=[*zip(surface, _listed(data["surface_counts"]), strict=True)],
        fact_bits=data["fact_bits"],
    )


def _check(matrix: sparse.csr_matrix, data: dict[str, Any], n_terms: int, n_surface: int) -> None:
    indptr, indices = matrix.indptr, matrix.indices
    nnz = indices.size
    if (indptr.size != n_terms + 1 or indptr[0] != 0 or indptr[-1] != nnz
            or matrix.data.size != nnz or data["text_bits"].size != (nnz + 7) // 8
            or data["idf"].size != n_terms or data["fact_bits"].size != matrix.shape[1]
            or data["surface_counts"].size != n_surface):
        raise CacheError("array sizes disagree")
    if nnz and (np.any(np.diff(indptr) < 0) or indices.min() < 0
                or indices.max() >= matrix.shape[1]):
        raise CacheError("indices out of range")


def _knowledge(data: dict[str, Any], root: Path | None) -> KnowledgeBase:
    if root is None:
        raise CacheError("no folder to restore the documents' paths from")
    ids = _read_strings(data, "document.id")
    suffixes = _read_strings(data, "document.suffix")
    columns = []
    for f in fields(Document):
        if f.name == "path":
            columns.append([str(root / f"{i}{s}") for i, s in zip(ids, suffixes, strict=True)])
        else:
            columns.append(_read_column(data, f"document.{f.name}"))
    _same_lengths(columns, len(ids))
    documents = tuple(map(Document, *columns))
    by_name: dict[str, list[Any]] = {
        f.name: _read_column(data, f"passage.{f.name}") for f in fields(Passage)
        if f.name not in ("document", "text")
    }
    owners = [documents[i] for i in _listed(data["passage_document"])]
    by_name["document"] = owners
    if bool(data["passage.text:sliced"]):
        by_name["text"] = [d.text[s:e] for d, s, e in
                           zip(owners, by_name["start"], by_name["end"], strict=True)]
    else:
        by_name["text"] = _read_column(data, "passage.text")
    columns = [by_name[f.name] for f in fields(Passage)]
    _same_lengths(columns, len(owners))
    passages = tuple(map(Passage, *columns))
    return KnowledgeBase(documents, passages, str(data["digest"]))


def _same_lengths(columns: list[list[Any]], count: int) -> None:
    if any(len(column) != count for column in columns):
        raise CacheError("columns of different lengths")


def _read_column(data: dict[str, Any], name: str) -> list[Any]:
    if name in data:
        return _listed(data[name])
    return _read_strings(data, name)


def _listed(array: npt.NDArray[Any]) -> list[Any]:
    """`array.tolist()` a slice at a time: at a million passages one call holds the interpreter
    lock for 30 ms, and over 150 ms while a reload's memory is being found, as answers wait."""
    if array.size <= _LIST_ITEMS:
        return array.tolist()  # type: ignore[no-any-return]
    listed: list[Any] = []
    for start in range(0, array.size, _LIST_ITEMS):
        listed.extend(array[start : start + _LIST_ITEMS].tolist())
    return listed


def _read_strings(data: dict[str, Any], name: str) -> list[Any]:
    """The strings stored under `name` (None where there was None)."""
    if f"{name}:codes" in data:
        distinct = _read_plain_strings(data, f"{name}:distinct")
        return [distinct[code] for code in _listed(data[f"{name}:codes"])]
    if f"{name}:utf8" not in data:
        raise CacheError(f"{name} is missing")
    return _read_plain_strings(data, name)


def _read_plain_strings(data: dict[str, Any], name: str) -> list[Any]:
    """Decoded a slice at a time: one decode of a whole text column (tens of megabytes) would
    hold the interpreter lock for tens of milliseconds."""
    blob = memoryview(data[f"{name}:utf8"])
    byte_ends = np.cumsum(data[f"{name}:bytes"])
    char_lens = data[f"{name}:chars"]
    if byte_ends.size != char_lens.size or (byte_ends[-1] if byte_ends.size else 0) != len(blob):
        raise CacheError(f"{name} is truncated")
    values: list[Any] = []
    first = 0
    while first < byte_ends.size:
        start = int(byte_ends[first - 1]) if first else 0
        last = max(int(np.searchsorted(byte_ends, start + _DECODE_BYTES)), first + 1)
        last = min(last, byte_ends.size)
        chunk = str(blob[start : int(byte_ends[last - 1])], "utf-8", "surrogatepass")
        ends = np.cumsum(char_lens[first:last]).tolist()
        if (ends[-1] if ends else 0) != len(chunk):
            raise CacheError(f"{name} does not decode to its lengths")
        values.extend(map(chunk.__getitem__, map(slice, [0, *ends[:-1]], ends)))
        first = last
    for i in np.flatnonzero(data[f"{name}:none"]).tolist():
        values[i] = None
    return values
