"""Seeded knowledge folders of any size for the tests that need many passages: Markdown files of
twenty paragraphs, in sections, whose words follow Zipf's law as a real vocabulary does."""

from __future__ import annotations

import random
from pathlib import Path

PASSAGES_PER_FILE = 20
_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]


def words(count: int, seed: int) -> list[str]:
    """`count` distinct made-up words, most frequent first."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        found["".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4)))] = None
    return list(found)


def write_corpus(folder: Path, passages: int, seed: int = 1) -> list[str]:
    """Write a folder of `passages` paragraphs; returns questions of four words each, taken
    from random paragraphs."""
    rng = random.Random(seed)
    vocabulary = words(max(200, passages // 2), seed)
    weights = [1 / (rank + 3) for rank in range(len(vocabulary))]
    texts = [" ".join(rng.choices(vocabulary, weights, k=rng.randint(8, 40))).capitalize() + "."
             for _ in range(passages)]
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, passages, PASSAGES_PER_FILE):
        chunk = texts[start : start + PASSAGES_PER_FILE]
        parts = [f"# Article {start // PASSAGES_PER_FILE}\n"]
        for i, text in enumerate(chunk):
            if i % 5 == 0:
                parts.append(f"## Part {i // 5 + 1}\n")
            parts.append(text + "\n")
        (folder / f"article-{start // PASSAGES_PER_FILE:05d}.md").write_text(
            "\n".join(parts), encoding="utf-8")
    return [" ".join(rng.sample(texts[rng.randrange(passages)].rstrip(".").split(), 4))
            for _ in range(40)]
