"""Changes to the knowledge folder that can be taken back: a file written whole or not at all
(a hidden temporary file in the same folder, then a rename), and files set aside rather than
deleted until the change is kept. A reload that fails puts the folder back as it was, to the
file: the same names, contents, times and inodes, so the folder's `signature` is unchanged.

Temporary and set-aside files are hidden (their names start with '.'), which the loader and the
watcher never read.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from bot.knowledge import MAX_DEPTH

log = logging.getLogger(__name__)

PART, KEPT = ".part", ".kept"  # a file being written; an old version set aside
# A change takes as long as a reload; files of one this old were left by a process that died.
LEFTOVER_SECONDS = 3600.0
_MARK = ".bot-"
Signature = frozenset[tuple[str, int, int, int]]


class FolderChange:
    """Files written and set aside in one folder, kept by `keep` or taken back by `undo`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._undo: list[Callable[[], None]] = []
        self._set_aside: list[Path] = []

    def write(self, name: str, data: bytes) -> None:
        """Put `data` into the folder as `name`, whole: any previous file of that name is
        replaced in one step (readers see the old file or the new one, never a part)."""
        target = self.folder / name
        temporary = _hidden(target, PART)
        try:
            with open(temporary, "xb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            if target.exists():
                old = _hidden(target, KEPT)
                _keep_copy(target, old)
                self._set_aside.append(old)
                self._undo.append(lambda: os.replace(old, target))
            else:
                self._undo.append(lambda: os.unlink(target))
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _sync(self.folder)

    def set_aside(self, path: Path) -> None:
        """Take `path` out of the folder, keeping it (hidden) until the change is kept."""
        kept = _hidden(path, KEPT)
        os.replace(path, kept)
        self._set_aside.append(kept)
        self._undo.append(lambda: os.replace(kept, path))
        _sync(path.parent)

    def undo(self) -> None:
        """Put the folder back as it was before this change, newest step first."""
        while self._undo:
            step = self._undo.pop()
            try:
                step()
            except OSError as exc:  # keep undoing the rest: each step is independent
                log.error("could not take back a change to %s: %s", self.folder, exc)
        self._set_aside.clear()
        _sync(self.folder)

    def keep(self) -> None:
        """Keep the change: the old versions set aside are deleted."""
        for path in self._set_aside:
            path.unlink(missing_ok=True)
        self._set_aside.clear()
        self._undo.clear()


def clean_up(folder: Path, older_than: float = LEFTOVER_SECONDS) -> list[str]:
    """After a crash in the middle of a change: delete half-written files, put back files set
    aside whose place is empty, and delete the rest, if they are older than `older_than`
    seconds (younger ones may belong to a change another instance is making in a shared
    folder). Returns what was done, to log."""
    done: list[str] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return done
    for path in entries:
        if not path.name.startswith(".") or _MARK not in path.name:
            continue
        try:
            if time.time() - path.lstat().st_mtime < older_than:
                continue
        except OSError:
            continue
        original = path.with_name(path.name[1 : path.name.rfind(_MARK)])
        try:
            if path.name.endswith(KEPT) and not original.exists():
                os.replace(path, original)
                done.append(f"put back {original.name}, set aside by a change that never ended")
            elif path.name.endswith((KEPT, PART)):
                path.unlink()
                done.append(f"deleted {path.name}, left by a change that never ended")
        except OSError as exc:
            done.append(f"could not clean up {path.name}: {exc.strerror}")
    return done


def signature(folder: Path) -> Signature | None:
    """What the folder holds, as the loader sees it: the path, size, modification time and
    inode of every file that is not hidden (the vocabulary file included). Two equal signatures
    mean nothing was written in between; None when the folder cannot be listed."""
    found: set[tuple[str, int, int, int]] = set()
    pending = [(folder, 0)]
    try:
        while pending:
            current, depth = pending.pop()
            if depth > MAX_DEPTH:
                return None
            with os.scandir(current) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((Path(entry.path), depth + 1))
                        continue
                    info = _stat(entry)
                    relative = os.path.relpath(entry.path, folder)
                    found.add((relative, info.st_size, info.st_mtime_ns, info.st_ino))
    except OSError:
        return None
    return frozenset(found)


def _keep_copy(path: Path, copy: Path) -> None:
    """`copy` holds what `path` holds now, while `path` stays in place until renamed over: a
    hard link (the same file, so putting it back changes nothing), or where the file system has
    none, a copy with the same times."""
    try:
        os.link(path, copy)
    except OSError:
        shutil.copy2(path, copy)


def _stat(entry: os.DirEntry[str]) -> os.stat_result:
    try:
        return entry.stat()  # a link: what it points to, which is what the loader reads
    except OSError:
        return entry.stat(follow_symlinks=False)


def _hidden(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}{_MARK}{secrets.token_hex(4)}{kind}")


def _sync(folder: Path) -> None:
    """Make the folder's renames durable (where the system allows a folder to be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
