"""Each passage's sentences, read when the index is built (and restored from the cache), are
what reading its text gives, to the letter: the evidence must not change with where they come
from."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.corpus import analyse
from bot.index import Index
from bot.index_cache import IndexCache
from bot.knowledge import KnowledgeBase, load_folder
from bot.readings import Readings, read_passages
from bot.sentences import Sentence, analysed
from tests.corpora import words
from tests.helpers import knowledge_from_paragraphs, write_folder

PARAGRAPHS = [
    "Blinken landed in Beijing. He met Wang Yi on Sunday! Did they agree? Not yet.",
    "In 2023 some 1,200 delegates came; 3rd time. Then the 1990s ended.",
    "The U.S. Army met the United States Navy in America. “It is over,” she said… Then 9.75 "
    "percent of the café’s ﬁnal bill [12] was paid by Dr. Smith at 10:30 a.m.",
    "Ｆｕｌｌｗｉｄｔｈ text and İstanbul, ß, ǅ and e\u0301 meet the US. The USA!",
    "One sentence without a stop",
    "—.",
    "[citation needed] Starts with a note. Ends with one.[3] Next.",
]


def fields(found: tuple[Sentence, ...]) -> list[tuple[object, ...]]:
    return [(s.words, s.tokens, s.start, s.end, s.token_set, s.word_set, s.stems,
             s.has_number()) for s in found]


def assert_read_as_their_texts(index: Index) -> None:
    for passage in index.passages:
        assert fields(index.sentences(passage)) == fields(analysed(passage.text)), passage.id


def test_sentences_are_the_texts_reading_built_and_restored(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "kb", {
        "a.md": "# Blinken visits China\n\n## Talks\n\n" + "\n\n".join(PARAGRAPHS) + "\n",
        "b.txt": "Notes\n\nA balloon drifted over Montana. It was shot down.\n",
    })
    built = Index(load_folder(folder))
    assert_read_as_their_texts(built)
    cache = IndexCache(tmp_path / "cache")
    assert cache.save(built) is not None
    restored = cache.restore(folder, built.k1, built.b)
    assert restored is not None
    assert_read_as_their_texts(restored)
    for name, array in built.readings.arrays().items():
        np.testing.assert_array_equal(restored.readings.arrays()[name], array, err_msg=name)
    assert restored.readings.unread.size == 0  # every one of these is read in advance


def test_a_passage_not_of_the_index_is_read_from_its_text() -> None:
    index = Index(knowledge_from_paragraphs(["Sodium reacts. It burns."]))
    stranger = knowledge_from_paragraphs(["Potassium reacts. It burns faster."]).passages[0]
    assert fields(index.sentences(stranger)) == fields(analysed(stranger.text))


def test_a_passage_whose_words_are_not_read_alone_is_read_from_its_text() -> None:
    knowledge = knowledge_from_paragraphs(["Sodium reacts. It burns.", "Iron rusts. Slowly."])
    corpus = analyse(knowledge.passages)
    surface = [word for word, _ in corpus.surface_words]
    # As if "iron" were a word whose token depended on its neighbours.
    odd = dataclasses.replace(corpus, inexact_words=np.array([surface.index("iron")]))
    arrays = read_passages(knowledge.passages, odd)
    assert arrays["unread"].tolist() == [1]
    readings = Readings(arrays, surface, corpus.terms)
    for at, passage in enumerate(knowledge.passages):
        assert fields(readings.sentences(at, passage.text)) == fields(analysed(passage.text))


def test_more_words_than_two_bytes_number_are_read_as_well() -> None:
    vocabulary = words(70_000, seed=3)
    paragraphs = [" ".join(vocabulary[i : i + 100]) + ". The end." for i in range(0, 70_000, 100)]
    index = Index(knowledge_from_paragraphs(paragraphs))
    assert index.readings.words.dtype == np.int32
    assert_read_as_their_texts(index)


# Pieces of text whose sentences and words are easy to get wrong: stops, quotes, numbers,
# abbreviations, the country's names, letters that normalising or case folding changes.
PIECE = st.sampled_from([*"aZ9 .!?\"“”’'()[]\n…-éﬁß", "U.S.", "US", " Dr. ", "United States"])
TEXT = st.lists(PIECE, max_size=40).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXT.filter(str.strip), min_size=1, max_size=4))
def test_any_text_is_read_as_its_sentences(paragraphs: list[str]) -> None:
    knowledge: KnowledgeBase = knowledge_from_paragraphs(paragraphs)
    assert_read_as_their_texts(Index(knowledge))
