"""Each passage's sentences, read once when the index is built: where each sentence is in the
passage's text, and its words as numbers into the index's words (`Index.surface`), so that
weighing a question's candidates (`bot.evidence`) makes their sentences from a few array slices
instead of splitting and tokenizing their texts again (at 100,000 passages that was a third of
an answer's time). Kept in the index cache with the other arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.corpus import Corpus
from bot.knowledge import Passage
from bot.sentences import ANALYSED, Sentence, analysed, find_spans
from bot.text import reads_plainly, sentence_words, stem

Array = npt.NDArray[Any]
# The arrays a `Readings` is made of, as the index cache stores them.
ARRAYS = ("words", "word_starts", "spans", "sentence_starts", "unread", "word_terms")


class Readings:
    """The passages' sentences as arrays: `words` holds every passage's words (numbers into
    the surface words, whose terms are `word_terms`, -1 for none), sentence `s` is
    `words[word_starts[s]:word_starts[s + 1]]` at `spans[s]` in its passage, and passage `p`
    has sentences `sentence_starts[p]` to `sentence_starts[p + 1]`. The passages listed in
    `unread` hold a word whose reading depends on its neighbours: they are read from their
    text when asked, as every passage used to be."""

    __slots__ = ("_made", "_numbers", "_stems", "_table", "_tokens", "_unread", *ARRAYS)

    def __init__(self, arrays: Mapping[str, Array], surface: list[str],
                 terms: Sequence[str]) -> None:
        self.words, self.word_starts = arrays["words"], arrays["word_starts"]
        self.spans, self.sentence_starts = arrays["spans"], arrays["sentence_starts"]
        self.unread, self.word_terms = arrays["unread"], arrays["word_terms"]
        self._table = surface
        term_of = self.word_terms.tolist()
        self._tokens = [terms[t] if t >= 0 else "" for t in term_of]
        # A word's stem is its term, unless it is a stopword (a few hundred of those).
        self._stems = [terms[t] if t >= 0 else stem(w) for t, w in zip(term_of, surface,
                                                                     strict=True)]
        self._numbers = frozenset(w for w in surface if w[:1].isdigit())
        self._unread = frozenset(self.unread.tolist())
        # The sentences made lately, by passage: a passage that comes back (an article's
        # passages come back with every question on it) costs a lookup.
        self._made: dict[int, tuple[Sentence, ...]] = {}

    def arrays(self) -> dict[str, Array]:
        return {name: getattr(self, name) for name in ARRAYS}

    @property
    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.arrays().values())

    def sentences(self, at: int, text: str) -> tuple[Sentence, ...]:
        """The sentences of passage `at`, whose text is `text`: what `sentences.analysed`
        makes of the text, to the letter."""
        made = self._made.get(at)
        if made is None:
            if len(self._made) >= ANALYSED:
                self._made.clear()  # cleared, not evicted: refilled in a few questions
            made = self._made[at] = self._make(at, text)
        return made

    def _make(self, at: int, text: str) -> tuple[Sentence, ...]:
        if at in self._unread:
            return analysed(text)
        first, last = self.sentence_starts[at : at + 2].tolist()
        if first == last:
            return ()
        bounds = self.word_starts[first : last + 1].tolist()
        base = bounds[0]
        ids = self.words[base : bounds[-1]].tolist()
        out: list[Sentence] = []
        for (start, end), lo, hi in zip(self.spans[first:last].tolist(), bounds, bounds[1:],
                                        strict=False):
            said = ids[lo - base : hi - base]
            words, tokens = _looked_up(said, self._table), _looked_up(said, self._tokens)
            out.append(_Read(words, tuple(filter(None, tokens)), start, end, said, self))
        return tuple(out)


def _looked_up(ids: list[int], table: list[str]) -> tuple[str, ...]:
    """`table`'s items at `ids`, in one call for a sentence of several words."""
    if len(ids) > 1:
        return itemgetter(*ids)(table)  # type: ignore[no-any-return]
    return tuple(table[i] for i in ids)


class _Read(Sentence):
    """A sentence made from the arrays: what is known of its words is looked up."""

    __slots__ = ("_ids", "_of")

    def __init__(self, words: tuple[str, ...], tokens: tuple[str, ...], start: int, end: int,
                 ids: list[int], of: Readings) -> None:
        super().__init__(words, tokens, start, end)
        self._ids, self._of = ids, of

    def _find_stems(self) -> frozenset[str]:
        return frozenset(map(self._of._stems.__getitem__, self._ids))

    def has_number(self) -> bool:
        return not self._of._numbers.isdisjoint(self.word_set)


def read_passages(passages: Sequence[Passage], corpus: Corpus) -> dict[str, Array]:
    """The arrays of `Readings` for `passages`, from the corpus arrays the index is built from:
    a passage's words are already there, in order; only where its sentences end is new."""
    surface = [word for word, _ in corpus.surface_words]
    starts = np.concatenate(([0], np.cumsum(corpus.word_counts, dtype=np.int64)))
    unread = _inexact_passages(corpus, starts)
    lengths: list[int] = []
    spans: list[tuple[int, int]] = []
    sentence_starts = [0]
    for at, passage in enumerate(passages):
        found = find_spans(passage.text)
        said = None if at in unread else _sentence_lengths(
            passage.text, found, corpus.word_ids[starts[at] : starts[at + 1]], surface)
        if said is None:
            unread.add(at)
        else:
            lengths.extend(said)
            spans.extend(found)
        sentence_starts.append(len(spans))
    kept = np.ones(corpus.word_ids.size, dtype=bool)
    for at in unread:  # their words are read from their texts: none is kept
        kept[starts[at] : starts[at + 1]] = False
    return _arrays(corpus, corpus.word_ids[kept], lengths, spans, sentence_starts,
                   sorted(unread))


def _sentence_lengths(text: str, found: Sequence[tuple[int, int]], ids: Array,
                      surface: list[str]) -> list[int] | None:
    """How many of the passage's words (`ids`) each sentence holds, or None when reading its
    sentences apart does not give the passage's words (then it is read when asked)."""
    n = ids.size
    if reads_plainly(text):
        if len(found) == 1:
            return [n]  # one sentence: all of them (the common case, and no reading at all)
        lengths = [len(w) for w in sentence_words(text, found)]
    else:
        said = sentence_words(text, found)
        if [w for words in said for w in words] != [surface[i] for i in ids.tolist()]:
            return None
        lengths = [len(w) for w in said]
    return lengths if sum(lengths) == n else None


def _inexact_passages(corpus: Corpus, starts: npt.NDArray[np.int64]) -> set[int]:
    """The passages holding a word whose token is not decided on its own."""
    if not corpus.inexact_words.size:
        return set()
    held = np.flatnonzero(np.isin(corpus.word_ids, corpus.inexact_words))
    return set((np.searchsorted(starts, held, side="right") - 1).tolist())


def _arrays(corpus: Corpus, words: Array, lengths: list[int], spans: list[tuple[int, int]],
            sentence_starts: list[int], unread: list[int]) -> dict[str, Array]:
    # Two bytes a word while the words are few enough (55,000 at 100,000 passages).
    kind = np.uint16 if len(corpus.surface_words) <= 1 << 16 else np.int32
    offset = np.int32 if words.size < 1 << 31 else np.int64
    word_starts = np.zeros(len(lengths) + 1, dtype=offset)
    np.cumsum(lengths, out=word_starts[1:])
    return {
        "words": words.astype(kind),
        "word_starts": word_starts,
        "spans": np.array(spans, dtype=np.int32).reshape(-1, 2),
        "sentence_starts": np.array(sentence_starts, dtype=np.int32),
        "unread": np.array(unread, dtype=np.int32),
        "word_terms": corpus.word_terms,
    }
