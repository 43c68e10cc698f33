"""A document that arrives from outside (a file an admin sent, a page behind a link), checked
before anything is written: its size, its kind by its content, its file name (plain, visible,
and the kind's suffix), that its reader reads it, and which files of the folder it would replace.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot import readers
from bot.knowledge import SYNONYMS_FILE, shown
from bot.library import names
from bot.library.errors import LibraryError, size_text
from bot.vocabulary import read_rules


@dataclass(frozen=True, slots=True)
class Person:
    """Who made a change: a Telegram user id and the name Telegram showed."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Upload:
    """A document checked and ready to be added under `name` (a file at the top of the folder).
    For the vocabulary file, `passages` counts its rules."""

    name: str
    data: bytes
    title: str
    passages: int
    sections: int
    by: Person
    url: str | None = None
    sent_as: str | None = None  # the name it was sent under, when it is saved under another
    replaces: tuple[str, ...] = ()  # files of the folder it takes the place of
    unchanged: bool = False  # the folder holds these very bytes under this name already

    @property
    def vocabulary(self) -> bool:
        return names.is_vocabulary(self.name)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_size(size: int | None, name: str | None, limit: int) -> None:
    """Refuse a document over `limit` bytes (before it is downloaded, when its size is known)."""
    if size is not None and size > limit:
        raise LibraryError(f"{shown(name or 'the file')}: {size_text(size)} is larger than the "
                           f"{size_text(limit)} limit for documents (BOT_UPLOAD_MAX_MB); split "
                           "it into several articles")


def prepare(folder: Path, data: bytes, name: str | None, *, by: Person, limit: int,
            url: str | None = None) -> Upload:
    """Check a document sent as `name`, or downloaded from `url` (`name` is then what the site
    suggested, if anything), and decide its file name in `folder`; raises `LibraryError`
    saying what is wrong. Nothing is written."""
    check_size(len(data), name or url, limit)
    if url is not None:
        name = _suggested(name)  # the site's suggestion, taken only if it is a fit name
    elif name is not None and names.is_vocabulary(names.check_name(name)):
        return placed(folder, _vocabulary(data, by))
    provisional = names.check_name(name) if name else names.name_from_url(url or "")
    shown_as = shown(name or url or provisional)
    try:
        kind = readers.sniff(data, provisional)
        article = readers.read(data, names.with_kind(provisional, kind))
    except readers.ReadError as exc:
        raise LibraryError(f"{shown_as}: {exc}") from None
    if not article.paragraphs:
        raise LibraryError(f"{shown_as}: no paragraphs of text found; separate paragraphs with "
                           "blank lines")
    final = names.check_name(names.with_kind(
        name or _name_for_link(provisional, article.title, kind), kind))
    if url and kind == ".html" and not article.url:
        data = with_canonical_link(data, url)  # so that citations link to the page
    upload = Upload(
        name=final, data=data, title=article.title, passages=len(article.paragraphs),
        sections=len({p.section for p in article.paragraphs if p.section}), by=by, url=url,
        sent_as=name if url is None and name and name != final else None)
    return placed(folder, upload)


def placed(folder: Path, upload: Upload) -> Upload:
    """`upload` with the files of `folder` it would replace: the file of its name, and another
    file at the top of the folder that is the same document (harbour.txt for harbour.md: two
    files cannot give one document id)."""
    target = folder / upload.name
    if target.is_dir():
        raise LibraryError(f"{shown(upload.name)}: the knowledge folder has a folder of that "
                           "name; send the file under another name")
    replaces = [upload.name] if target.is_file() else []
    if not upload.vocabulary:
        wanted = names.document_id(upload.name)
        replaces += [other for other in _top_level_documents(folder)
                     if other != upload.name and names.document_id(other) == wanted]
    unchanged = replaces == [upload.name] and _same_bytes(target, upload.data)
    return dataclasses.replace(upload, replaces=tuple(replaces), unchanged=unchanged)


def with_canonical_link(page: bytes, url: str) -> bytes:
    """`page` with a `<link rel="canonical">` to `url` at the start of its head, for a page that
    names no canonical address of its own (the reader takes the document's link from it)."""
    if page.startswith((b"\xff\xfe", b"\xfe\xff")):
        return page  # UTF-16: an ASCII tag cannot be put into it byte-wise
    escaped = url.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    tag = f'<link rel="canonical" href="{escaped}">'.encode("ascii", "xmlcharrefreplace")
    lower = page[:65536].lower()
    head = lower.find(b"<head")
    end = lower.find(b">", head) if head >= 0 else -1
    if end >= 0:
        return page[: end + 1] + tag + page[end + 1 :]
    return tag + page


def _vocabulary(data: bytes, by: Person) -> Upload:
    """The vocabulary file, checked as the reload will read it."""
    try:
        kind = readers.sniff(data, SYNONYMS_FILE)
    except readers.ReadError as exc:
        raise LibraryError(f"{SYNONYMS_FILE}: {exc}") from None
    if kind not in (".txt", ".md"):
        raise LibraryError(f"{SYNONYMS_FILE}: is not plain text; the vocabulary file holds lines "
                           "of synonyms such as 'ship, vessel' (see docs/answers.md)")
    with tempfile.TemporaryDirectory(prefix="bot-vocabulary-") as scratch:
        path = Path(scratch) / SYNONYMS_FILE
        path.write_bytes(data)
        try:
            rules = read_rules(path)
        except Exception as exc:  # VocabularyError, named after the scratch copy
            raise LibraryError(str(exc).replace(str(path), SYNONYMS_FILE)) from None
    return Upload(name=SYNONYMS_FILE, data=data, title="the vocabulary", passages=len(rules),
                  sections=0, by=by)


def _name_for_link(provisional: str, title: str, kind: str) -> str:
    """A downloaded page is named after its title; a PDF or text file after the link's own file
    name, which its publisher chose, and after its title without one."""
    stem = PurePosixPath(provisional).stem
    by_title = names.slug(title)
    from_link = stem if stem != "page" else by_title or stem
    chosen = (by_title or stem if kind == ".html" else from_link) or "document"
    return chosen + "-document" if chosen + ".txt" == SYNONYMS_FILE else chosen


def _suggested(name: str | None) -> str | None:
    """A file name a site suggested (Content-Disposition), if it is fit for the folder."""
    if not name:
        return None
    try:
        checked = names.check_name(name)
    except LibraryError:
        return None
    return None if names.is_vocabulary(checked) else checked


def _top_level_documents(folder: Path) -> list[str]:
    try:
        return sorted(path.name for path in folder.iterdir()
                      if not path.name.startswith(".") and readers.readable(path.name)
                      and path.name != SYNONYMS_FILE)
    except OSError:
        return []


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
