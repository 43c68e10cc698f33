"""Builders shared by the tests: knowledge folders on disk, knowledge bases and citations made
by hand, and the index of the shipped article (built once: an `Index` is immutable)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from bot.answer import Citation
from bot.index import Index
from bot.knowledge import Document, KnowledgeBase, Passage, load_folder

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
SEED_NAME = "000_29f201e5e6a39567.txt"
SEED_FILE = KNOWLEDGE_DIR / SEED_NAME


def write_folder(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create `folder` holding `files` (relative name -> text or bytes) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def knowledge_from_paragraphs(
    paragraphs: Iterable[str], *, title: str = "", section: str | None = None, doc_id: str = "doc"
) -> KnowledgeBase:
    """A one-document knowledge base whose passages are exactly `paragraphs`.

    With the default empty title and no section, a passage is indexed under its own words only,
    which is what scoring tests need to control document frequencies exactly.
    """
    texts = list(paragraphs)
    text = "\n\n".join(texts)
    doc = Document(id=doc_id, path=f"{doc_id}.txt", title=title, text=text)
    passages: list[Passage] = []
    start = 0
    for number, para in enumerate(texts, 1):
        passages.append(Passage(f"{doc_id}#{number}", doc, section, number, para, start,
                                start + len(para)))
        start += len(para) + 2
    return KnowledgeBase((doc,), tuple(passages))


@cache
def shipped_knowledge() -> KnowledgeBase:
    return load_folder(KNOWLEDGE_DIR)


@cache
def shipped_index() -> Index:
    return Index(shipped_knowledge())


def index_scores(index: Index, tokens: Iterable[str]) -> npt.NDArray[np.float64]:
    """Every passage's score for `tokens`, summed from the index's weights (to compare with
    rank-bm25's `get_scores`); a token asked twice counts twice, as rank-bm25 counts it."""
    rows = [index.vocabulary[token] for token in tokens if token in index.vocabulary]
    if not rows:
        return np.zeros(len(index))
    return np.asarray(index.matrix[rows].sum(axis=0)).ravel()


def postings(index: Index, token: str) -> list[int]:
    """The numbers of the passages that hold `token`, in reading order."""
    row = index.vocabulary.get(token)
    if row is None:
        return []
    m = index.matrix
    return [int(i) for i in m.indices[m.indptr[row] : m.indptr[row + 1]]]


def make_citation(**overrides: Any) -> Citation:
    """A citation with plain values; override any field."""
    fields: dict[str, Any] = {
        "passage_id": "doc#1", "document": "doc", "title": "A Title", "section": "A Section",
        "paragraph": 1, "quote": "A quoted sentence.", "score": 1.0,
    }
    fields.update(overrides)
    return Citation(**fields)


def strip_bot_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every BOT_* variable (and the host's PORT) so settings come only from the test."""
    for name in list(os.environ):
        if name.startswith("BOT_") or name == "PORT":
            monkeypatch.delenv(name, raising=False)


def cli_env(cache_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for running `python -m bot` in a subprocess: no token, a private cache.

    BOT_TOKEN is set blank rather than removed so a developer's `.env` cannot supply one.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_") and k != "PORT"}
    env.update(BOT_TOKEN="", BOT_CACHE_DIR=str(cache_dir), PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env
