"""The knowledge base being served: one complete index at a time, swapped atomically on reload.

Questions read `service.index` once and use that object throughout, so a reload that swaps in a
new index never lets a question see half of one. Loading errors leave the old index serving.
A reload restores from the on-disk cache when it can; otherwise a large knowledge base is built
in a separate process, so that answering never waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from bot.answer import Answer, AnswerOptions
from bot.build_worker import DEFAULT_TIMEOUT, BuildError, build_in_worker
from bot.conversation import Turn
from bot.dialogue import Guide, guide_for, respond, turn_from_quotes
from bot.index import Index
from bot.index_cache import IndexCache
from bot.knowledge import (
    DEFAULT_LIMITS,
    KnowledgeBase,
    KnowledgeError,
    Limits,
    document_files,
    load_folder,
)
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
_PIECE = 2_000


class KnowledgeService:
    """Answers questions from the current index; reloads build a new one beside it."""

    # What opening an index (at start-up and on each reload) runs inside. This module changes
    # no process-wide setting; the process owner may (bot/__main__.py keeps the garbage
    # collector out of the way of the event loop while the new index's objects are made).
    around_build: ClassVar[Callable[[], AbstractContextManager[object]]] = contextlib.nullcontext

    def __init__(self, index: Index, options: AnswerOptions, folder: Path,
                 cache: IndexCache | None = None, k1: float = 1.5, b: float = 0.75,
                 *, isolate_above: int = ISOLATE_ABOVE_BYTES,
                 build_timeout: float = DEFAULT_TIMEOUT,
                 limits: Limits = DEFAULT_LIMITS, lexicon: Lexicon | None = None) -> None:
        # The index and the knowledge base's vocabulary are served together: a reload swaps
        # both in one assignment, so no question reads one with the other's words.
        self._served = (index, lexicon or for_knowledge(folder))
        self.options = options
        self.folder = folder
        self.cache = cache
        self.k1, self.b = k1, b
        self.isolate_above = isolate_above
        self.build_timeout = build_timeout
        self.limits = limits
        self._reload_lock = threading.Lock()
        self._closing = threading.Event()
        self._guide: tuple[Index | None, Guide] = (None, Guide())

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeService:
        """Load the knowledge folder (or raise `KnowledgeError`) and build or restore its index."""
        folder = settings.knowledge_path()
        cache = IndexCache(settings.cache_dir) if settings.cache_dir else None
        limits = Limits.from_megabytes(settings.max_file_mb, settings.max_knowledge_mb)
        lexicon = for_knowledge(folder)  # a broken synonyms.txt fails before the long build
        with cls.around_build():
            index = open_index(folder, cache, settings.k1, settings.b,
                               timeout=settings.build_timeout, limits=limits)
        return cls(index, answer_options(settings), folder, cache, settings.k1, settings.b,
                   build_timeout=settings.build_timeout, limits=limits, lexicon=lexicon)

    @property
    def index(self) -> Index:
        return self._served[0]

    @property
    def lexicon(self) -> Lexicon:
        """The vocabulary questions are read with: general English and the knowledge
        folder's own synonyms.txt."""
        return self._served[1]

    def respond(self, text: str, turn: Turn | None = None) -> tuple[Answer, Turn | None]:
        """The answer to a message in the conversation `turn` (None: a new one), and where the
        conversation stands after it (see `bot.dialogue`)."""
        index, lexicon = self._served
        return respond(text, turn, index, self.options, lexicon, self.guide(index, lexicon))

    def ask(self, question: str, context: Sequence[str] = ()) -> Answer:
        """The answer to `question`, read with `context` (the earlier questions, newest
        first), as `respond` answers it."""
        turn = Turn(context[0], tuple(context[1:])) if context else None
        return self.respond(question, turn)[0]

    def guide(self, index: Index | None = None, lexicon: Lexicon | None = None) -> Guide:
        """Example questions and the language of the knowledge base served (or of `index`),
        worked out once per index: a reload brings new ones."""
        if index is None:
            index, lexicon = self._served
        known, guide = self._guide
        if known is not index:
            guide = guide_for(index, self.options, lexicon)
            self._guide = (index, guide)  # one assignment: a reader sees a whole pair
        return guide

    def turn_from_quotes(self, quotes: Sequence[str]) -> Turn | None:
        """The conversation an answer known only by its quotes continues (see
        `bot.dialogue.turn_from_quotes`)."""
        return turn_from_quotes(self.index, quotes)

    def warm_up(self) -> None:
        """Answer one question now, so that the first person to ask does not wait while the
        English word frequencies (~0.1 s), the stemmer and the English typo map load, and work
        out the example questions and the language (~0.3 s) that greetings and refusals use."""
        self.ask("Is this a warm-up question about the first section?")
        english_typos()  # ~0.1 s, else paid by the first question with a typo
        self.guide()

    def reload(self) -> ReloadReport:
        """Re-read the folder and swap in the new index. Raises `KnowledgeError` (a
        `BuildError` when the build process failed or timed out) and keeps the old index when
        anything is wrong. Blocking: run it off the event loop (or await `reload_async`).
        Concurrent calls run one after the other, each reading the folder as it is then."""
        with self._reload_lock:
            started = time.perf_counter()
            lexicon = for_knowledge(self.folder)  # a broken synonyms.txt fails first
            with type(self).around_build():
                index = open_index(self.folder, self.cache, self.k1, self.b,
                                   isolate_above=self.isolate_above,
                                   timeout=self.build_timeout, stop=self._closing,
                                   limits=self.limits)
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

    def close(self) -> None:
        """Stop a build in progress (its reload fails with `BuildError`) and refuse further
        ones: for an adapter that is shutting down and must not wait for a build."""
        self._closing.set()


def open_index(folder: Path, cache: IndexCache | None, k1: float, b: float, *,
               isolate_above: int = ISOLATE_ABOVE_BYTES, timeout: float = DEFAULT_TIMEOUT,
               stop: threading.Event | None = None, limits: Limits = DEFAULT_LIMITS) -> Index:
    """The index of the files in `folder`: restored from the cache, else built, in a separate
    process when the files are large (see `bot.build_worker`) and here otherwise."""
    if cache is not None:
        restored = cache.restore(folder, k1, b, limits)
        if restored is not None:
            return restored
    if stop is not None and stop.is_set():
        raise BuildError("the knowledge base was not reloaded because the bot is stopping")
    if _folder_bytes(folder, limits) > isolate_above:
        return build_in_worker(folder, cache, k1, b, timeout=timeout, stop=stop, limits=limits)
    knowledge = load_folder(folder, limits)
    if cache is not None:
        cached = cache.load(knowledge, k1, b)  # the files changed while they were read
        if cached is not None:
            return cached
    index = Index(knowledge, k1=k1, b=b)
    if cache is not None:
        cache.save(index)
    return index


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


def _folder_bytes(folder: Path, limits: Limits) -> int:
    try:
        return sum(path.stat().st_size for path in document_files(Path(folder), limits))
    except (OSError, KnowledgeError):
        return 0  # let the loader report what is wrong with the folder
