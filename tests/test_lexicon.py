"""The vocabulary as data: the shipped general-English files in config/lexicon/ are well formed
and general, a knowledge folder's own synonyms.txt is read with it (and reloaded with it), and
every broken line is reported with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_folder

from bot.knowledge import KnowledgeError, load_folder
from bot.lexicon import KINDS, for_knowledge, general
from bot.serving import KnowledgeService
from bot.settings import Settings
from bot.text import LEXICON_DIR, stem
from bot.vocabulary import VocabularyError, read_rules, read_words

SHIPPED = sorted(LEXICON_DIR.glob("*.txt"))
# Read by bot/language.py, not by the lexicon: names of languages, which may be seed words
# ("Chinese") and are general all the same.
LANGUAGES = LEXICON_DIR / "languages.txt"
VOCABULARY = [path for path in SHIPPED if path != LANGUAGES]
# Words of the seed article: none belongs in the general vocabulary.
SEED_WORDS = ("blinken", "china", "chinese", "beijing", "fentanyl", "balloon", "near-collision",
              "sticking", "xi", "gates", "washington", "taiwan")


def test_every_shipped_file_loads() -> None:
    lexicon = general()
    assert len(SHIPPED) >= 8
    assert {Path(s).name for s in lexicon.source} | {"stopwords.txt"} == {
        p.name for p in VOCABULARY}
    assert lexicon.synonyms.words
    assert lexicon.rewrites
    assert lexicon.shorthand
    assert set(lexicon.holds.values()) == KINDS


@pytest.mark.parametrize("path", VOCABULARY, ids=[p.name for p in VOCABULARY])
def test_shipped_files_hold_general_english_only(path: Path) -> None:
    words = {w.strip(",.=>").lower() for w in path.read_text(encoding="utf-8").split()}
    assert not words.intersection(SEED_WORDS)


def test_no_shipped_synonym_group_joins_opposites() -> None:
    opposites = general().opposites
    for path in (LEXICON_DIR / "synonyms.txt", LEXICON_DIR / "phrases.txt"):
        for rule in read_rules(path):
            stems = {stem(" ".join(term)) for term in rule.left + rule.right}
            for word in stems:
                assert not opposites.get(word, frozenset()) & stems, (path.name, rule.line)


@pytest.mark.parametrize(("line", "says"), [
    ("trip, , visit", "an empty term"),
    ("trip", "a group needs two or more terms"),
    ("put off => ", "ends with '=>'"),
    (" => postpone", "needs terms on both sides"),
    ("a => b => c", "more than one '=>'"),
    ("clear, unclear", "are opposites"),
    ("trip, trip", "listed twice"),
    ("trip, visit$", "is not a word"),
    ("trip, " + "x" * 41, "is not a word"),
    ("trip, visit,", "ends with ','"),
])
def test_a_broken_line_is_reported_with_its_file_and_line(
        tmp_path: Path, line: str, says: str) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text("# a comment\n\nrace, contest\n" + line + "\n", encoding="utf-8")
    with pytest.raises(VocabularyError) as caught:
        read_rules(path)
    assert f"{path}:4:" in str(caught.value)
    assert says in str(caught.value)
    assert isinstance(caught.value, KnowledgeError)  # a reload reports it like a broken file


def test_a_file_that_is_not_text_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_bytes(b"race, contest\n\xff\xfe broken\n")
    with pytest.raises(VocabularyError, match=r":2: not UTF-8"):
        read_rules(path)
    path.write_text("race, contest => sport\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match="is not one of"):
        read_rules(path, targets=KINDS)


def test_the_format_s_rules_are_read_as_documented(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text("tort, civil wrong  # a comment\nsue, take to court =>\n  litigate\n"
                    "catalyst, # goes on\n  accelerant\n", encoding="utf-8")
    equivalent, one_way, group = read_rules(path)
    assert equivalent.left == (("tort",), ("civil", "wrong"))
    assert not equivalent.one_way
    assert one_way.right == (("litigate",),)
    assert one_way.line == 2
    assert group.left == (("catalyst",), ("accelerant",))
    assert read_words(LEXICON_DIR / "stopwords.txt")[:3] == ["a", "about", "above"]


ARTICLE = "# Enzymes\n\nCatalysts speed up reactions in cells.\n\nTorts are civil wrongs.\n"


def test_a_knowledge_folder_s_synonyms_join_the_general_ones(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "kb", {
        "enzymes.md": ARTICLE, "synonyms.txt": "catalyst, enzyme\nspeed up => accelerate\n"})
    lexicon = for_knowledge(folder)
    assert stem("catalyst") in lexicon.synonyms.of_word(stem("enzyme"))
    assert lexicon.rewrites.apply(["what", "speeds", "up", "it"]) == ["what", "accelerate", "it"]
    assert stem("catalyst") not in general().synonyms.of_word(stem("enzyme"))
    # The vocabulary is no article.
    assert [d.id for d in load_folder(folder).documents] == ["enzymes"]


def test_reload_reads_the_synonyms_again_and_a_broken_line_keeps_the_old_state(
        tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "kb", {"enzymes.md": ARTICLE})
    service = KnowledgeService.from_settings(
        Settings(_env_file=None, knowledge_dir=folder, cache_dir=None))  # type: ignore[call-arg]
    (folder / "synonyms.txt").write_text("catalyst, enzyme\n", encoding="utf-8")
    service.reload()
    assert stem("catalyst") in service.lexicon.synonyms.of_word(stem("enzyme"))
    answer = service.ask("What do enzymes speed up?")
    assert answer.answered
    assert "Catalysts" in answer.citations[0].quote
    index, lexicon = service.index, service.lexicon
    (folder / "synonyms.txt").write_text("catalyst, enzyme\nfast, , quick\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"synonyms\.txt:2: an empty term"):
        service.reload()
    assert service.index is index
    assert service.lexicon is lexicon


def test_a_broken_synonyms_file_stops_the_start_naming_the_line(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "kb", {"enzymes.md": ARTICLE, "synonyms.txt": "a => \n"})
    with pytest.raises(KnowledgeError, match=r"synonyms\.txt:1:"):
        KnowledgeService.from_settings(
            Settings(_env_file=None, knowledge_dir=folder, cache_dir=None))  # type: ignore[call-arg]
