"""A deterministic synthetic knowledge base for the scale benchmark and the scale tests:
passages of 20-60 words drawn from a Zipfian vocabulary, with sentences of the real articles in
`knowledge/` mixed in, written as a folder of Markdown files the normal loader reads.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
VOCABULARY = 50_000
QUESTION_WORDS = 8  # the issue measured rank-bm25 at 270 ms with questions of 8 words
PASSAGES_PER_FILE = 20
SECTION_EVERY = 5
ZIPF_OFFSET = 2.7
REAL_SHARE = 0.25  # share of passages that carry a run of real article words
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# As in English, function words hold most of the top ranks of the Zipfian vocabulary (the
# tokenizer drops them); made-up content words fill one rank in three among them, then the rest.
FUNCTION_WORDS = """the of and to a in is that for it was on with as he be at by this had not
are but from or have an they which one you were her all she there would their we him been has
when who will more no if out so said what up its about into than them can only other new some
could time these two may then do first any my now such like our over man me even most made
after also did many before must through back years where much your way well down should
because each just those people how too little state good very make world still own see men
work long get here between both life being under never day same another know while last
might us great old year off come since against go came right used take three""".split()
FUNCTION_SHARE = 2  # of every three ranks at the top, this many are function words
_SYLLABLES = [c + v for c in "bcdfghjklmnprstvz" for v in "aeiou"] + ["qu", "sh", "th", "ch"]


@dataclass(frozen=True, slots=True)
class Corpus:
    """Passage texts in reading order, grouped into files of `PASSAGES_PER_FILE`."""

    passages: list[str]
    words: list[str]
    real: list[str]


def real_words(folder: Path = KNOWLEDGE) -> list[str]:
    """The running words of the real articles' paragraphs, in order."""
    out: list[str] = []
    for path in sorted(p for p in folder.glob("*.txt") if p.name != "synonyms.txt"):
        for paragraph in path.read_text(encoding="utf-8").split("\n\n")[1:]:
            out.extend(re.findall(r"[A-Za-z][\w'’.-]*", paragraph))
    return out or ["Blinken", "visits", "China"]


def vocabulary(size: int, seed: int) -> list[str]:
    """`size` distinct pronounceable made-up words of 2-5 syllables."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 5)))
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def ranked_words(size: int, seed: int) -> list[str]:
    """The vocabulary in Zipf rank order: function words interleaved with made-up words."""
    made_up = iter(w for w in vocabulary(size + len(FUNCTION_WORDS), seed) if w not in _FUNCTION)
    out: list[str] = []
    for word in FUNCTION_WORDS:
        if len(out) % 3 == FUNCTION_SHARE:
            out.append(next(made_up))
        out.append(word)
    out.extend(next(made_up) for _ in range(size - len(out)))
    return out


def generate(n_passages: int, seed: int = 20240601, vocab_size: int = VOCABULARY) -> Corpus:
    """`n_passages` passages, the same for the same arguments on every machine."""
    rng = np.random.default_rng(seed)
    words = ranked_words(vocab_size, seed)
    # Zipf-Mandelbrot: Zipf's law with Mandelbrot's rank offset, as content words (stopwords
    # removed) follow it.
    ranks = np.arange(1, vocab_size + 1, dtype=np.float64)
    cdf = np.cumsum(1.0 / (ranks + ZIPF_OFFSET))
    cdf /= cdf[-1]
    lengths = rng.integers(20, 61, size=n_passages)
    picks = np.searchsorted(cdf, rng.random(int(lengths.sum())), side="right")
    picks = np.minimum(picks, vocab_size - 1)
    real = real_words()
    real_at = rng.random(n_passages) < REAL_SHARE
    real_start = rng.integers(0, max(len(real) - 20, 1), size=n_passages)
    real_len = rng.integers(8, 21, size=n_passages)
    passages: list[str] = []
    offset = 0
    for i, length in enumerate(lengths.tolist()):
        chosen = [words[j] for j in picks[offset : offset + length].tolist()]
        offset += length
        if real_at[i]:
            run = real[real_start[i] : real_start[i] + real_len[i]]
            cut = len(chosen) - len(run)
            chosen = chosen[: max(cut, 0) // 2] + run + chosen[max(cut, 0) // 2 : max(cut, 0)]
        passages.append(" ".join(chosen).capitalize() + ".")
    return Corpus(passages, words, real)


def write_folder(corpus: Corpus, folder: Path) -> int:
    """Write the corpus as Markdown files with front matter and sections; returns file count."""
    folder.mkdir(parents=True, exist_ok=True)
    files = 0
    for start in range(0, len(corpus.passages), PASSAGES_PER_FILE):
        number = start // PASSAGES_PER_FILE
        chunk = corpus.passages[start : start + PASSAGES_PER_FILE]
        title = " ".join(re.findall(r"[A-Za-z]+", chunk[0])[:4]).title()
        parts = [f"---\ntitle: 'Article {number}: {title}'\nsource: Synthetic\n---\n"]
        for i, text in enumerate(chunk):
            if i % SECTION_EVERY == 0:
                parts.append(f"## Part {i // SECTION_EVERY + 1}\n")
            parts.append(text + "\n")
        subfolder = folder / f"{number // 1000:03d}"
        subfolder.mkdir(exist_ok=True)
        (subfolder / f"article-{number:06d}.md").write_text("\n".join(parts), encoding="utf-8")
        files += 1
    return files


def questions(corpus: Corpus, count: int, seed: int = 7, length: int = QUESTION_WORDS) -> list[str]:
    """Questions of `length` words (a frame such as "What about" and words from one passage, some
    misspelt; every fifth about the real articles), as the issue's baseline figures assume."""
    rng = random.Random(seed)
    out: list[str] = []
    frames = ["What about {}?", "Tell me about {}", "Why {}?", "How many {}?", "Who {}?"]
    for n in range(count):
        frame = rng.choice(frames)
        room = max(length - len(frame.split()) + 1, 1)  # words left beside the frame's own
        if n % 5 == 0:
            start = rng.randrange(max(len(corpus.real) - room, 1))
            out.append(frame.format(" ".join(corpus.real[start : start + room])))
            continue
        passage = corpus.passages[rng.randrange(len(corpus.passages))].rstrip(".").split()
        content = [w for w in passage if w.lower() not in _FUNCTION] or passage
        chosen = rng.sample(content, min(len(content), room))
        if n % 7 == 0:
            chosen[0] = _misspell(chosen[0], rng)
        out.append(frame.format(" ".join(chosen)))
    return out


_FUNCTION = frozenset(FUNCTION_WORDS)


def _misspell(word: str, rng: random.Random) -> str:
    if len(word) < 6:
        return word
    at = rng.randrange(1, len(word) - 1)
    return word[:at] + rng.choice(_LETTERS) + word[at + 1 :]
