"""Building a large index in a separate process, so that the serving process only reads the
result back and answering never waits for the build.

`build_in_worker` (the serving side) runs `python -m bot.build_worker FOLDER K1 B MAX_FILE_BYTES
MAX_TOTAL_BYTES DIR...`, which loads FOLDER within those limits, writes the index's cache entry
into the first DIR it can write to and prints the entry's path; it stops the worker after a
timeout, or as soon as the serving process stops, and turns every way the worker can fail into
one `BuildError` that says what happened.

Exit status 3 means the knowledge folder could not be loaded (the reason is on stderr).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bot.index import Index
from bot.index_cache import CacheError, IndexCache
from bot.knowledge import DEFAULT_LIMITS, KnowledgeError, Limits, list_folder, load_folder

log = logging.getLogger(__name__)
KNOWLEDGE_ERROR = 3
DEFAULT_TIMEOUT = 300.0
# How often the serving side looks whether it should stop waiting, and the worker whether the
# process that started it is still there.
_POLL_SECONDS = 0.25


class BuildError(KnowledgeError):
    """The worker process did not deliver an index: it took too long, crashed, was killed, or
    left nothing readable. (A `KnowledgeError`, so a reload reports it as it reports a bad
    file: in one line, and the old index keeps serving.)"""


def build_in_worker(folder: Path, cache: IndexCache | None, k1: float, b: float, *,
                    timeout: float = DEFAULT_TIMEOUT,
                    stop: threading.Event | None = None,
                    limits: Limits = DEFAULT_LIMITS) -> Index:
    """Load and index `folder` in a fresh process, which writes a cache entry, then read the
    entry back here: this process only reads files and copies arrays. Raises `BuildError`
    (or the loader's `KnowledgeError`) when no index comes back."""
    with tempfile.TemporaryDirectory(prefix="bot-index-") as scratch:
        # Into the cache when it can be written, else into the scratch folder.
        places = [*([cache.folder] if cache is not None else []), Path(scratch)]
        out, err, status = _run_worker(folder, places, k1, b, limits, timeout, stop)
        if status == KNOWLEDGE_ERROR:
            raise KnowledgeError(err.strip())
        if status != 0:
            log.warning("the index build process failed; what it printed:\n%s", err[-4000:])
            raise BuildError(_failure(status, err))
        lines = out.strip().splitlines()
        if not lines:
            raise BuildError("the index build process ended without naming the index it built")
        entry = Path(lines[-1])
        try:
            index = IndexCache(entry.parent).read(entry, folder)
        except CacheError as exc:
            raise BuildError(f"the index the build process wrote cannot be read ({exc})") from exc
        # What the folder holds besides documents is no part of the entry: as listed now, so
        # that a reload's reply names the files it does not read, however the index was built.
        with contextlib.suppress(KnowledgeError):
            index.knowledge = dataclasses.replace(
                index.knowledge, skipped=list_folder(Path(folder), limits).skipped)
        return index


def _run_worker(folder: Path, places: list[Path], k1: float, b: float, limits: Limits,
                timeout: float, stop: threading.Event | None) -> tuple[str, str, int]:
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.build_worker", str(folder), repr(k1), repr(b),
         str(limits.max_file_bytes), str(limits.max_total_bytes), *map(str, places)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + timeout
    while True:
        try:
            out, err = worker.communicate(timeout=_POLL_SECONDS)
            return out, err, worker.returncode
        except subprocess.TimeoutExpired:
            pass
        # The main thread has ended: the interpreter is shutting down (SIGTERM, Ctrl-C) and
        # waits for this thread, so the build must not outlive the wait.
        stopping = (stop is not None and stop.is_set()) or not threading.main_thread().is_alive()
        if stopping or time.monotonic() >= deadline:
            worker.kill()
            worker.communicate()
            if stopping:
                raise BuildError("the index build was stopped because the bot is stopping")
            raise BuildError(
                f"building the index took longer than {timeout:g} s and was stopped; "
                "set BOT_BUILD_TIMEOUT higher if a knowledge base this large needs more time")


def _failure(status: int, err: str) -> str:
    if status < 0:
        name = signal.Signals(-status).name if -status in signal.valid_signals() else -status
        cause = " (out of memory?)" if -status == signal.SIGKILL else ""
        return f"the index build process was killed by signal {name}{cause}"
    last = next((line for line in reversed(err.strip().splitlines()) if line.strip()), "")
    return f"the index build process failed (exit status {status}): {last or 'no message'}"


def _exit_with_parent(parent: int) -> None:
    """Stop when the process that started this one is gone: its build is wanted no more."""
    while os.getppid() == parent:
        time.sleep(_POLL_SECONDS)
    os._exit(1)


def main(argv: list[str]) -> int:
    folder, k1, b, max_file_bytes, max_total_bytes, *places = argv
    limits = Limits(int(max_file_bytes), int(max_total_bytes))
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    with contextlib.suppress(OSError):
        os.nice(10)  # on a small machine, the serving process's threads go first
    gc.disable()  # a process that ends in seconds gains nothing from collecting its garbage
    try:
        knowledge = load_folder(folder, limits)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return KNOWLEDGE_ERROR
    index = Index(knowledge, k1=float(k1), b=float(b))
    for place in places:
        entry = IndexCache(Path(place)).save(index)
        if entry is not None:
            print(entry)
            return 0
    print(f"could not write the index to {' or '.join(places)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
