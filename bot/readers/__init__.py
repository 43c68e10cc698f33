"""Readers: one small module per file format, each turning a file's bytes into an `Article` (the
text to quote from, its paragraphs and metadata) or raising `ReadError`."""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata
from pathlib import Path, PurePath

from bot.readers.article import Article, Paragraph, ReadError
from bot.readers.sniff import sniff

__all__ = [
    "READERS", "Article", "Paragraph", "ReadError", "fingerprint", "read", "readable", "reader_for",
    "sniff",
    "unsupported",
]

Reader = Callable[[bytes, str], Article]
# The reader module of each suffix, imported when a file of its kind is first read: the HTML and
# PDF libraries take 0.17 s and 31 MB to import, which a folder of Markdown need not pay.
_MODULES = {
    ".md": "markdown", ".markdown": "markdown", ".txt": "rawtext", ".html": "html",
    ".htm": "html", ".pdf": "pdf",
}


class _Readers(Mapping[str, Reader]):
    """Suffix -> reader function, importing each reader module on first use."""

    def __getitem__(self, suffix: str) -> Reader:
        module = importlib.import_module(f"bot.readers.{_MODULES[suffix]}")
        reader: Reader = module.read
        return reader

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


READERS: Mapping[str, Reader] = _Readers()
SUPPORTED = ".md, .txt, .html or .pdf"
# The libraries whose output becomes a document's text: another version may read a file apart.
LIBRARIES = ("python-frontmatter", "PyYAML", "trafilatura", "htmldate", "lxml", "pdfminer.six")

# Why a file of another kind is not read, and what to do with it.
_KINDS = {
    "a word-processor document": ((".docx", ".doc", ".odt", ".rtf", ".pages", ".wpd"),
                                  "save it as PDF, or paste its text into a .md file"),
    "a presentation": ((".pptx", ".ppt", ".odp", ".key"), "save it as PDF"),
    "a spreadsheet or table": ((".xlsx", ".xls", ".ods", ".csv", ".tsv", ".numbers"),
                               "put the text people ask about into a .md file"),
    "an image": ((".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic",
                  ".svg", ".ico"), "put the article's text into a .md or .txt file"),
    "an e-book": ((".epub", ".mobi", ".azw", ".azw3", ".djvu"), "convert it to .pdf or .md"),
    "an archive": ((".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz"),
                   "unpack it and keep only the articles"),
    "audio or video": ((".mp3", ".mp4", ".wav", ".ogg", ".m4a", ".mov", ".webm", ".avi",
                        ".mkv"), "put a transcript into a .md or .txt file"),
}
_KIND_OF = {suffix: (kind, fix) for kind, (suffixes, fix) in _KINDS.items() for suffix in suffixes}


def readable(name: str) -> bool:
    """Whether a reader reads files of this name (by its suffix), without loading it."""
    return PurePath(name).suffix.lower() in _MODULES


def reader_for(name: str) -> Reader | None:
    """The reader for a file of this name (by its suffix), or None when none reads it."""
    suffix = PurePath(name).suffix.lower()
    return READERS[suffix] if suffix in _MODULES else None


def read(data: bytes, name: str) -> Article:
    """The article in `data`, read by the reader for `name`'s suffix; or `ReadError`."""
    reader = reader_for(name)
    if reader is None:
        raise ReadError(unsupported(name))
    return reader(data, name)


def unsupported(name: str) -> str:
    """Why a file of this name is not read, and what to do (a sentence without the name)."""
    suffix = PurePath(name).suffix.lower()
    if suffix in _KIND_OF:
        kind, fix = _KIND_OF[suffix]
        return f"is {kind} ({suffix}), which is not read; {fix}"
    if not suffix:
        return f"has no suffix, so it is not read; if it is an article, name it {SUPPORTED}"
    return f"is a {suffix} file, which is not read; convert it to {SUPPORTED}"


def fingerprint() -> str:
    """A digest of the readers' code and their libraries' versions: what decides the text and
    passages a file gives (the index cache keys its entries by it)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}={metadata.version(name)}".encode())
    return digest.hexdigest()
