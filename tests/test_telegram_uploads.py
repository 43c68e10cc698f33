"""Admins add documents by sending them to the bot in a private chat, end to end through the real
Application and the fake Bot API: what is added, what is refused and why, replacements after a
button press, and that a refused or failed addition changes nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, SentMessage

from bot.library import records
from bot.telegram_bot.runtime import runtime_of

ADMIN, OTHER = 42, 7
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTICLE = b"""---
title: Volcanoes of Iceland
source: Field Notes
---

## Magma chambers

Basalt magma collects in shallow chambers under the Reykjanes peninsula before an eruption.

## Fissures

Eruptions on the peninsula open long fissures rather than single cones.
"""
QUESTION = "Where does basalt magma collect?"
SPY = "What was the spy balloon incident?"


@pytest.fixture
async def admin_bot(api: FakeBotApi, start_bot: Any) -> Any:
    api.private_chat(ADMIN, "Ada", username="ada")
    api.private_chat(OTHER, "Bob")
    return await start_bot(admin_ids=frozenset({ADMIN}))


def served(app: Any) -> list[str]:
    return [d.id for d in runtime_of(app.bot_data).service.index.knowledge.documents]


def files(folder: Path) -> list[str]:
    """Everything in the folder, hidden files included: nothing half-written may be left."""
    return sorted(path.name for path in folder.iterdir())


async def next_reply(api: FakeBotApi, chat_id: int = ADMIN) -> SentMessage:
    count = len(api.messages_in(chat_id))
    return (await api.wait_for_messages(count + 1, timeout=30, chat_id=chat_id))[-1]


async def upload(api: FakeBotApi, data: bytes, name: str | None, chat_id: int = ADMIN,
                 **fields: Any) -> SentMessage:
    api.send_user_document(chat_id, data, name, **fields)
    return await next_reply(api, chat_id)


async def test_a_markdown_file_is_added_and_answered_from(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path, tmp_path: Path
) -> None:
    before = files(knowledge_dir)
    added = await upload(api, ARTICLE, "volcanoes.md")
    assert added.text.startswith("Added “Volcanoes of Iceland” as volcanoes.md: 2 sections, "
                                 "2 passages.")
    assert "Now 2 documents" in added.text
    assert files(knowledge_dir) == sorted([*before, "volcanoes.md"])  # no temporary file left
    assert (knowledge_dir / "volcanoes.md").read_bytes() == ARTICLE
    assert served(admin_bot) == ["000_29f201e5e6a39567", "volcanoes"]
    api.send_user_message(OTHER, QUESTION)
    answer = await next_reply(api, OTHER)
    assert "Basalt magma collects" in answer.text
    # Who added it, and when, is kept in the state folder.
    with sqlite3.connect(tmp_path / "state" / records.FILE_NAME) as db:
        [(name, by, by_name)] = db.execute(
            "SELECT name, added_by, added_by_name FROM documents").fetchall()
    assert (name, by, by_name) == ("volcanoes.md", ADMIN, "Ada (@ada)")


async def test_a_saved_web_page_keeps_its_article_and_link(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    page = (FIXTURES / "html" / "news-harbour.html").read_bytes()
    added = await upload(api, page, "Harbour news.html", mime_type="text/html")
    truth = json.loads((FIXTURES / "html" / "news-harbour.json").read_text())
    assert f"Added “{truth['title']}” as Harbour news.html: 2 sections" in added.text
    assert truth["url"] in added.text
    api.send_user_message(OTHER, "How deep will the new berth be dredged?")
    answer = await next_reply(api, OTHER)
    assert "fourteen metres" in answer.text
    assert truth["url"] in answer.raw_text  # the citation links to the page


async def test_a_pdf_is_added(api: FakeBotApi, admin_bot: Any, knowledge_dir: Path) -> None:
    pdf = (FIXTURES / "pdf" / "report-simple.pdf").read_bytes()
    added = await upload(api, pdf, "annual-report.pdf", mime_type="application/pdf")
    assert "Added “Port Maren Harbour Authority Annual Report” as annual-report.pdf: 3 sections" \
        in added.text
    assert "annual-report" in served(admin_bot)


async def test_the_kind_is_decided_by_the_content_not_the_name(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    page = (FIXTURES / "html" / "news-harbour.html").read_bytes()
    added = await upload(api, page, "harbour.txt")  # a web page, named as text
    assert "as harbour.html" in added.text
    assert "not harbour.txt" in added.text
    assert (knowledge_dir / "harbour.html").read_bytes() == page
    assert not (knowledge_dir / "harbour.txt").exists()


@pytest.mark.parametrize(("data", "name", "problem"), [
    pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(200), "photo.md", "is an image (PNG)", id="png"),
    pytest.param((FIXTURES / "pdf" / "scanned.pdf").read_bytes(), "scan.pdf", "no text to read",
                 id="pdf-without-text"),
    pytest.param(b"---\ntitle: [unclosed\n---\n\nSome text here.\n", "broken.md",
                 "broken front matter", id="front-matter"),
    pytest.param(ARTICLE, "../../etc/volcanoes.md", "holds a folder path", id="dot-dot"),
    pytest.param(ARTICLE, ".hidden.md", "hidden file", id="hidden"),
    pytest.param(ARTICLE, "report\u202egpj.md", "bidirectional", id="bidi"),
    pytest.param(ARTICLE, "x" * 120 + ".md", "at most 100", id="too-long"),
    pytest.param(ARTICLE, "CON.md", "device name", id="windows-reserved"),
    pytest.param(b"   \n\n  ", "empty.txt", "is empty", id="empty"),
    pytest.param(b"PK\x03\x04" + bytes(100), "essay.docx", "a Word document", id="docx"),
])
async def test_a_bad_file_is_refused_saying_why_and_nothing_changes(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path, data: bytes, name: str, problem: str
) -> None:
    before = files(knowledge_dir)
    refused = await upload(api, data, name)
    assert refused.text.startswith("Not added:"), refused.text
    assert problem in refused.text
    assert files(knowledge_dir) == before
    assert served(admin_bot) == ["000_29f201e5e6a39567"]
    assert not api.calls_of("editMessageText")


async def test_a_file_over_the_limit_is_refused_before_it_is_downloaded(
    api: FakeBotApi, start_bot: Any, knowledge_dir: Path
) -> None:
    api.private_chat(ADMIN)
    await start_bot(admin_ids=frozenset({ADMIN}), upload_max_mb=0.01)
    refused = await upload(api, ARTICLE * 100, "big.md")
    assert "big.md: 25 KB is larger than the 10 KB limit for documents (BOT_UPLOAD_MAX_MB)" \
        in refused.text
    assert not api.calls_of("getFile")  # refused from what Telegram said of it
    assert not (knowledge_dir / "big.md").exists()


async def test_a_file_telegram_will_not_serve_is_refused_with_what_to_do(
    api: FakeBotApi, start_bot: Any, knowledge_dir: Path
) -> None:
    api.private_chat(ADMIN)
    await start_bot(admin_ids=frozenset({ADMIN}), upload_max_mb=30)
    refused = await upload(api, b"a" * (21 * 1024 * 1024), "huge.txt")
    assert "at most 20 MB" in refused.text
    [get_file] = [entry for entry in api.log if entry.method == "getFile"]
    assert get_file.description == "Bad Request: file is too big"
    assert not api.calls_of("downloadFile")


async def test_a_file_that_breaks_the_whole_knowledge_base_is_taken_back(
    api: FakeBotApi, start_bot: Any, knowledge_dir: Path
) -> None:
    # Read alone the file is fine; but the folder's total is over its limit with it.
    api.private_chat(ADMIN)
    app = await start_bot(admin_ids=frozenset({ADMIN}), max_knowledge_mb=0.01)
    before = files(knowledge_dir)
    padded = ARTICLE + b"\n\n" + b"Lava fields cover much of the peninsula. " * 200 + b"\n"
    refused = await upload(api, padded, "volcanoes.md")
    assert refused.text.startswith("Not added (volcanoes.md); nothing changed; I'm still "
                                   "answering from the previous knowledge base.")
    assert "BOT_MAX_KNOWLEDGE_MB" in refused.text
    assert files(knowledge_dir) == before
    assert served(app) == ["000_29f201e5e6a39567"]
    api.send_user_message(ADMIN, SPY)
    assert "balloon" in (await next_reply(api)).text


async def test_replacing_a_document_asks_first_and_keeps_it_when_told(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    newer = ARTICLE.replace(b"single cones", b"single cones, as on Hekla")
    question = await upload(api, newer, "volcanoes.md")
    assert "already has volcanoes.md (“Volcanoes of Iceland”, 2 passages, added" in question.text
    assert "by Ada (@ada))" in question.text
    assert "Replace it with the file you sent" in question.text
    [[replace, keep]] = question.reply_markup["inline_keyboard"]  # type: ignore[index]
    assert (replace["text"], keep["text"]) == ("Replace", "Keep the current one")
    assert (knowledge_dir / "volcanoes.md").read_bytes() == ARTICLE  # not yet
    query = api.press_button(ADMIN, question.message_id, keep["callback_data"])
    await api.wait_until(lambda: query not in api.open_callbacks)
    await api.wait_until(lambda: api.edited_messages)
    edited = api.edited_messages[-1]
    assert edited.text == "Kept the current volcanoes.md; nothing changed."
    assert edited.reply_markup is None  # the buttons are gone
    assert (knowledge_dir / "volcanoes.md").read_bytes() == ARTICLE


async def test_replacing_a_document_after_the_button(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    newer = ARTICLE.replace(b"single cones", b"single cones, as on Hekla")
    question = await upload(api, newer, "volcanoes.md")
    replace = question.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    api.press_button(ADMIN, question.message_id, replace["callback_data"])
    await api.wait_until(lambda: api.edited_messages, timeout=30)
    done = api.edited_messages[-1]
    assert done.text.startswith("Replaced “Volcanoes of Iceland” as volcanoes.md")
    assert [a["text"] for a in api.callback_answers] == ["Done"]
    assert (knowledge_dir / "volcanoes.md").read_bytes() == newer
    assert [p for p in files(knowledge_dir) if p.startswith(".")] == []  # the old one is gone
    api.send_user_message(OTHER, "Which volcano opens single cones?")
    assert "Hekla" in (await next_reply(api, OTHER)).text
    # A second press of the same question finds nothing to do.
    with pytest.raises(ValueError, match="no button"):
        api.press_button(ADMIN, question.message_id, replace["callback_data"])


async def test_a_file_of_another_kind_with_the_same_name_replaces_the_document(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    text = b"Volcanoes of Iceland\n\nBasalt magma collects in shallow chambers under the hills.\n"
    await upload(api, text, "volcanoes.txt")
    question = await upload(api, ARTICLE, "volcanoes.md")
    assert "volcanoes.txt" in question.text
    assert "the same document as volcanoes.md" in question.text
    replace = question.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    api.press_button(ADMIN, question.message_id, replace["callback_data"])
    await api.wait_until(lambda: api.edited_messages, timeout=30)
    assert "It takes the place of volcanoes.txt" in api.edited_messages[-1].text
    assert "volcanoes.md" in files(knowledge_dir)
    assert "volcanoes.txt" not in files(knowledge_dir)
    assert served(admin_bot).count("volcanoes") == 1


async def test_the_same_file_again_changes_nothing(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    again = await upload(api, ARTICLE, "volcanoes.md")
    assert again.text == ("volcanoes.md is already in the knowledge base with exactly this "
                          "content; nothing changed.")
    assert again.reply_markup is None


async def test_a_file_without_a_name_is_named_after_its_title(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    added = await upload(api, ARTICLE, None)
    assert "as volcanoes-of-iceland.md" in added.text
    assert (knowledge_dir / "volcanoes-of-iceland.md").is_file()


async def test_the_vocabulary_file_can_be_sent_and_is_checked(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    old = (knowledge_dir / "synonyms.txt").read_bytes()
    broken = await upload(api, b"balloon, airship\nship =>\n", "synonyms.txt")
    assert broken.text.startswith("Not added: synonyms.txt:2:"), broken.text
    assert (knowledge_dir / "synonyms.txt").read_bytes() == old
    question = await upload(api, old + b"\nblimp, balloon\n", "synonyms.txt")
    assert "already has synonyms.txt" in question.text
    replace = question.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    api.press_button(ADMIN, question.message_id, replace["callback_data"])
    await api.wait_until(lambda: api.edited_messages, timeout=30)
    assert api.edited_messages[-1].text.startswith("Vocabulary updated: synonyms.txt,")
    api.send_user_message(OTHER, "What was the spy blimp incident?")
    assert "balloon" in (await next_reply(api, OTHER)).text


async def test_a_non_admin_s_document_is_not_an_addition(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    before = files(knowledge_dir)
    hint = await upload(api, ARTICLE, "volcanoes.md", chat_id=OTHER)
    assert "I can only read text" in hint.text
    answered = await upload(api, ARTICLE, "volcanoes.md", chat_id=OTHER, caption=SPY)
    assert "balloon" in answered.text  # the caption is a question, as always
    assert files(knowledge_dir) == before
    assert not api.calls_of("getFile")


async def test_an_admin_s_document_in_a_group_is_not_an_addition(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    api.group_chat(-100, "Readers")
    api.send_user_document(-100, ARTICLE, "volcanoes.md", from_user=ADMIN)
    api.send_user_message(-100, f"/ask {SPY}", from_user=ADMIN)
    [answer] = await api.wait_for_messages(1, chat_id=-100)  # after the document, in order
    assert "balloon" in answer.text
    assert not (knowledge_dir / "volcanoes.md").exists()
    assert not api.calls_of("getFile")
