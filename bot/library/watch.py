"""Watching the knowledge folder for edits made on disk (an admin's editor, a sync tool, a
deploy script): watchfiles (Rust's notify: inotify on Linux, polling where
WATCHFILES_FORCE_POLLING is set) groups a burst of writes until the folder has been quiet for
the debounce time, then the library reloads if what the folder holds changed since it last read
it. Hidden files (an editor's swap files, the library's own temporary files) never count."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from bot.knowledge import shown
from bot.library.folder import Library, WatchResult

log = logging.getLogger(__name__)
# watchfiles logs every batch of changes at INFO; what a reload made of them is logged here.
logging.getLogger("watchfiles").setLevel(logging.WARNING)

Report = Callable[[WatchResult], Awaitable[None]]
# However long writes go on, a reload happens after this many debounce times at the latest.
_LONGEST_BURST = 10


class KnowledgeFilter(DefaultFilter):
    """watchfiles' own filter (version control folders, editors' backup and swap files) plus
    every hidden file or folder inside the knowledge folder, which the loader never reads."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder.resolve()

    def __call__(self, change: Change, path: str) -> bool:
        try:
            parts = Path(path).resolve().relative_to(self.folder).parts
        except ValueError:
            parts = Path(path).parts
        return not any(part.startswith(".") for part in parts) and super().__call__(change, path)


async def watch(library: Library, report: Report, *, debounce: float,
                stop: asyncio.Event) -> None:
    """Reload after each burst of edits until `stop` is set, handing each reload that did
    something (or failed) to `report`. Ends with a warning if the folder cannot be watched."""
    folder = library.folder
    step = max(int(debounce * 1000), 1)
    try:
        async for _ in awatch(folder, watch_filter=KnowledgeFilter(folder), step=step,
                              debounce=step * _LONGEST_BURST, stop_event=stop):
            try:
                result = await asyncio.to_thread(library.reload_if_changed)
            except Exception:  # a bug: the next edit is tried again all the same
                log.exception("reloading after an edit on disk failed")
                continue
            if result is not None:
                await _report(report, result)
    except Exception as exc:  # no folder, no inotify watches left: the bot serves on
        log.warning("not watching %s for edits (%s); send /reload after changing it",
                    shown(folder), exc)
        return
    log.debug("stopped watching %s", shown(folder))


async def _report(report: Report, result: WatchResult) -> None:
    try:
        await report(result)
    except Exception:  # a failure to tell people must not end the watching
        log.exception("could not report a reload after an edit on disk")
