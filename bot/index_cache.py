"""The on-disk cache of built indexes, with the passages they were built from, so that a restart
serves in about a second instead of re-reading, re-parsing and re-indexing every article.

An entry is a folder of standard files: the weight matrix as `scipy.sparse.save_npz` writes it,
the other arrays as `numpy.savez` writes them, the words and the documents with their passages
as JSON Lines, the documents' texts one after the other as UTF-8 text, and `entry.json`, which
names the entry's key and the CRC-32 of every other file (as a zip file checks its members).
The key covers the content of every knowledge file (SHA-256 of its bytes), k1 and b, and the
code that turns files into passages and passages into weights (rank-bm25's included): a
changed, added or removed file, or an upgrade of that code, is a different key, so a stale
entry is never found. A damaged entry (any byte of any file) is removed and rebuilt, never
served.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import rank_bm25
import Stemmer
from scipy import sparse

from bot import corpus, index, knowledge, readers, readings, sentences, text
from bot.index import Index
from bot.knowledge import (
    DEFAULT_LIMITS,
    Document,
    KnowledgeBase,
    KnowledgeError,
    Limits,
    Passage,
    document_files,
    list_folder,
    report_skipped,
)

log = logging.getLogger(__name__)
FORMAT = "5"
PREFIX = "kb-"
MANIFEST = "entry.json"
MATRIX, ARRAYS = "matrix.npz", "arrays.npz"
TERMS, SURFACE, DOCUMENTS = "terms.jsonl", "surface.jsonl", "documents.jsonl"
TEXTS = "texts.txt"
# What an entry is made by, besides this module: the code that decides what an entry holds.
_SOURCES = (knowledge, text, sentences, corpus, readings, index, rank_bm25)
# Words per JSON line, and numbers turned into Python objects per call: each call holds the
# interpreter lock for a millisecond or two, so a reload from the cache in a thread leaves the
# event loop free to answer in between.
_LINE_WORDS = 4096
_LIST_ITEMS = 1 << 16
_PASSAGE_FIELDS = [f.name for f in dataclasses.fields(Passage)]


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
    return _hashed(root, document_files(root, limits))


def _hashed(root: Path, files: Sequence[Path]) -> list[tuple[str, str]]:
    return [
        (path.relative_to(root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest())
        for path in sorted(files)  # the loader's own listing and order
    ]


class IndexCache:
    """A folder of entries (one folder each); the newest `keep` are kept, older ones removed."""

    def __init__(self, folder: Path, keep: int = 4) -> None:
        self.folder = Path(folder)
        self.keep = keep

    def path_for(self, key: str) -> Path:
        return self.folder / f"{PREFIX}{key}"

    def restore(
        self, root: Path, k1: float, b: float, limits: Limits = DEFAULT_LIMITS
    ) -> Index | None:
        """The index (with its passages) for the files now in `root`, or None on a miss.

        Problems with the folder itself are left for `load_folder` to report.
        """
        try:
            listing = list_folder(Path(root), limits)
            key = entry_key(_hashed(Path(root), listing.files), k1, b)
        except (OSError, KnowledgeError):
            return None
        index = self._read_or_drop(self.path_for(key), Path(root), key)
        if index is not None and listing.skipped:
            # What the folder holds besides documents is no part of the entry: as listed now.
            report_skipped(Path(root), listing.skipped)
            index.knowledge = dataclasses.replace(index.knowledge, skipped=listing.skipped)
        return index

    def load(self, knowledge: KnowledgeBase, k1: float, b: float) -> Index | None:
        """The index for an already loaded knowledge base, or None on a miss."""
        try:
            key = entry_key(knowledge_files(knowledge), k1, b)
        except OSError:  # the code's own files cannot be read: no entry can be trusted
            return None
        return self._read_or_drop(self.path_for(key), None, key, knowledge)

    def read(self, entry: Path, root: Path) -> Index:
        """A named entry (just written by a build elsewhere) with its passages; raises
        `CacheError` when it cannot be used."""
        key = entry.name.removeprefix(PREFIX)
        try:
            return read_entry(entry, Path(root), key)
        except CacheError:
            raise
        except Exception as exc:
            raise CacheError(f"{entry}: {exc}") from exc

    def _read_or_drop(
        self, path: Path, root: Path | None, key: str, known: KnowledgeBase | None = None
    ) -> Index | None:
        if not path.is_dir():
            return None
        try:
            return read_entry(path, root, key, known)
        except Exception as exc:  # any damage at all means: rebuild, never serve it
            log.warning("index cache %s is unusable (%s); rebuilding it", path, exc)
            shutil.rmtree(path, ignore_errors=True)
            return None

    def save(self, index: Index) -> Path | None:
        """Write the entry atomically (a temporary folder, then renamed); a failure only logs."""
        try:
            key = entry_key(knowledge_files(index.knowledge), index.k1, index.b)
            path = self.path_for(key)
            self.folder.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(dir=self.folder, prefix=".tmp-"))
            try:
                write_entry(scratch, index, key)
                try:
                    scratch.rename(path)
                except OSError:
                    if not (path / MANIFEST).is_file():
                        raise
                    # Another process wrote the same entry meanwhile: the same bytes.
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        except (OSError, CacheError, ValueError, TypeError) as exc:
            log.warning("could not write the index cache to %s (%s); serving without it",
                        self.folder, exc)
            return None
        try:
            self._prune(path)
        except OSError as exc:
            log.warning("could not remove old index cache entries in %s (%s)", self.folder, exc)
        return path

    def _prune(self, newest: Path) -> None:
        entries = sorted((e for e in self.folder.glob(f"{PREFIX}*") if e.is_dir()),
                         key=_mtime, reverse=True)
        for old in [e for e in entries if e != newest][self.keep - 1 :]:
            shutil.rmtree(old, ignore_errors=True)
        # The earlier formats' single-file entries.
        for legacy in (*self.folder.glob(f"{PREFIX}*.npz"), *self.folder.glob("index-*.npz")):
            legacy.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# ---- writing ---------------------------------------------------------------------------------

def write_entry(folder: Path, index: Index, key: str) -> None:
    """The entry's files, into an empty folder."""
    kb = index.knowledge
    blobs: dict[str, bytes] = {}
    matrix = io.BytesIO()
    sparse.save_npz(matrix, index.matrix, compressed=False)
    blobs[MATRIX] = matrix.getvalue()
    arrays = io.BytesIO()
    named: dict[str, Any] = {"text_bits": index.text_bits, "idf": index.idf,
                             "surface_counts": index.surface_counts, **index.readings.arrays()}
    np.savez(arrays, allow_pickle=False, **named)
    blobs[ARRAYS] = arrays.getvalue()
    terms = sorted(index.vocabulary, key=index.vocabulary.__getitem__)
    blobs[TERMS] = _json_lines(terms[i : i + _LINE_WORDS] for i in range(0, len(terms),
                                                                         _LINE_WORDS))
    surface = index.surface
    blobs[SURFACE] = _json_lines(surface[i : i + _LINE_WORDS] for i in range(0, len(surface),
                                                                             _LINE_WORDS))
    blobs[TEXTS] = "".join(d.text for d in kb.documents).encode("utf-8", "surrogatepass")
    blobs[DOCUMENTS] = _json_lines(_document_lines(kb))
    for name, blob in blobs.items():
        (folder / name).write_bytes(blob)
    entry = {"format": FORMAT, "key": key, "k1": index.k1, "b": index.b, "avgdl": index.avgdl,
             "digest": kb.digest, "passages": len(kb.passages), "terms": len(terms),
             "files": {name: zlib.crc32(blob) for name, blob in blobs.items()}}
    manifest = {"entry": entry, "sha256": _digest_of(entry)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _document_lines(kb: KnowledgeBase) -> Iterator[dict[str, Any]]:
    """Per document: its fields but its text (in `TEXTS`: JSON strings take several times as
    long to read) and its path (rebuilt from the folder it is served from: the same files may
    move), and its passages' fields as columns. A passage's text is a slice of its document's,
    stored once, as the document's."""
    owned: dict[int, list[Passage]] = {id(d): [] for d in kb.documents}
    for passage in kb.passages:
        if id(passage.document) not in owned:
            raise CacheError("a passage's document is not among the documents")
        owned[id(passage.document)].append(passage)
    for document in kb.documents:
        fields = dataclasses.asdict(document)
        fields["path"] = Path(document.path).suffix
        fields["text"] = len(document.text.encode("utf-8", "surrogatepass"))  # its bytes
        passages = owned[id(document)]
        sliced = all(p.text == document.text[p.start : p.end] for p in passages)
        columns = {f.name: [getattr(p, f.name) for p in passages]
                   for f in dataclasses.fields(Passage)
                   if f.name != "document" and not (sliced and f.name == "text")}
        yield {"document": fields, "passages": columns}


def _json_lines(values: Iterator[Any]) -> bytes:
    lines = (json.dumps(v, ensure_ascii=False, allow_nan=False) for v in values)
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def _digest_of(entry: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(entry, sort_keys=True).encode()).hexdigest()


# ---- reading ---------------------------------------------------------------------------------

def read_entry(
    path: Path, root: Path | None, key: str, known: KnowledgeBase | None = None
) -> Index:
    """Read an entry back; `known` (when given) is used instead of the stored passages."""
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    entry = manifest["entry"]
    if manifest["sha256"] != _digest_of(entry):
        raise CacheError(f"{MANIFEST} does not match its own digest")
    if entry["format"] != FORMAT or entry["key"] != key:
        raise CacheError("key mismatch")
    blobs = {name: _verified(path / name, crc) for name, crc in entry["files"].items()}
    matrix = sparse.load_npz(io.BytesIO(blobs.pop(MATRIX)))
    if not isinstance(matrix, sparse.csr_matrix):
        raise CacheError("the weight matrix is not the CSR matrix built")
    with np.load(io.BytesIO(blobs.pop(ARRAYS)), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in ("text_bits", "idf", "surface_counts",
                                               *readings.ARRAYS)}
    terms = [word for line in _lines(blobs.pop(TERMS)) for word in line]
    # A word that is its own stem shares one string with it, as in a fresh build.
    shared = {t: t for t in terms}
    surface = [shared.get(w, w) for line in _lines(blobs.pop(SURFACE)) for w in line]
    if known is not None:
        kb = known
    elif root is None:
        raise CacheError("no folder to restore the documents' paths from")
    else:
        kb = _knowledge(blobs.pop(DOCUMENTS), blobs.pop(TEXTS), root, str(entry["digest"]))
    _check(matrix, arrays, len(terms), len(surface), len(kb.passages), entry)
    return Index.from_parts(
        kb, k1=float(entry["k1"]), b=float(entry["b"]),
        vocabulary={t: i for i, t in enumerate(terms)}, matrix=matrix,
        text_bits=arrays["text_bits"], idf=arrays["idf"], avgdl=float(entry["avgdl"]),
        surface_words=list(zip(surface, _listed(arrays["surface_counts"]), strict=True)),
        readings={name: arrays[name] for name in readings.ARRAYS},
    )


def _verified(path: Path, crc: int) -> bytes:
    blob = path.read_bytes()
    if zlib.crc32(blob) != crc:
        raise CacheError(f"{path.name} is damaged (its CRC-32 differs)")
    return blob


def _lines(blob: bytes) -> Iterator[Any]:
    """Each JSON line, decoded one at a time: one decode of the whole file (tens of megabytes)
    would hold the interpreter lock for tens of milliseconds."""
    for line in blob.split(b"\n") if blob else ():
        yield json.loads(line.decode("utf-8", "surrogatepass"))


def _check(matrix: sparse.csr_matrix, arrays: dict[str, npt.NDArray[Any]], n_terms: int,
           n_surface: int, n_passages: int, entry: dict[str, Any]) -> None:
    kinds = (matrix.indices.dtype, matrix.indptr.dtype, matrix.data.dtype)
    if kinds != (np.dtype(np.int32), np.dtype(np.int32), np.dtype(np.float64)):
        raise CacheError("the weight matrix is not the CSR matrix of int32 and float64 built")
    if (matrix.shape != (n_terms, n_passages) or n_terms != entry["terms"]
            or n_passages != entry["passages"] or arrays["idf"].shape != (n_terms,)
            or arrays["text_bits"].shape != ((matrix.nnz + 7) // 8,)
            or arrays["surface_counts"].shape != (n_surface,)):
        raise CacheError("array sizes disagree")
    indptr, indices = matrix.indptr, matrix.indices
    if not _ascending(indptr, indices.size) or not _within(indices, n_passages):
        raise CacheError("indices out of range")
    _check_readings(arrays, n_terms, n_surface, n_passages)


def _check_readings(arrays: dict[str, npt.NDArray[Any]], n_terms: int, n_surface: int,
                    n_passages: int) -> None:
    """The passages' readings (`bot.readings`) point only within themselves and the words."""
    word_starts, sentence_starts = arrays["word_starts"], arrays["sentence_starts"]
    n_sentences = word_starts.size - 1
    if (arrays["word_terms"].shape != (n_surface,) or sentence_starts.shape != (n_passages + 1,)
            or arrays["spans"].shape != (n_sentences, 2)):
        raise CacheError("the passages' readings disagree with the index in size")
    if not (_ascending(word_starts, arrays["words"].size)
            and _ascending(sentence_starts, n_sentences)
            and _within(arrays["words"], n_surface) and _within(arrays["unread"], n_passages)
            and _within(arrays["word_terms"] + 1, n_terms + 1)):
        raise CacheError("the passages' readings point out of range")


def _ascending(starts: npt.NDArray[Any], end: int) -> bool:
    """Whether `starts` are offsets from 0 to `end`, never going back."""
    return bool(starts.size and starts[0] == 0 and starts[-1] == end
                and not np.any(np.diff(starts) < 0))


def _within(values: npt.NDArray[Any], n: int) -> bool:
    """Whether every value is a position below `n`."""
    return not values.size or bool(values.min() >= 0 and values.max() < n)


def _knowledge(blob: bytes, texts: bytes, root: Path, digest: str) -> KnowledgeBase:
    documents: list[Document] = []
    passages: list[Passage] = []
    # Each document's text decoded apart: one decode of them all (tens of megabytes) would
    # hold the interpreter lock for tens of milliseconds.
    text_bytes, at = memoryview(texts), 0
    for line in _lines(blob):
        fields = line["document"]
        fields["path"] = str(root / f"{fields['id']}{fields['path']}")
        end = at + fields["text"]
        fields["text"] = str(text_bytes[at:end], "utf-8", "surrogatepass")
        at = end
        document = Document(**fields)
        documents.append(document)
        columns = line["passages"]
        if "text" not in columns:
            columns["text"] = [document.text[s:e] for s, e in
                               zip(columns["start"], columns["end"], strict=True)]
        columns["document"] = [document] * len(columns["id"])
        passages.extend(Passage(*values) for values in
                        zip(*(columns[name] for name in _PASSAGE_FIELDS), strict=True))
    if at != len(texts):
        raise CacheError(f"{TEXTS} does not hold the documents' texts")
    return KnowledgeBase(tuple(documents), tuple(passages), digest)


def _listed(array: npt.NDArray[Any]) -> list[Any]:
    """`array.tolist()` a slice at a time: at a million passages one call holds the interpreter
    lock for 30 ms, and over 150 ms while a reload's memory is being found, as answers wait."""
    if array.size <= _LIST_ITEMS:
        return array.tolist()  # type: ignore[no-any-return]
    listed: list[Any] = []
    for start in range(0, array.size, _LIST_ITEMS):
        listed.extend(array[start : start + _LIST_ITEMS].tolist())
    return listed
