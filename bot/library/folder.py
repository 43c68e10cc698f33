"""The knowledge folder as admins change it from a chat: a document is checked (`uploads`),
written whole, and the knowledge base reloaded with it; if that reload fails, the folder is put
back as it was and the old index keeps serving. Removals go the same way. Every reload through
here remembers what the folder held when it read it, so that a watcher can tell whether the
folder changed since (`reload_if_changed`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import SYNONYMS_FILE, Document, KnowledgeBase, shown
from bot.library import changes, uploads
from bot.library.errors import LibraryError
from bot.library.records import Record, Records
from bot.library.uploads import Person, Upload
from bot.serving import KnowledgeService, ReloadReport

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Entry:
    """A document being served, with who added it (None: put into the folder by hand)."""

    name: str  # its file's path inside the folder
    document: Document
    passages: int
    sections: int
    modified: float  # the file's modification time (0 if it is gone)
    record: Record | None

    @property
    def edited_on_disk(self) -> bool:
        """Added from a chat, and changed on disk since."""
        return self.record is not None and self.record.digest != self.document.digest


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an addition or removal changed: the document (None for the vocabulary file), the
    reload's report, and the folder's files that are not read."""

    name: str
    entry: Entry | None
    report: ReloadReport
    skipped: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class WatchResult:
    """A reload after the folder changed on disk: its report, or the error that kept the old
    index serving; `new_error` when that error is not the one last seen, `recovered` when the
    folder loads again after a failure."""

    report: ReloadReport | None
    error: Exception | None
    new_error: bool = False
    recovered: bool = False


class Library:
    """Adds, removes and lists the documents of the folder `service` serves, one change at a
    time. Blocking: call from a worker thread (the reloads take as long as a /reload)."""

    def __init__(self, service: KnowledgeService, *, state_dir: Path | None,
                 max_upload_bytes: int) -> None:
        self.service = service
        self.folder = service.folder
        self.max_upload_bytes = max_upload_bytes
        self.records = Records(state_dir, self.folder)
        self._lock = threading.Lock()
        for done in changes.clean_up(self.folder):
            log.warning("%s: %s", shown(self.folder), done)
        self._served = changes.signature(self.folder)  # what the served index was read from
        self._failed: changes.Signature | None = None  # what a reload last failed on
        self._failure: str | None = None

    # --- adding -------------------------------------------------------------------------------

    def check_size(self, size: int | None, name: str | None) -> None:
        """Refuse a document over the upload limit before it is downloaded."""
        uploads.check_size(size, name, self.max_upload_bytes)

    def prepare(self, data: bytes, name: str | None, *, by: Person,
                url: str | None = None) -> Upload:
        """See `uploads.prepare`: the document checked and named, nothing written."""
        return uploads.prepare(self.folder, data, name, by=by, url=url,
                               limit=self.max_upload_bytes)

    def add(self, upload: Upload) -> Outcome:
        """Write `upload` into the folder (in place of the files it replaces) and reload. If the
        reload fails, the folder is put back as it was, the old index keeps serving, and the
        reload's error is raised."""
        with self._lock:
            # The folder may have changed since the upload was prepared.
            placed = uploads.placed(self.folder, upload)
            if set(placed.replaces) - set(upload.replaces):
                raise LibraryError(f"{shown(upload.name)}: a document of that name was added to "
                                   "the folder meanwhile; send the file again to replace it")
            upload = placed
            change = changes.FolderChange(self.folder)
            with self._writing(change, upload.name):
                for other in upload.replaces:
                    if other != upload.name:
                        change.set_aside(self.folder / other)
                change.write(upload.name, upload.data)
            report = self._reload_or_undo(change)
        self.records.drop(*upload.replaces)
        self.records.put(Record(upload.name, time.time(), upload.by.id, upload.by.name,
                                upload.url, upload.digest))
        log.info("user %d added %s to %s", upload.by.id, upload.name, shown(self.folder))
        return self._outcome(upload.name, report)

    # --- removing -----------------------------------------------------------------------------

    def remove(self, name: str) -> Outcome:
        """Take the file `name` (its path inside the folder) out and reload; if the reload
        fails, the file is put back and the reload's error raised."""
        with self._lock:
            path = self.folder / name
            if not path.is_file():
                raise LibraryError(f"{shown(name)}: is no longer in the knowledge folder; "
                                   "/docs lists what is")
            served = self.service.index.knowledge.documents
            if all(self._name_of(document) == name for document in served):
                raise LibraryError(f"{shown(name)}: is the only document, and a knowledge base "
                                   "without documents cannot be served; add another document "
                                   "first, then remove this one")
            change = changes.FolderChange(self.folder)
            with self._writing(change, name):
                change.set_aside(path)
            report = self._reload_or_undo(change)
        self.records.drop(name)
        log.info("removed %s from %s", name, shown(self.folder))
        return self._outcome(name, report)

    # --- listing ------------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """The documents being served, in the loader's order, with who added them."""
        knowledge = self.service.index.knowledge
        records = self.records.all()
        counts = Counter(passage.document.id for passage in knowledge.passages)
        sections = _sections(knowledge)
        found = []
        for document in knowledge.documents:
            name = self._name_of(document)
            found.append(Entry(name, document, counts[document.id], sections[document.id],
                               _modified(Path(document.path)), records.get(name)))
        return found

    def find(self, wanted: str) -> list[Entry]:
        """The documents `wanted` names: by file name (with or without its suffix, or its path
        inside the folder), else by title; case does not matter."""
        key = " ".join(wanted.split()).casefold()
        entries = self.entries()
        by_name = [e for e in entries
                   if key in (e.name.casefold(), e.document.id.casefold())]
        return by_name or [e for e in entries if e.document.title.casefold() == key]

    def vocabulary(self) -> tuple[float, Record | None] | None:
        """The vocabulary file's modification time and record, if the folder has one."""
        modified = _modified(self.folder / SYNONYMS_FILE)
        if not modified:
            return None
        return modified, self.records.all().get(SYNONYMS_FILE)

    # --- reloading ----------------------------------------------------------------------------

    def reload(self) -> ReloadReport:
        """Reload as /reload does; raises what the reload raised (the old index serves on)."""
        with self._lock:
            folder = changes.signature(self.folder)
            try:
                report = self._reload(folder)
            except Exception as exc:
                self._failed, self._failure = folder, _key(exc)
                raise
            return report

    def reload_if_changed(self) -> WatchResult | None:
        """Reload if the folder changed since the last reload read it (None when it did not:
        an editor's backup file, or a change of the bot's own, already loaded)."""
        with self._lock:
            folder = changes.signature(self.folder)
            if folder is not None and folder in (self._served, self._failed):
                return None
            previous = self._failure
            try:
                report = self._reload(folder)
            except Exception as exc:
                self._failed, self._failure = folder, _key(exc)
                return WatchResult(None, exc, new_error=self._failure != previous)
            return WatchResult(report, None, recovered=previous is not None)

    def skipped(self) -> tuple[tuple[str, str], ...]:
        return self.service.index.knowledge.skipped

    def close(self) -> None:
        self.records.close()

    @contextmanager
    def _writing(self, change: changes.FolderChange, name: str) -> Iterator[None]:
        """Steps of `change`, all taken back if one cannot be made."""
        try:
            yield
        except OSError as exc:
            change.undo()
            raise LibraryError(f"{shown(self.folder / name)}: cannot be written ({exc.strerror}); "
                               "make the knowledge folder writable by the user the bot runs as "
                               "(docs/deploy.md), or put the file there on the server") from None
        except BaseException:
            change.undo()
            raise

    def _reload_or_undo(self, change: changes.FolderChange) -> ReloadReport:
        """Reload with `change` made, then keep it; if the reload fails, take it back."""
        try:
            report = self._reload()
        except BaseException:
            change.undo()
            raise
        change.keep()
        return report

    def _reload(self, folder: changes.Signature | None = None) -> ReloadReport:
        """Reload under the lock, remembering what the folder held as it was read."""
        folder = changes.signature(self.folder) if folder is None else folder
        report = self.service.reload()
        self._served, self._failed, self._failure = folder, None, None
        return report

    def _outcome(self, name: str, report: ReloadReport) -> Outcome:
        entry = next((e for e in self.entries() if e.name == name), None)
        return Outcome(name, entry, report, self.skipped())

    def _name_of(self, document: Document) -> str:
        path = Path(document.path)
        try:
            return path.relative_to(self.folder).as_posix()
        except ValueError:
            return path.name


def _sections(knowledge: KnowledgeBase) -> Counter[str]:
    seen = {(p.document.id, p.section) for p in knowledge.passages if p.section}
    return Counter(document for document, _ in seen)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _key(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
