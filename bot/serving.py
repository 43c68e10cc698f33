"""The knowledge base being served: one complete index at a time, swapped atomically on reload.

Questions read `service.index` once and use that object throughout, so a reload that swaps in a
new index never lets a question see half of one. Loading errors leave the old index serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.answer import Answer, AnswerOptions, compose
from bot.index import Index
from bot.index_cache import IndexCache
from bot.knowledge import KnowledgeBase, load_folder
from bot.settings import Settings

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
    old_passages = {p.id: p.text for p in old.passages}
    new_passages = {p.id: p.text for p in new.passages}
    return ReloadReport(
        documents_added=tuple(sorted(new_docs.keys() - old_docs.keys())),
        documents_removed=tuple(sorted(old_docs.keys() - new_docs.keys())),
        documents_changed=tuple(sorted(k for k in old_docs.keys() & new_docs.keys()
                                       if old_docs[k] != new_docs[k])),
        passages_added=len(new_passages.keys() - old_passages.keys()),
        passages_removed=len(old_passages.keys() - new_passages.keys()),
        passages_changed=sum(1 for k in old_passages.keys() & new_passages.keys()
                             if old_passages[k] != new_passages[k]),
        documents=len(new.documents), passages=len(new.passages), seconds=seconds,
    )


class KnowledgeService:
    """Answers questions from the current index; reloads build a new one beside it."""

    def __init__(self, index: Index, options: AnswerOptions, folder: Path,
                 cache: IndexCache | None = None, k1: float = 1.5, b: float = 0.75) -> None:
        self._index = index
        self.options = options
        self.folder = folder
        self.cache = cache
        self.k1, self.b = k1, b
        self._reload_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeService:
        """Load the knowledge folder (or raise `KnowledgeError`) and build or restore its index."""
        folder = settings.knowledge_path()
        cache = IndexCache(settings.cache_dir) if settings.cache_dir else None
        index = build_index(load_folder(folder), cache, settings.k1, settings.b)
        return cls(index, answer_options(settings), folder, cache, settings.k1, settings.b)

    @property
    def index(self) -> Index:
        return self._index

    def ask(self, question: str, context: Sequence[str] = ()) -> Answer:
        return compose(question, self._index, context, self.options)

    def reload(self) -> ReloadReport:
        """Re-read the folder and swap in the new index; raises `KnowledgeError` and keeps the
        old index when anything is wrong. Blocking: run it off the event loop. Concurrent calls
        run one after the other, each reading the folder as it is then."""
        with self._reload_lock:
            started = time.perf_counter()
            knowledge = load_folder(self.folder)
            index = build_index(knowledge, self.cache, self.k1, self.b)
            old = self._index
            self._index = index  # one reference assignment: atomic for every reader
            report = diff(old.knowledge, knowledge, time.perf_counter() - started)
            log.info("reloaded %s: %d documents, %d passages in %.2fs", self.folder,
                     report.documents, report.passages, report.seconds)
            return report


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
