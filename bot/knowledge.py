"""Documents and passages: reading a knowledge folder of `.md` and `.txt` files into passages.

Loading is all or nothing: any problem raises `KnowledgeError` naming the file and what is wrong,
so a caller can keep serving what it had.
"""

from __future__ import annotations

import hashlib
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUFFIXES = (".md", ".markdown", ".txt")
VOCABULARY_FILE = "synonyms.txt"  # at the top of the folder: its synonyms, not an article
# Larger files are refused rather than read: one article is kilobytes, and a stray dump of
# tens of megabytes would stall a reload and bloat the index for nothing. Sizes are checked when
# the folder is listed, so nothing (not even the index cache's check) reads such a file.
MAX_FILE_BYTES = 10 * 1024 * 1024

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_COURTESY = re.compile(r"^\(?\s*courtesy\s*:\s*(?P<source>.+?)\s*\)?\s*$", re.IGNORECASE)
_IMAGE_CREDIT = re.compile(
    r"^(image|photo|picture)\s+(credit|courtesy|source)s?\s*:", re.IGNORECASE
)
_RELATED = re.compile(r"^(related\s+(article|articles|story|stories|news|posts?)|read\s+more|"
                      r"see\s+also|also\s+read)\s*:?\s*$", re.IGNORECASE)
_POST_COMMENT = re.compile(r"^(post\s+a\s+comment|leave\s+a\s+(comment|reply)|"
                           r"share\s+this(\s+article)?|comments?)\s*:?\s*$", re.IGNORECASE)
# A raw-text heading is a short line that ends in ":" and is not itself a sentence.
_HEADING_MAX_WORDS = 14


class KnowledgeError(Exception):
    """A knowledge folder could not be loaded; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Document:
    """One article: its id (the file name without suffix), metadata and the text it came from."""

    id: str
    path: str
    title: str
    text: str
    source: str | None = None
    url: str | None = None
    published: str | None = None
    digest: str = ""


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
    """Everything loaded from one folder, in a stable order (by document id, then paragraph)."""

    documents: tuple[Document, ...]
    passages: tuple[Passage, ...]
    digest: str = field(default="")

    @property
    def sections(self) -> list[str]:
        """Section headings in reading order, without repeats: what the articles can answer."""
        seen: dict[str, None] = {}
        for passage in self.passages:
            if passage.section:
                seen.setdefault(passage.section, None)
        return list(seen)


def load_folder(folder: Path | str) -> KnowledgeBase:
    """Read every document in `folder` (recursively) into a `KnowledgeBase`, or raise."""
    root = Path(folder)
    if not root.exists():
        raise KnowledgeError(f"{root}: the knowledge folder does not exist; create it or set "
                             "BOT_KNOWLEDGE_DIR to the folder that holds your articles")
    if not root.is_dir():
        raise KnowledgeError(f"{root}: not a folder; set BOT_KNOWLEDGE_DIR to a folder of "
                             ".md or .txt files")
    files = sorted(_document_files(root))
    if not files:
        raise KnowledgeError(f"{root}: no documents found; add .md or .txt files to it")
    documents: list[Document] = []
    seen: dict[str, Path] = {}
    for path in files:
        doc = read_document(path, root)
        if doc.id in seen:
            raise KnowledgeError(f"{path}: document id {doc.id!r} is already used by "
                                 f"{seen[doc.id]}; rename one of the two files")
        seen[doc.id] = path
        documents.append(doc)
    passages: list[Passage] = []
    for doc in documents:
        doc_passages = list(split_passages(doc))
        if not doc_passages:
            raise KnowledgeError(f"{doc.path}: no paragraphs of text found; "
                                 "separate paragraphs with blank lines")
        passages.extend(doc_passages)
    digest = hashlib.sha256("\n".join(f"{d.id}:{d.digest}" for d in documents).encode())
    return KnowledgeBase(tuple(documents), tuple(passages), digest.hexdigest())


def _document_files(root: Path) -> Iterator[Path]:
    """The document files under `root`, hidden ones left out.

    A link that leads outside `root`, whether to a file or to a folder, raises: serving it
    would publish whatever it points at, and skipping it would hide the mistake. So does a link
    to nothing or to itself. Linked folders inside `root` are not followed (their files are
    read where they are), and a file that vanishes while the folder is listed is left out.
    """
    resolved_root = root.resolve()
    try:
        for path in root.rglob("*"):
            if path.name.startswith(".") or any(
                    part.startswith(".") for part in path.relative_to(root).parts):
                continue
            # The folder's own vocabulary (bot/lexicon.py) is no article.
            document = path.suffix.lower() in SUFFIXES and not (
                path.name == VOCABULARY_FILE and path.parent == root)
            if path.is_symlink() and (document or path.is_dir()):
                _check_link(path, resolved_root)
            if document and _is_file(path):
                yield path
    except OSError as exc:  # a subfolder removed or made unreadable while it was listed
        raise KnowledgeError(f"{exc.filename or root}: could not be listed ({exc.strerror}); "
                             "try the reload again") from None


def _is_file(path: Path) -> bool:
    """A regular file (or a link to one) of a size that may be read; False if it vanished."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    _check_size(path, info.st_size)
    return True


def _check_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise KnowledgeError(f"{path}: {size / 1e6:.1f} MB is larger than the "
                             f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit; split it into "
                             "several articles")


def _check_link(path: Path, resolved_root: Path) -> None:
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        target = path.resolve()
        if target.is_relative_to(resolved_root):
            raise KnowledgeError(f"{path}: is a link to a file that does not exist; fix the "
                                 "link or remove it") from None
    except RuntimeError:  # how Python before 3.13 reports a loop of links
        raise KnowledgeError(f"{path}: is a link that leads back to itself; replace it with "
                             "the file it should show") from None
    except OSError as exc:
        raise KnowledgeError(f"{path}: is a link that cannot be followed ({exc.strerror}); "
                             "replace it with the file it should show") from None
    if not target.is_relative_to(resolved_root):
        raise KnowledgeError(f"{path}: links outside the knowledge folder; copy what it "
                             "points to into the folder instead of linking to it")


def read_document(path: Path, root: Path | None = None) -> Document:
    """Read one file into a `Document`, or raise `KnowledgeError` naming it."""
    try:
        _check_size(path, path.stat().st_size)  # again: it may have grown since it was listed
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KnowledgeError(f"{path}: the file disappeared while it was being read; "
                             "try the reload again") from None
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot be read ({exc.strerror}); check its "
                             "permissions") from None
    if b"\x00" in raw:
        raise KnowledgeError(f"{path}: is a binary file, not text; save it as UTF-8 text or "
                             "remove it")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"{path}: is not valid UTF-8 (byte {exc.start}); re-save it as "
                             "UTF-8") from None
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise KnowledgeError(f"{path}: is empty; write the article into it or remove it")
    rel = path.relative_to(root) if root else Path(path.name)
    doc_id = rel.with_suffix("").as_posix()
    digest = hashlib.sha256(raw).hexdigest()
    if path.suffix.lower() in (".md", ".markdown"):
        return _markdown_document(path, doc_id, text, digest)
    return _raw_document(path, doc_id, text, digest)


def _markdown_document(path: Path, doc_id: str, text: str, digest: str) -> Document:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f" at line {where.line + 2}" if where is not None else ""
            raise KnowledgeError(f"{path}: broken front matter{line}: "
                                 f"{getattr(exc, 'problem', None) or exc}; fix the YAML "
                                 "between the --- lines") from None
        except RecursionError:  # PyYAML builds nested values recursively
            raise KnowledgeError(f"{path}: front matter is nested too deeply; use plain "
                                 "'key: value' lines (title, source, url, published)") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise KnowledgeError(f"{path}: front matter must be 'key: value' lines "
                                 "(title, source, url, published)")
        meta = loaded or {}
        body_start = match.end()
    elif text.startswith("---\n"):
        raise KnowledgeError(f"{path}: front matter starts with --- but never ends; add a "
                             "closing --- line")
    else:
        body_start = 0
    title = _meta_str(path, meta, "title")
    if title is None:
        heading = re.search(r"^#\s+(.+?)\s*#*\s*$", text[body_start:], re.MULTILINE)
        title = heading.group(1) if heading else doc_id.rsplit("/", 1)[-1]
    return Document(
        id=doc_id, path=str(path), title=title, text=text,
        source=_meta_str(path, meta, "source"), url=_meta_str(path, meta, "url"),
        published=_meta_str(path, meta, "published"), digest=digest,
    )


def _meta_str(path: Path, meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, list | dict):
        raise KnowledgeError(f"{path}: front matter field {key!r} must be a single value")
    return str(value).strip() or None


def _raw_document(path: Path, doc_id: str, text: str, digest: str) -> Document:
    title = next((line.strip() for line in text.split("\n") if line.strip()), doc_id)
    source = None
    for line in text.split("\n"):
        courtesy = _COURTESY.match(line.strip())
        if courtesy:
            source = courtesy.group("source")
    return Document(id=doc_id, path=str(path), title=title, text=text, source=source,
                    digest=digest)


def split_passages(doc: Document) -> Iterator[Passage]:
    """Yield a document's paragraphs with their section and 1-based paragraph number."""
    markdown = doc.path.lower().endswith((".md", ".markdown"))
    blocks = _blocks(doc.text, skip_front_matter=markdown)
    section: str | None = None
    number = 0
    title_seen = False
    skip_next = False
    for start, end in blocks:
        block = doc.text[start:end]
        line = " ".join(block.split())
        if skip_next:
            skip_next = False
            continue
        if markdown:
            heading = _MD_HEADING.match(line)
            if heading:
                if len(heading.group(1)) == 1 and not title_seen and line[2:].strip() == doc.title:
                    title_seen = True
                else:
                    section = heading.group(2).rstrip(":").strip() or section
                continue
        else:
            if not title_seen:
                title_seen = True  # the first line of raw text is the title
                continue
            if _is_raw_heading(block):
                section = " ".join(line[:-1].split())
                continue
        if _is_boilerplate(line):
            if _RELATED.match(line):
                skip_next = True  # the headline of the related article follows
            continue
        if _repeats_title(line, doc.title):
            continue
        number += 1
        yield Passage(id=f"{doc.id}#{number}", document=doc, section=section, paragraph=number,
                      text=block, start=start, end=end)


def _blocks(text: str, *, skip_front_matter: bool) -> list[tuple[int, int]]:
    """Spans of paragraphs: runs of non-blank lines, stripped of surrounding white space.

    A raw-text heading or the title may sit directly above its paragraph without a blank line,
    so the first line of a block is split off when it is a heading.
    """
    offset = 0
    if skip_front_matter:
        match = _FRONT_MATTER.match(text)
        if match:
            offset = match.end()
    spans: list[tuple[int, int]] = []
    for match in re.finditer(r"\S(?:.*\S)?(?:\n[ \t]*\S.*)*", text[offset:]):
        start, end = match.start() + offset, match.end() + offset
        spans.extend(_split_heading_lines(text, start, end))
    return spans


def _split_heading_lines(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    lines = text[start:end].split("\n")
    if len(lines) == 1:
        return [(start, end)]
    spans: list[tuple[int, int]] = []
    pos = start
    para_start = start
    for line in lines:
        line_end = pos + len(line)
        stripped = line.strip()
        if _is_raw_heading(stripped) or _MD_HEADING.match(stripped) or _is_boilerplate(stripped):
            if para_start < pos:
                spans.append(_trim(text, para_start, pos))
            spans.append(_trim(text, pos, line_end))
            para_start = line_end + 1
        pos = line_end + 1
    if para_start < end:
        spans.append(_trim(text, para_start, end))
    return [span for span in spans if span[0] < span[1]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_raw_heading(block: str) -> bool:
    line = " ".join(block.split())
    if "\n" in block.strip() or not line.endswith(":") or len(line) < 3:
        return False
    return len(line.split()) <= _HEADING_MAX_WORDS and not _IMAGE_CREDIT.match(line)


def _is_boilerplate(line: str) -> bool:
    return bool(_IMAGE_CREDIT.match(line) or _COURTESY.match(line) or _RELATED.match(line)
                or _POST_COMMENT.match(line))


def _repeats_title(line: str, title: str) -> bool:
    norm = _fold(line)
    return bool(norm) and (norm == _fold(title) or (len(norm) > 20 and norm in _fold(title)))


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))
