"""Documents and passages: reading a knowledge folder into passages, each file by the reader of
its format (`bot.readers`).

Loading is all or nothing: any problem raises `KnowledgeError` naming the file (or folder) and
what to do, so a caller can keep serving what it had. Files of formats no reader reads are
listed in `KnowledgeBase.skipped` and logged, never silently passed over.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from bot import readers
from bot.readers.article import label

log = logging.getLogger(__name__)

MB = 1024 * 1024
# One article is kilobytes; a stray dump of tens of megabytes would stall a reload and bloat
# the index for nothing.
MAX_FILE_MB = 10
# One instance serves about 100,000 passages well: ~28 MB of Markdown, ~250 MB of memory once
# indexed, while loading it peaks at several times its size. 50 MB leaves room for a knowledge
# base twice that size in text, and far more in HTML and PDF files, whose bytes are mostly
# markup and layout (a 1 MB saved news page holds ~10 KB of article). Fifty 10 MB files, which
# used to load for minutes up to a 4 GB peak, are refused from the listing.
MAX_KNOWLEDGE_MB = 50
# Deeper folders are refused: nobody files articles 32 levels down, and such a document's id
# (its path) would be an unreadable label.
MAX_DEPTH = 32
# The knowledge base's own vocabulary (synonyms in the Solr format), never an article.
SYNONYMS_FILE = "synonyms.txt"


class KnowledgeError(Exception):
    """A knowledge folder could not be loaded; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a knowledge folder may hold, checked from the listing before anything is read."""

    max_file_bytes: int = MAX_FILE_MB * MB
    max_total_bytes: int = MAX_KNOWLEDGE_MB * MB

    @classmethod
    def from_megabytes(cls, file_mb: float, total_mb: float) -> Limits:
        """The limits as the settings give them (`BOT_MAX_FILE_MB`, `BOT_MAX_KNOWLEDGE_MB`)."""
        return cls(int(file_mb * MB), int(total_mb * MB))


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Document:
    """One article: its id (the file name without suffix), metadata and the text it came from
    (for HTML and PDF, the text extracted from it)."""

    id: str
    path: str
    title: str
    text: str
    source: str | None = None
    url: str | None = None
    published: str | None = None
    digest: str = ""
    short_title: str | None = None  # what a footnote calls it, when the title is long


@dataclass(frozen=True, slots=True)
class Passage:
    """One paragraph of a document, quoted verbatim from `Document.text` at `start:end`."""

    id: str
    document: Document
    section: str | None
    paragraph: int
    text: str
    start: int
    end: int

    @property
    def context(self) -> str:
        """The words that count for this passage besides its own: title and section heading."""
        return " ".join(part for part in (self.document.title, self.section) if part)


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """Everything loaded from one folder, in a stable order (by document id, then paragraph),
    and the files that were not read: (path relative to the folder, why and what to do)."""

    documents: tuple[Document, ...]
    passages: tuple[Passage, ...]
    digest: str = field(default="")
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def sections(self) -> list[str]:
        """Section headings in reading order, without repeats: what the articles can answer."""
        seen: dict[str, None] = {}
        for passage in self.passages:
            if passage.section:
                seen.setdefault(passage.section, None)
        return list(seen)


@dataclass(frozen=True, slots=True)
class Listing:
    """The files a folder holds: the documents to read (in the loader's order) and their total
    size, and the files no reader reads, with the reason."""

    files: tuple[Path, ...]
    total_bytes: int
    skipped: tuple[tuple[str, str], ...]


def load_folder(folder: Path | str, limits: Limits = DEFAULT_LIMITS) -> KnowledgeBase:
    """Read every document in `folder` (recursively) into a `KnowledgeBase`, or raise."""
    root = Path(folder)
    listing = list_folder(root, limits)
    if not listing.files:
        raise KnowledgeError(f"{shown(root)}: no documents found; add .md, .txt, .html or .pdf "
                             "files to it")
    report_skipped(root, listing.skipped)
    documents: list[Document] = []
    passages: list[Passage] = []
    seen: dict[str, Path] = {}
    for path in listing.files:
        doc, doc_passages = read_file(path, root, limits)
        if doc.id in seen:
            raise KnowledgeError(f"{shown(path)}: document id {doc.id!r} is already used by "
                                 f"{shown(seen[doc.id])}; rename one of the two files")
        seen[doc.id] = path
        documents.append(doc)
        passages.extend(doc_passages)
    digest = hashlib.sha256("\n".join(f"{d.id}:{d.digest}" for d in documents).encode())
    return KnowledgeBase(tuple(documents), tuple(passages), digest.hexdigest(), listing.skipped)


def report_skipped(root: Path, skipped: tuple[tuple[str, str], ...]) -> None:
    """Log, once per load, the files of the folder that are not read and what to do."""
    if skipped:
        log.warning("%s: %d files not read: %s", shown(root), len(skipped),
                    _skipped_summary(skipped))


def document_files(root: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[Path, ...]:
    """The document files under `root` in the loader's order (see `list_folder`)."""
    return list_folder(root, limits).files


def list_folder(root: Path, limits: Limits = DEFAULT_LIMITS) -> Listing:
    """What `root` holds, checked before any file is read; raises `KnowledgeError`.

    Hidden files and folders, and the top-level `synonyms.txt`, are left out. A link that
    leads outside `root`, whether to a file or to a folder, raises: serving it would publish
    whatever it points at, and skipping it would hide the mistake. So does a link to nothing or
    to itself. Linked folders inside `root` are not followed (their files are read where they
    are), and a file that vanishes while the folder is listed is left out. Sizes are checked
    here, so nothing (not even the index cache's check) reads a file over the limits.
    """
    if not root.exists():
        raise KnowledgeError(f"{shown(root)}: the knowledge folder does not exist; create it "
                             "or set BOT_KNOWLEDGE_DIR to the folder that holds your articles")
    if not root.is_dir():
        raise KnowledgeError(f"{shown(root)}: not a folder; set BOT_KNOWLEDGE_DIR to a folder "
                             "of .md, .txt, .html or .pdf files")
    walk = _Walk(root, limits)
    # Iterative, not recursive: a folder nested thousands deep must be refused, not crash.
    pending = [(root, 0)]
    while pending:
        folder, depth = pending.pop()
        pending.extend((sub, depth + 1) for sub in walk.folder(folder, depth))
    if walk.total > limits.max_total_bytes:
        raise KnowledgeError(
            f"{shown(root)}: the documents add up to {walk.total / MB:.1f} MB, more than the "
            f"{_mb(limits.max_total_bytes)} MB limit for a knowledge folder "
            "(BOT_MAX_KNOWLEDGE_MB); remove some, or raise the limit if this machine has the "
            "memory for them")
    return Listing(tuple(sorted(walk.files)), walk.total, tuple(sorted(walk.skipped)))


class _Walk:
    """One listing of a folder tree: what it found so far."""

    def __init__(self, root: Path, limits: Limits) -> None:
        self.root = root
        self.resolved_root = root.resolve()
        self.limits = limits
        self.files: list[Path] = []
        self.skipped: list[tuple[str, str]] = []
        self.total = 0

    def folder(self, folder: Path, depth: int) -> list[Path]:
        """Note the files of `folder`; return its subfolders to list next."""
        if depth > MAX_DEPTH:
            raise KnowledgeError(f"{shown(folder)}: folders are nested more than {MAX_DEPTH} "
                                 "deep; move the articles into a shallower folder")
        try:
            with os.scandir(folder) as found:
                entries = sorted(found, key=lambda entry: entry.name)
        except FileNotFoundError:
            return []  # removed while the folder was listed: nothing to read in it
        except OSError as exc:
            raise KnowledgeError(f"{shown(folder)}: could not be listed ({exc.strerror}); check "
                                 "its permissions, then try the reload again") from None
        subfolders: list[Path] = []
        for entry in entries:
            path = folder / entry.name
            if entry.name.startswith(".") or (depth == 0 and entry.name == SYNONYMS_FILE):
                continue
            _check_name(path)
            try:
                self._entry(entry, path, subfolders)
            except FileNotFoundError:
                continue  # vanished while the folder was listed
            except OSError as exc:
                raise KnowledgeError(f"{shown(path)}: could not be examined ({exc.strerror}); "
                                     "check its permissions") from None
        return subfolders

    def _entry(self, entry: os.DirEntry[str], path: Path, subfolders: list[Path]) -> None:
        document = readers.readable(entry.name)
        if entry.is_symlink():
            if document or entry.is_dir():
                _check_link(path, self.resolved_root)
            if entry.is_dir():
                return  # a linked folder inside: its files are read where they are
        elif entry.is_dir(follow_symlinks=False):
            subfolders.append(path)
            return
        if not document:
            self.skipped.append((self._relative(path), readers.unsupported(entry.name)))
            return
        info = entry.stat()
        if not stat.S_ISREG(info.st_mode):
            self.skipped.append((self._relative(path), "is not a regular file (a device, pipe "
                                 "or socket), so it is not read; replace it with the article"))
            return
        check_size(path, info.st_size, self.limits)
        self.files.append(path)
        self.total += info.st_size

    def _relative(self, path: Path) -> str:
        return shown(path.relative_to(self.root))


def _check_name(path: Path) -> None:
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the name, kept as surrogates by Python
        raise KnowledgeError(f"{shown(path)}: the name is not valid UTF-8; rename it (a "
                             "name in UTF-8, as any current system writes it)") from None


def check_size(path: Path, size: int, limits: Limits) -> None:
    """Raise when a file of `size` bytes is over the per-file limit."""
    if size > limits.max_file_bytes:
        raise KnowledgeError(f"{shown(path)}: {size / MB:.1f} MB is larger than the "
                             f"{_mb(limits.max_file_bytes)} MB limit (BOT_MAX_FILE_MB); split "
                             "it into several articles")


def _check_link(path: Path, resolved_root: Path) -> None:
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        target = path.resolve()
        if target.is_relative_to(resolved_root):
            raise KnowledgeError(f"{shown(path)}: is a link to a file that does not exist; fix "
                                 "the link or remove it") from None
    except RuntimeError:  # how Python before 3.13 reports a loop of links
        raise KnowledgeError(f"{shown(path)}: is a link that leads back to itself; replace it "
                             "with the file it should show") from None
    except OSError as exc:
        raise KnowledgeError(f"{shown(path)}: is a link that cannot be followed "
                             f"({exc.strerror}); replace it with the file it should show") from None
    if not target.is_relative_to(resolved_root):
        raise KnowledgeError(f"{shown(path)}: links outside the knowledge folder; copy what it "
                             "points to into the folder instead of linking to it")


def read_file(
    path: Path, root: Path | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[Document, tuple[Passage, ...]]:
    """Read one file into its `Document` and passages, or raise `KnowledgeError` naming it."""
    try:
        check_size(path, path.stat().st_size, limits)  # again: it may have grown since listed
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KnowledgeError(f"{shown(path)}: the file disappeared while it was being read; "
                             "try the reload again") from None
    except OSError as exc:
        raise KnowledgeError(f"{shown(path)}: cannot be read ({exc.strerror}); check its "
                             "permissions") from None
    try:
        article = readers.read(raw, path.name)
    except readers.ReadError as exc:
        raise KnowledgeError(f"{shown(path)}: {exc}") from None
    rel = path.relative_to(root) if root else Path(path.name)
    doc_id = label(rel.with_suffix("").as_posix())
    if not doc_id:
        raise KnowledgeError(f"{shown(path)}: the file name has nothing to show as the "
                             "document's name; rename it")
    doc = Document(id=doc_id, path=str(path), title=article.title, text=article.text,
                   source=article.source, url=article.url, published=article.published,
                   digest=hashlib.sha256(raw).hexdigest(), short_title=article.short_title)
    passages = tuple(
        Passage(id=f"{doc_id}#{number}", document=doc, section=para.section, paragraph=number,
                text=article.text[para.start : para.end], start=para.start, end=para.end)
        for number, para in enumerate(article.paragraphs, 1)
    )
    if not passages:
        raise KnowledgeError(f"{shown(path)}: no paragraphs of text found; separate "
                             "paragraphs with blank lines")
    return doc, passages


def shown(path: Path | str) -> str:
    """A path as a message shows it on one line: undecodable bytes and control characters
    (newlines, bidirectional overrides) escaped, as Python writes them in a string."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _mb(size: int) -> str:
    return f"{size / MB:g}"


def _skipped_summary(skipped: tuple[tuple[str, str], ...], shown_at_most: int = 10) -> str:
    listed = "; ".join(f"{name} {why}" for name, why in skipped[:shown_at_most])
    more = len(skipped) - shown_at_most
    return listed + (f"; and {more} more" if more > 0 else "")
