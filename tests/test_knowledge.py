"""Loading knowledge folders: the raw seed article, Markdown with front matter, and every loading
problem reported as a `KnowledgeError` that names the file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import (
    SEED_FILE,
    SEED_NAME,
    postings,
    shipped_index,
    shipped_knowledge,
    write_folder,
)

from bot.index import passage_tokens
from bot.knowledge import KnowledgeBase, KnowledgeError, load_folder
from bot.text import tokenize

SEED_LINES = [" ".join(line.split()) for line in SEED_FILE.read_text(encoding="utf-8").split("\n")]
SEED_TITLE = SEED_LINES[0]
RELATED_HEADLINE = SEED_LINES[
    next(i for i in range(SEED_LINES.index("Related Article") + 1, len(SEED_LINES))
         if SEED_LINES[i])
]
SEED_HEADINGS = [line[:-1] for line in SEED_LINES[1:] if line.endswith(":")]
BOILERPLATE = [
    line for line in SEED_LINES
    if line.startswith(("Image Credit:", "(Courtesy:")) or line in ("Related Article",
                                                                     "Post a Comment")
]


def summary(kb: KnowledgeBase) -> list[tuple[str, str, str | None, int]]:
    return [(p.id, p.text, p.section, p.paragraph) for p in kb.passages]


def seed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "seed"
    folder.mkdir()
    shutil.copyfile(SEED_FILE, folder / SEED_NAME)
    return folder


# ---- the raw seed article ------------------------------------------------------------------

def test_seed_in_an_empty_folder_gives_the_shipped_passages(tmp_path: Path) -> None:
    assert summary(load_folder(seed_folder(tmp_path))) == summary(shipped_knowledge())


def test_seed_saved_with_windows_line_ends_and_bom_gives_the_same_passages(
    tmp_path: Path,
) -> None:
    raw = SEED_FILE.read_bytes().replace(b"\n", b"\r\n")
    folder = write_folder(tmp_path / "crlf", {SEED_NAME: b"\xef\xbb\xbf" + raw})
    assert summary(load_folder(folder)) == summary(shipped_knowledge())


def test_first_line_is_the_title_and_courtesy_is_the_source() -> None:
    [doc] = shipped_knowledge().documents
    assert doc.title == SEED_TITLE
    courtesy = next(line for line in BOILERPLATE if line.startswith("(Courtesy:"))
    assert doc.source is not None
    assert doc.source in courtesy
    assert "courtesy" not in doc.source.casefold()


def test_every_body_line_is_a_passage_and_nothing_else_is() -> None:
    # The seed has one paragraph per line: everything but the title, its repeat, the headings
    # and the boilerplate (with the related article's headline) is a passage, in order.
    title_words = " ".join(SEED_TITLE.casefold().split())
    skipped = {SEED_TITLE, RELATED_HEADLINE, *BOILERPLATE, *(h + ":" for h in SEED_HEADINGS)}
    expected = [
        line for line in SEED_LINES[1:]
        if line and line not in skipped and line.casefold() not in title_words
    ]
    assert [" ".join(p.text.split()) for p in shipped_knowledge().passages] == expected


def test_title_headings_and_boilerplate_are_never_passages() -> None:
    texts = [" ".join(p.text.split()) for p in shipped_knowledge().passages]
    for line in [SEED_TITLE, RELATED_HEADLINE, *BOILERPLATE, *SEED_HEADINGS]:
        assert not any(line in text for text in texts), line


def test_a_line_repeating_the_title_is_not_a_passage() -> None:
    repeats = [line for line in SEED_LINES[1:] if line and line in SEED_TITLE]
    assert repeats, "the seed repeats its title on a line of its own"
    texts = {" ".join(p.text.split()) for p in shipped_knowledge().passages}
    assert texts.isdisjoint(repeats)


def test_sections_are_the_headings_in_reading_order() -> None:
    kb = shipped_knowledge()
    assert kb.sections == SEED_HEADINGS
    assert kb.passages[0].section is None  # the lead paragraphs come before any heading
    order = [SEED_HEADINGS.index(p.section) for p in kb.passages if p.section]
    assert order == sorted(order)


def test_passages_are_numbered_from_one_and_quote_their_document() -> None:
    kb = shipped_knowledge()
    [doc] = kb.documents
    assert [p.paragraph for p in kb.passages] == list(range(1, len(kb.passages) + 1))
    assert [p.id for p in kb.passages] == [f"{doc.id}#{p.paragraph}" for p in kb.passages]
    for p in kb.passages:
        assert p.document is doc
        assert doc.text[p.start : p.end] == p.text


def test_passage_ids_are_stable_across_reloads_and_new_documents(tmp_path: Path) -> None:
    folder = seed_folder(tmp_path)
    first = summary(load_folder(folder))
    assert summary(load_folder(folder)) == first
    (folder / "0_another.txt").write_text("Another Article\n\nIts only paragraph.\n")
    again = load_folder(folder)
    seed_doc = Path(SEED_NAME).stem
    assert [s for s in summary(again) if s[0].startswith(seed_doc + "#")] == first


def test_title_and_heading_words_count_for_their_passages() -> None:
    index = shipped_index()
    kb = index.knowledge
    body = set().union(*(tokenize(p.text) for p in kb.passages))
    title_only = set(tokenize(SEED_TITLE)) - body
    assert title_only, "the title has words no paragraph repeats"
    for token in title_only:
        assert postings(index, token) == list(range(len(kb.passages)))
    checked = 0
    for section in SEED_HEADINGS:
        for token in set(tokenize(section)) - body - set(tokenize(SEED_TITLE)):
            held = postings(index, token)
            assert held == [i for i, p in enumerate(kb.passages) if p.section == section]
            checked += 1
    assert checked, "some heading has words of its own"
    for p in kb.passages:
        assert set(tokenize(p.section or "")) <= set(passage_tokens(p))


# ---- raw text and Markdown rules -----------------------------------------------------------

def test_raw_text_rules_on_a_small_article(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"r.txt": (
        "Harbour News Today\n"
        "Image Credit: Somebody\n\n"
        "Harbour News Today\n\n"
        "The first paragraph.\n\n"
        "The Boats:\n"
        "A paragraph right under its heading.\n\n"
        "(Courtesy: The Harbour Gazette)\n\n"
        "Related Article\n\n"
        "Another Headline About Boats\n\n"
        "Post a Comment\n"
    )})
    kb = load_folder(folder)
    [doc] = kb.documents
    assert doc.title == "Harbour News Today"
    assert doc.source == "The Harbour Gazette"
    assert [(p.text, p.section, p.paragraph) for p in kb.passages] == [
        ("The first paragraph.", None, 1),
        ("A paragraph right under its heading.", "The Boats", 2),
    ]


def test_markdown_front_matter_and_headings(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"story.md": (
        "---\n"
        "title: The Harbour Story\n"
        "source: Gazette\n"
        "url: https://example.test/harbour\n"
        "published: 2023-06-16\n"
        "---\n\n"
        "# The Harbour Story\n\n"
        "An opening paragraph.\n\n"
        "## Boats\n\n"
        "Boats come and go.\n\n"
        "They are counted at dawn.\n\n"
        "## Weather\n"
        "It rains a lot.\n"
    )})
    kb = load_folder(folder)
    [doc] = kb.documents
    assert (doc.id, doc.title, doc.source, doc.url, doc.published) == (
        "story", "The Harbour Story", "Gazette", "https://example.test/harbour", "2023-06-16")
    assert [(p.id, p.text, p.section, p.paragraph) for p in kb.passages] == [
        ("story#1", "An opening paragraph.", None, 1),
        ("story#2", "Boats come and go.", "Boats", 2),
        ("story#3", "They are counted at dawn.", "Boats", 3),
        ("story#4", "It rains a lot.", "Weather", 4),
    ]
    assert kb.sections == ["Boats", "Weather"]
    for p in kb.passages:
        assert doc.text[p.start : p.end] == p.text


def test_markdown_without_front_matter_takes_its_title_from_the_first_heading(
    tmp_path: Path,
) -> None:
    folder = write_folder(tmp_path / "k", {"notes.md": "# Field Notes\n\nOne paragraph.\n"})
    kb = load_folder(folder)
    assert kb.documents[0].title == "Field Notes"
    assert [p.text for p in kb.passages] == ["One paragraph."]


def test_documents_in_subfolders_are_loaded_in_a_stable_order(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {
        "b.txt": "B Title\n\nB body.", "sub/a.md": "# A Title\n\nA body.",
        ".hidden.txt": "Hidden\n\nNot loaded.",
    })
    kb = load_folder(folder)
    assert [d.id for d in kb.documents] == ["b", "sub/a"]


# ---- loading problems ----------------------------------------------------------------------

def error_for(folder: Path) -> str:
    with pytest.raises(KnowledgeError) as caught:
        load_folder(folder)
    return str(caught.value)


def test_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nowhere"
    message = error_for(folder)
    assert str(folder) in message
    assert "not exist" in message


def test_folder_without_documents(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"notes.docx": "not an article"})
    message = error_for(folder)
    assert str(folder) in message
    assert "no documents" in message


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        pytest.param("a.txt", b"", "empty", id="empty"),
        pytest.param("a.txt", b"  \n\n\t\n", "empty", id="blank"),
        pytest.param("a.txt", b"Title\n\nText with a \x00 byte.", "binary", id="binary"),
        pytest.param("a.txt", "Title\n\nCaf\xe9 cr\xe8me.".encode("latin-1"), "utf-8",
                     id="latin-1"),
        pytest.param("a.md", b"---\ntitle: Unclosed\n\nBody text.\n", "front matter",
                     id="unclosed-front-matter"),
        pytest.param("a.md", b"---\ntitle: [unclosed\n---\n\nBody text.\n", "front matter",
                     id="invalid-yaml"),
        pytest.param("a.md", b"---\n- just\n- a list\n---\n\nBody text.\n", "front matter",
                     id="front-matter-not-a-mapping"),
        pytest.param("a.txt", b"Only a title line\n", "no paragraphs", id="title-only"),
    ],
)
def test_a_bad_file_is_named_with_what_is_wrong(
    tmp_path: Path, name: str, content: bytes, what: str
) -> None:
    folder = write_folder(tmp_path / "k", {"good.txt": "Good\n\nA fine paragraph.", name: content})
    message = error_for(folder)
    assert str(folder / name) in message
    assert what in message.casefold()


def test_two_documents_with_the_same_id(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"a.md": "# A\n\nOne.", "a.txt": "A\n\nTwo."})
    message = error_for(folder)
    assert str(folder / "a.md") in message
    assert str(folder / "a.txt") in message
    assert "'a'" in message


def test_symlink_pointing_outside_the_folder(tmp_path: Path) -> None:
    outside = write_folder(tmp_path / "elsewhere", {"secret.txt": "Secret\n\nDo not serve."})
    folder = write_folder(tmp_path / "k", {"good.txt": "Good\n\nA fine paragraph."})
    os.symlink(outside / "secret.txt", folder / "linked.txt")
    message = error_for(folder)
    assert str(folder / "linked.txt") in message
    assert "outside" in message


def test_symlink_inside_the_folder_is_allowed(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"sub/good.txt": "Good\n\nA fine paragraph."})
    os.symlink(folder / "sub" / "good.txt", folder / "alias.txt")
    kb = load_folder(folder)
    assert sorted(d.id for d in kb.documents) == ["alias", "sub/good"]


def test_a_linked_folder_outside_is_refused_like_a_linked_file(tmp_path: Path) -> None:
    outside = write_folder(tmp_path / "elsewhere", {"secret.txt": "Secret\n\nDo not serve."})
    folder = write_folder(tmp_path / "k", {"good.txt": "Good\n\nA fine paragraph."})
    os.symlink(outside, folder / "linked", target_is_directory=True)
    message = error_for(folder)
    assert str(folder / "linked") in message
    assert "outside" in message


# ---- rules of the two text formats, line by line ----------------------------------------------

def test_a_front_matter_error_names_the_line_of_the_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {
        "a.md": "---\ntitle: Fine\nsource: Gazette\nurl: [broken\npublished: 2024-01-01\n---\n\nA.",
    })
    message = error_for(folder)
    assert "broken front matter at line 5" in message  # where the parser found the problem
    assert message.endswith("fix the YAML between the --- lines")


def test_a_run_of_hashes_closes_a_heading_only_after_a_space(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {"c.md": (
        "# Languages\n\n## C#\n\nA language.\n\n## Rust ##\n\nAnother.\n\n#hashtag line\n")})
    kb = load_folder(folder)
    assert [(p.section, p.text) for p in kb.passages] == [
        ("C#", "A language."), ("Rust", "Another."), ("Rust", "#hashtag line")]


def test_raw_text_s_first_line_is_the_title_even_without_a_blank_line_after_it(
    tmp_path: Path,
) -> None:
    folder = write_folder(tmp_path / "k", {"r.txt": "Harbour Report\nThe first paragraph.\n"})
    kb = load_folder(folder)
    assert kb.documents[0].title == "Harbour Report"
    assert [p.text for p in kb.passages] == ["The first paragraph."]  # not lost with the title


def test_trailing_spaces_do_not_split_a_paragraph(tmp_path: Path) -> None:
    # A Markdown hard line break is two trailing spaces: still one paragraph.
    folder = write_folder(tmp_path / "k", {"p.md": "# T\n\nFirst line,  \nsecond line.\n"})
    assert [p.text for p in load_folder(folder).passages] == ["First line,  \nsecond line."]


def test_each_format_keeps_to_its_own_heading_rules(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "k", {
        "m.md": "# M\n\nKey points:\n- one\n- two\n",
        "t.txt": "T\n\n# not a heading in raw text\n\nNotes:\nA line.\n",
    })
    kb = load_folder(folder)
    assert [(p.document.id, p.section, p.text) for p in kb.passages] == [
        ("m", None, "Key points:\n- one\n- two"),
        ("t", None, "# not a heading in raw text"),
        ("t", "Notes", "A line."),
    ]
