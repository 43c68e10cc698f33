"""The knowledge base being served: one complete index at a time, swapped atomically on reload.

Questions read `service.index` once and use that object throughout, so a reload that swaps in a
new index never lets a question see half of one. Loading errors leave the old index serving.
A reload restores from the on-disk cache when it can; otherwise a large knowledge base is built
in a separate process, so that answering never waits for it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot import build_worker
from bot.answer import Answer, AnswerOptions, compose
from bot.index import Index
from bot.index_cache import CacheError, IndexCache
from bot.knowledge import KnowledgeBase, KnowledgeError, _document_files, load_folder
from bot.lexicon import Lexicon, for_knowledge
from bot.settings import Settings
from bot.text import english_typos

log = logging.getLogger(__name__)


def answer_options(settings: Settings) -> AnswerOptions:
    return AnswerOptions(
        min_coverage=settings.min_coverage, related_ratio=settings.related_ratio,
        max_citations=settings.max_citations, max_quote_chars=settings.max_quote_chars,
    )


@dataclass(frozen=True, slots=True)
class ReloadReport:
    """What a reload changed, for the admin who asked for it."""

    documents_added: tuple[str, ...]
    documents_removed: tuple[str, ...]
    documents_changed: tuple[str, ...]
    passages_added: int
    passages_removed: int
    passages_changed: int
    documents: int
    passages: int
    seconds: float

    @property
    def changed_anything(self) -> bool:
        return bool(self.documents_added or self.documents_removed or self.documents_changed)


def diff(old: KnowledgeBase, new: KnowledgeBase, seconds: float) -> ReloadReport:
    old_docs = {d.id: d.digest for d in old.documents}
    new_docs = {d.id: d.digest for d in new.documents}
    added = new_docs.keys() - old_docs.keys()
    removed = old_docs.keys() - new_docs.keys()
    changed = {k for k in old_docs.keys() & new_docs.keys() if old_docs[k] != new_docs[k]}
    # A file with the same content splits into the same passages: only the passages of added,
    # removed and changed files can differ, and comparing just those keeps a reload of a large
    # knowledge base from holding the interpreter lock in long set operations.
    touched = added | removed | changed
    old_passages = {p.id: p.text for p in old.passages if p.document.id in touched}
    new_passages = {p.id: p.text for p in new.passages if p.document.id in touched}
    return ReloadReport(
        documents_added=tuple(sorted(added)),
        documents_removed=tuple(sorted(removed)),
        documents_changed=tuple(sorted(changed)),
        passages_added=len(new_passages.keys() - old_passages.keys()),
        passages_removed=len(old_passages.keys() - new_passages.keys()),
        passages_changed=sum(1 for k in old_passages.keys() & new_passages.keys()
                             if old_passages[k] != new_passages[k]),
        documents=len(new.documents), passages=len(new.passages), seconds=seconds,
    )


# A rebuild of more knowledge than this (in bytes of files) runs in a separate process: in a
# thread, its Python loops would take the interpreter lock from the event loop for seconds.
ISOLATE_ABOVE_BYTES = 2_000_000
# From this many passages on, what a build leaves is frozen out of the garbage collector: a full
# collection would otherwise walk every passage (about 80 ms at 100,000) while questions wait.
FREEZE_FROM_PASSAGES = 20_000
_PIECE = 2_000


class KnowledgeService:
    """Answers questions from the current index; reloads build a new one beside it."""

    def __init__(self, index: Index, options: AnswerOptions, folder: Path,
                 cache: IndexCache | None = None, k1: float = 1.5, b: float = 0.75,
                 *, isolate_above: int = ISOLATE_ABOVE_BYTES,
                 lexicon: Lexicon | None = None) -> None:
        # The index and the knowledge base's vocabulary are served together: a reload swaps
        # both in one assignment, so no question reads one with the other's words.
        self._served = (index, lexicon or for_knowledge(folder))
        self.options = options
        self.folder = folder
        self.cache = cache
        self.k1, self.b = k1, b
        self.isolate_above = isolate_above
        self._reload_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeService:
        """Load the knowledge folder (or raise `KnowledgeError`) and build or restore its index."""
        folder = settings.knowledge_path()
        cache = IndexCache(settings.cache_dir) if settings.cache_dir else None
        lexicon = for_knowledge(folder)  # a broken synonyms.txt fails before the long build
        with _collector_paused():
            index = _settled(open_index(folder, cache, settings.k1, settings.b))
        return cls(index, answer_options(settings), folder, cache, settings.k1, settings.b,
                   lexicon=lexicon)

    @property
    def index(self) -> Index:
        return self._served[0]

    @property
    def lexicon(self) -> Lexicon:
        """The vocabulary questions are read with: general English and the knowledge
        folder's own synonyms.txt."""
        return self._served[1]

    def ask(self, question: str, context: Sequence[str] = ()) -> Answer:
        index, lexicon = self._served
        return compose(question, index, context, self.options, lexicon)

    def warm_up(self) -> None:
        """Answer one question now, so that the first person to ask does not wait while the
        English word frequencies (~0.1 s), the stemmer and the English typo map load."""
        self.ask("Is this a warm-up question about the first section?")
        english_typos()  # ~0.1 s, else paid by the first question with a typo

    def reload(self) -> ReloadReport:
        """Re-read the folder and swap in the new index; raises `KnowledgeError` and keeps the
        old index when anything is wrong. Blocking: run it off the event loop (or await
        `reload_async`). Concurrent calls run one after the other, each reading the folder as
        it is then."""
        with self._reload_lock, _switching_often():
            started = time.perf_counter()
            lexicon = for_knowledge(self.folder)
            index = self._fresh_index()
            old = self.index
            self._served = (index, lexicon)  # one reference assignment: atomic for every reader
            report = diff(old.knowledge, index.knowledge, time.perf_counter() - started)
            pieces = _pieces(old)
            del old
            _release(pieces)
            log.info("reloaded %s: %d documents, %d passages in %.2fs", self.folder,
                     report.documents, report.passages, report.seconds)
            return report

    async def reload_async(self) -> ReloadReport:
        """`reload` in a worker thread: the event loop keeps answering meanwhile."""
        return await asyncio.to_thread(self.reload)

    def _fresh_index(self) -> Index:
        if self.cache is not None:
            with _collector_paused():
                restored = self.cache.restore(self.folder, self.k1, self.b)
                if restored is not None:
                    return _settled(restored)
        if _folder_bytes(self.folder) > self.isolate_above:
            return build_elsewhere(self.folder, self.cache, self.k1, self.b)
        with _collector_paused():
            return _settled(build_index(load_folder(self.folder), self.cache, self.k1, self.b))


def open_index(folder: Path, cache: IndexCache | None, k1: float, b: float) -> Index:
    """The index of the files in `folder`: restored from the cache, else loaded and built."""
    if cache is not None:
        restored = cache.restore(folder, k1, b)
        if restored is not None:
            return restored
    return build_index(load_folder(folder), cache, k1, b)


def build_index(knowledge: KnowledgeBase, cache: IndexCache | None, k1: float, b: float) -> Index:
    """The index for `knowledge`, from the cache when it holds a valid one for the same files."""
    if cache is not None:
        cached = cache.load(knowledge, k1, b)
        if cached is not None:
            return cached
    index = Index(knowledge, k1=k1, b=b)
    if cache is not None:
        cache.save(index)
    return index


def build_elsewhere(folder: Path, cache: IndexCache | None, k1: float, b: float) -> Index:
    """Load and index `folder` in a fresh process (`bot.build_worker`), which writes a cache
    entry, then read the entry back here: this process only reads files and copies arrays."""
    with tempfile.TemporaryDirectory(prefix="bot-index-") as scratch:
        where = cache.folder if cache is not None else Path(scratch)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(Path(__file__).resolve().parent.parent),
                          os.environ.get("PYTHONPATH")])))
        done = subprocess.run(
            [sys.executable, "-m", "bot.build_worker", str(folder), str(where), repr(k1),
             repr(b)],
            capture_output=True, text=True, env=env, check=False,
        )
        if done.returncode == build_worker.KNOWLEDGE_ERROR:
            raise KnowledgeError(done.stderr.strip())
        if done.returncode != 0:
            raise RuntimeError(f"building the index in a worker process failed "
                               f"(exit status {done.returncode}): {done.stderr[-2000:]}")
        entry = Path(done.stdout.strip().splitlines()[-1])
        try:
            with _collector_paused():
                return _settled((cache or IndexCache(where)).read(entry, folder))
        except CacheError as exc:
            log.warning("the index built in a worker process is unusable (%s); building it "
                        "here instead", exc)
            return build_index(load_folder(folder), cache, k1, b)


def _pieces(index: Index) -> list[object]:
    """The parts of a replaced index, in pieces small enough to free in a millisecond."""
    passages = list(index.passages)
    return [*(passages[i : i + _PIECE] for i in range(0, len(passages), _PIECE)),
            index.surface, index.vocabulary, index.typos, index.knowledge.documents]


def _release(pieces: list[object]) -> None:
    """Free a replaced index a piece at a time. Freed at once, its 100,000 passages would go
    in one uninterruptible call (about 50 ms) while the event loop waits for the lock."""
    while pieces:
        pieces.pop()
        time.sleep(0)  # let the event loop's thread take the lock between pieces


def _folder_bytes(folder: Path) -> int:
    try:
        return sum(path.stat().st_size for path in _document_files(Path(folder)))
    except (OSError, KnowledgeError):
        return 0  # let the loader report what is wrong with the folder


@contextmanager
def _switching_often(interval: float = 0.0005) -> Iterator[None]:
    """While a reload works in its thread, let the event loop's thread take the interpreter
    lock back within half a millisecond instead of the default 5 ms: an answer's numpy calls
    release the lock, and each time the loop would otherwise wait a whole interval for it."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the garbage collector out of a build: its collections would walk every new
    passage, in whichever thread happened to allocate, while the event loop waits."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _settled(index: Index) -> Index:
    """`index`, frozen out of the garbage collector when large (call it while the collector is
    paused): a full collection would otherwise walk every passage, about 80 ms at 100,000,
    while questions wait. The index holds no reference cycles, so reference counting still
    frees it when a reload replaces it."""
    if len(index) >= FREEZE_FROM_PASSAGES:
        gc.freeze()
    return index
