"""The on-disk cache of built indexes, keyed by the knowledge files' content and the scoring
parameters, so a restart serves at once instead of rebuilding. A stale or corrupt entry is
detected, removed and rebuilt, never served.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
from scipy import sparse

from bot.index import Index
from bot.knowledge import KnowledgeBase
from bot.text import TOKENIZER_VERSION

log = logging.getLogger(__name__)
FORMAT = "1"


class IndexCache:
    """A folder of `.npz` files, one per (knowledge content, k1, b, tokenizer) combination."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def key(self, knowledge: KnowledgeBase, k1: float, b: float) -> str:
        material = f"{FORMAT}|{TOKENIZER_VERSION}|{k1!r}|{b!r}|{knowledge.digest}"
        return hashlib.sha256(material.encode()).hexdigest()[:40]

    def path(self, knowledge: KnowledgeBase, k1: float, b: float) -> Path:
        return self.folder / f"index-{self.key(knowledge, k1, b)}.npz"

    def load(self, knowledge: KnowledgeBase, k1: float, b: float) -> Index | None:
        path = self.path(knowledge, k1, b)
        if not path.exists():
            return None
        try:
            return self._read(path, knowledge, k1, b)
        except Exception as exc:  # any damage at all means: rebuild, never serve it
            log.warning("index cache %s is unusable (%s); rebuilding it", path, exc)
            path.unlink(missing_ok=True)
            return None

    def _read(self, path: Path, knowledge: KnowledgeBase, k1: float, b: float) -> Index:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != self.key(knowledge, k1, b):
                raise ValueError("key mismatch")
            ids = "\n".join(p.id for p in knowledge.passages)
            if str(data["passage_digest"]) != hashlib.sha256(ids.encode()).hexdigest():
                raise ValueError("passages differ")
            terms = str(data["terms"]).split("\n") if int(data["n_terms"]) else []
            n_docs = len(knowledge.passages)
            matrix = sparse.csr_matrix(
                (data["data"], data["indices"], data["indptr"]), shape=(len(terms), n_docs)
            )
            if matrix.nnz != int(data["nnz"]) or len(terms) != int(data["n_terms"]):
                raise ValueError("truncated arrays")
            checksum = hashlib.sha256(matrix.data.tobytes() + matrix.indices.tobytes()).hexdigest()
            if checksum != str(data["checksum"]):
                raise ValueError("checksum mismatch")
            surface = str(data["surface"]).split("\n") if str(data["surface"]) else []
            counts = data["surface_counts"].tolist()
            return Index.from_parts(
                knowledge, k1=k1, b=b,
                vocabulary={t: i for i, t in enumerate(terms)},
                matrix=matrix, idf=np.array(data["idf"]), doc_freq=np.array(data["doc_freq"]),
                avgdl=float(data["avgdl"]), surface_words=list(zip(surface, counts, strict=True)),
            )

    def save(self, index: Index) -> None:
        """Write the index atomically (temp file, then rename); a failure only logs."""
        path = self.path(index.knowledge, index.k1, index.b)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            terms = sorted(index.vocabulary, key=index.vocabulary.__getitem__)
            m = index.matrix
            ids = "\n".join(p.id for p in index.passages)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                np.savez(
                    out, key=self.key(index.knowledge, index.k1, index.b),
                    passage_digest=hashlib.sha256(ids.encode()).hexdigest(),
                    terms="\n".join(terms), n_terms=len(terms), nnz=m.nnz,
                    data=m.data, indices=m.indices, indptr=m.indptr,
                    checksum=hashlib.sha256(m.data.tobytes() + m.indices.tobytes()).hexdigest(),
                    idf=index.idf, doc_freq=index.doc_freq, avgdl=index.avgdl,
                    surface="\n".join(w for w, _ in index.surface_words),
                    surface_counts=np.array([c for _, c in index.surface_words], dtype=np.int64),
                )
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not write the index cache to %s (%s); serving without it",
                        self.folder, exc)
