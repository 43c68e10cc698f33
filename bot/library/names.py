"""File names for documents that arrive from outside (a file an admin sends, a page behind a
link): checked to be plain, visible, printable names in the knowledge folder itself, or made
from the document's title or link."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from bot.knowledge import SYNONYMS_FILE, shown
from bot.library.errors import LibraryError
from bot.readers.article import BIDI_CONTROLS, label

# A document's name is its id in citations and in /docs: long names are unreadable there, and
# file systems allow 255 bytes, of which the hidden temporary name of an upload needs some.
MAX_NAME_CHARS = 100
MAX_NAME_BYTES = 200
SLUG_CHARS = 80
# The names of the readers' formats, each with the suffixes its files may have; the first is
# the one a file of that kind gets when its own name has another.
KINDS = {".md": (".md", ".markdown"), ".txt": (".txt",), ".html": (".html", ".htm"),
         ".pdf": (".pdf",)}
# Device names Windows reserves whatever the suffix: a knowledge folder shared with a Windows
# machine (a network drive, a synchronised folder) could not hold them.
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
                       *(f"lpt{n}" for n in range(10))})


def check_name(name: str) -> str:
    """`name` (in Unicode's composed form) if it is fit to be a file of the knowledge folder,
    else `LibraryError` saying what is wrong with it and how to name it instead."""
    name = unicodedata.normalize("NFC", name)
    if not name.strip():
        raise LibraryError("the file has no name; send it with a name such as harbour.md")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise LibraryError(f"{shown(name)}: the name holds a folder path; send the file under a "
                           f"plain name such as {_plain(name)}")
    if any(ch in BIDI_CONTROLS or not ch.isprintable() for ch in name):
        raise LibraryError(f"{shown(name)}: the name holds control or bidirectional characters, "
                           "which could make it read as something else; rename the file")
    if name.startswith("."):
        raise LibraryError(f"{shown(name)}: a name that starts with '.' is a hidden file, "
                           f"which is never read; rename it, e.g. {_plain(name)}")
    if name != name.strip() or name.endswith("."):
        raise LibraryError(f"{shown(name)}: the name starts or ends with a space, or ends with "
                           "a dot; rename the file")
    if len(name) > MAX_NAME_CHARS or len(name.encode()) > MAX_NAME_BYTES:
        raise LibraryError(f"{shown(name[:40])}…: the name is {len(name)} characters long; "
                           f"rename the file with at most {MAX_NAME_CHARS}")
    stem = PurePosixPath(name).stem
    if stem.split(".")[0].casefold() in _RESERVED:
        raise LibraryError(f"{shown(name)}: {stem} is a device name Windows reserves; rename "
                           "the file")
    if not label(stem):
        raise LibraryError(f"{shown(name)}: the name has nothing to show as the document's "
                           "name; rename the file")
    return name


def with_kind(name: str, kind: str) -> str:
    """`name` with a suffix of `kind` (".md", ".txt", ".html" or ".pdf", what the file's
    content is): its own when that is one of the kind's, else the kind's, added or put in
    place of a suffix of another kind."""
    path = PurePosixPath(name)
    if path.suffix.lower() in KINDS[kind]:
        return name
    if any(path.suffix.lower() in suffixes for suffixes in KINDS.values()):
        return path.stem + kind
    return name + kind


def is_vocabulary(name: str) -> bool:
    """Whether `name` is the knowledge folder's vocabulary file rather than an article."""
    return name == SYNONYMS_FILE


def document_id(name: str) -> str:
    """The id the loader gives a file of this name at the top of the folder."""
    return label(PurePosixPath(name).stem)


def slug(text: str, limit: int = SLUG_CHARS) -> str:
    """`text` as a file name's stem: its words (letters and digits of any script), lower
    case, joined by hyphens, cut at a word to at most `limit` characters."""
    folded = unicodedata.normalize("NFC", text).casefold()
    words = "".join(ch if ch.isalnum() else " " for ch in folded).split()
    kept = ""
    for word in words:
        longer = f"{kept}-{word}" if kept else word
        if len(longer) > limit:
            break
        kept = longer
    return kept or (words[0][:limit] if words else "")


def name_from_url(url: str) -> str:
    """A file name from a link: its last path segment ("report-2024.pdf"), else its host."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    stem, dot, suffix = segment.rpartition(".")
    if not (dot and suffix.isalnum() and len(suffix) <= 5):  # no suffix, as files have them
        stem, suffix = segment, ""
    base = slug(stem) or slug(parts.hostname or "") or "page"
    return f"{base}.{suffix.lower()}" if suffix else base


def _plain(name: str) -> str:
    """A plain name to suggest instead of `name`."""
    last = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].lstrip(".")
    return shown(last) if last and last not in (".", "..") else "harbour.md"
