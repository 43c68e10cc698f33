"""The passages as arrays for the index builder: every token occurrence as a (term, passage)
pair, the surface words with their counts for the typo map, and each passage's words as
numbers into them, with each word's term, for reading the passages' sentences
(`bot.readings`).

Tokens equal `bot.text.tokenize` exactly; they are worked out once per distinct word instead
of once per occurrence, which makes tokenizing 100,000 passages about twice as fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.knowledge import Passage
from bot.text import content_words, stem, tokenize, words

Ints = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Corpus:
    """Token occurrences; `terms[term_ids[i]]` occurs in passage `doc_ids[i]`, in its own text
    when `in_text[i]`, else in its title or section heading. The passages' own words, one
    passage after another (`word_counts` each), are `word_ids`, numbers into `surface_words`;
    `word_terms` is each surface word's term (-1: none), and `inexact_words` are the words
    whose token is not decided on their own (see `_Words.inexact`)."""

    terms: list[str]
    term_ids: Ints
    doc_ids: Ints
    in_text: npt.NDArray[np.bool_]
    surface_words: list[tuple[str, int]]
    word_ids: Ints
    word_counts: Ints
    word_terms: Ints
    inexact_words: Ints


class _Words:
    """Every distinct word seen, numbered, with the number of the index term it stands for."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.words: list[str] = []
        self.term_of: list[int] = []  # -1: not a token (a stopword)
        self.terms: dict[str, int] = {}
        # Words whose token cannot be decided on their own, because `words()` would not give
        # them back unchanged (a Unicode oddity): their texts are tokenized whole instead.
        self.inexact: set[int] = set()

    def number(self, found: list[str]) -> list[int]:
        ids = self.ids
        try:
            return [ids[w] for w in found]
        except KeyError:
            return [ids[w] if w in ids else self._add(w) for w in found]

    def _add(self, word: str) -> int:
        number = len(self.words)
        self.ids[word] = number
        self.words.append(word)
        if words(word) != [word]:
            self.inexact.add(number)
            self.term_of.append(-1)
        else:
            token = stem(word)
            # A word that is its own stem shares one string with it: less memory per term.
            self.term_of.append(self.term(word if token == word else token)
                                if content_words(word) else -1)
        return number

    def term(self, token: str) -> int:
        return self.terms.setdefault(token, len(self.terms))

    def exact(self, numbers: list[int]) -> bool:
        return not self.inexact or self.inexact.isdisjoint(numbers)


def analyse(passages: Sequence[Passage], tokens: Sequence[Sequence[str]] | None = None) -> Corpus:
    """The corpus arrays for `passages`; `tokens` (one list per passage) overrides tokenizing."""
    table = _Words()
    flat: list[int] = []
    lengths: list[int] = []
    for passage in passages:
        numbers = table.number(words(passage.text))
        flat.extend(numbers)
        lengths.append(len(numbers))
    contexts: dict[str, int] = {}
    context_of = np.array([contexts.setdefault(p.context, len(contexts)) for p in passages],
                          dtype=np.int64)
    context_words = [table.number(words(context)) for context in contexts]
    text_words = np.array(flat, dtype=np.int32)
    surface = np.bincount(text_words, minlength=len(table.words))
    for numbers in context_words:
        np.add.at(surface, numbers, 1)
    # Most frequent first, as the typo map ranks them: sorting an already sorted list is linear,
    # so an index restored from the cache builds its typo map without a long sort.
    counts = surface.tolist()
    order = sorted(range(len(counts)), key=lambda i: (-counts[i], table.words[i]))
    surface_words = [(table.words[i], counts[i]) for i in order]
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    doc_of_word = np.repeat(np.arange(len(passages), dtype=np.int32), lengths)
    if tokens is not None:
        term_ids, doc_ids, in_text = _given(tokens, table)
    else:
        term_ids, doc_ids, in_text = _occurrences(passages, table, text_words, doc_of_word,
                                                  context_words, context_of)
    terms = sorted(table.terms, key=table.terms.__getitem__)
    return Corpus(terms, term_ids, doc_ids, in_text, surface_words, rank[text_words],
                  np.array(lengths, dtype=np.int32),
                  np.array(table.term_of, dtype=np.int32)[order],
                  np.sort(rank[sorted(table.inexact)]).astype(np.int32))


def _given(
    tokens: Sequence[Sequence[str]], table: _Words
) -> tuple[Ints, Ints, npt.NDArray[np.bool_]]:
    """Occurrences of tokens given from outside; they count as the passages' own text."""
    term_ids = np.array([table.term(t) for doc in tokens for t in doc], dtype=np.int32)
    doc_ids = np.repeat(np.arange(len(tokens), dtype=np.int32), [len(doc) for doc in tokens])
    return term_ids, doc_ids, np.ones(term_ids.size, dtype=bool)


def _occurrences(
    passages: Sequence[Passage],
    table: _Words,
    text_words: Ints,
    doc_of_word: Ints,
    context_words: list[list[int]],
    context_of: npt.NDArray[np.int64],
) -> tuple[Ints, Ints, npt.NDArray[np.bool_]]:
    term_of = np.array(table.term_of, dtype=np.int32)
    text_terms = term_of[text_words]
    keep = text_terms >= 0
    extra_terms: list[int] = []
    extra_docs: list[int] = []
    if table.inexact:
        inexact_words = np.zeros(len(table.words), dtype=bool)
        inexact_words[list(table.inexact)] = True
        inexact_docs = np.unique(doc_of_word[inexact_words[text_words]])
        keep &= ~np.isin(doc_of_word, inexact_docs)
        for doc in inexact_docs.tolist():
            found = [table.term(t) for t in tokenize(passages[doc].text)]
            extra_terms.extend(found)
            extra_docs.extend([doc] * len(found))
    # Each distinct title-and-section is tokenized once and its terms given to its passages.
    per_context = [
        [t for t in term_of[numbers].tolist() if t >= 0] if table.exact(numbers)
        else [table.term(t) for t in tokenize(context)]
        for context, numbers in zip(_contexts(passages), context_words, strict=True)
    ]
    sizes = np.array([len(terms) for terms in per_context], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    flat_context = np.array([t for terms in per_context for t in terms], dtype=np.int32)
    counts = sizes[context_of]
    first = np.repeat(starts[context_of] - np.cumsum(counts) + counts, counts)
    context_terms = flat_context[first + np.arange(int(counts.sum()))]
    context_docs = np.repeat(np.arange(len(passages), dtype=np.int32), counts)
    own = np.concatenate((text_terms[keep], np.array(extra_terms, dtype=np.int32)))
    term_ids = np.concatenate((own, context_terms)).astype(np.int32)
    doc_ids = np.concatenate((doc_of_word[keep], np.array(extra_docs, dtype=np.int32),
                              context_docs)).astype(np.int32)
    in_text = np.zeros(term_ids.size, dtype=bool)
    in_text[: own.size] = True
    return term_ids, doc_ids, in_text


def _contexts(passages: Sequence[Passage]) -> list[str]:
    return list(dict.fromkeys(p.context for p in passages))
