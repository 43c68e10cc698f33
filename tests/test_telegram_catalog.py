"""/docs and /remove end to end: the list of documents with who added each, split cleanly when
long; removal only after a confirmation button, refused for the last document, taken back when
the reload fails; and none of it for anyone but an admin in a private chat, buttons included."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, SentMessage, validate_telegram_html

from bot.render import tg_len
from bot.telegram_bot.runtime import runtime_of

ADMIN, OTHER = 42, 7
SEED = "000_29f201e5e6a39567.txt"
ARTICLE = b"""# Volcanoes of Iceland

Basalt magma collects in shallow chambers under the Reykjanes peninsula before an eruption.
"""


@pytest.fixture
async def admin_bot(api: FakeBotApi, start_bot: Any) -> Any:
    api.private_chat(ADMIN, "Ada")
    api.private_chat(OTHER, "Bob")
    return await start_bot(admin_ids=frozenset({ADMIN}))


def served(app: Any) -> list[str]:
    return [d.id for d in runtime_of(app.bot_data).service.index.knowledge.documents]


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


async def send(api: FakeBotApi, text: str, chat_id: int = ADMIN) -> SentMessage:
    count = len(api.messages_in(chat_id))
    api.send_user_message(chat_id, text)
    return (await api.wait_for_messages(count + 1, timeout=30, chat_id=chat_id))[-1]


async def upload(api: FakeBotApi, data: bytes, name: str) -> SentMessage:
    count = len(api.messages_in(ADMIN))
    api.send_user_document(ADMIN, data, name)
    return (await api.wait_for_messages(count + 1, timeout=30, chat_id=ADMIN))[-1]


async def press(api: FakeBotApi, message: SentMessage, text: str,
                from_user: int = ADMIN) -> str:
    """Press the button labelled `text`; return the edited question's text once answered."""
    buttons = [b for row in message.reply_markup["inline_keyboard"]  # type: ignore[index]
               for b in row if b["text"] == text]
    edits = len(api.edited_messages)
    query = api.press_button(message.chat_id, message.message_id, buttons[0]["callback_data"],
                             from_user=from_user)
    await api.wait_until(lambda: query not in api.open_callbacks, timeout=30)
    if from_user != ADMIN:
        return ""
    await api.wait_until(lambda: len(api.edited_messages) > edits, timeout=30)
    return api.edited_messages[-1].text


async def test_docs_lists_each_document_with_who_added_it(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    write(knowledge_dir / "essay.docx", b"PK\x03\x04")
    docs = await send(api, "/docs")
    assert docs.text.startswith("2 documents, 23 passages, in knowledge:")
    lines = docs.text.splitlines()
    assert lines[1].startswith("• US China Relations 2023")
    assert f"— {SEED}, 22 passages; added on disk (file of " in lines[1]
    assert lines[2].startswith("• Volcanoes of Iceland — volcanoes.md, 1 passage; added ")
    assert lines[2].endswith("by Ada (42)")
    assert "Vocabulary: synonyms.txt, added on disk" in docs.text
    # The folder's files that are not read are listed with what to do, once reloaded.
    await send(api, "/reload")
    docs = await send(api, "/docs")
    assert "Not read (1):\n• essay.docx is a word-processor document (.docx), which is not " \
           "read; save it as PDF" in docs.text


async def test_docs_shows_a_document_edited_on_disk_after_it_was_added(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    write(knowledge_dir / "volcanoes.md", ARTICLE + b"\nLava fields cover the peninsula.\n")
    await send(api, "/reload")
    docs = await send(api, "/docs")
    assert "by Ada (42); edited on disk since (" in docs.text


async def test_a_long_list_is_split_between_lines_under_the_message_limit(
    api: FakeBotApi, start_bot: Any, knowledge_dir: Path
) -> None:
    long_title = "A rather long headline about harbours, ferries and the sea " * 2
    for n in range(160):
        write(knowledge_dir / f"article-{n:03}-{'x' * 60}.md",
              f"# {long_title}{n}\n\nThe ferry number {n} sails at dawn.\n".encode())
    api.private_chat(ADMIN)
    await start_bot(admin_ids=frozenset({ADMIN}))
    api.send_user_message(ADMIN, "/docs")
    await api.wait_until(lambda: "/remove takes one out" in "".join(
        m.text for m in api.messages_in(ADMIN)), timeout=30)
    parts = api.messages_in(ADMIN)
    assert len(parts) >= 3
    for part in parts:
        assert tg_len(part.raw_text) <= 4096
        validate_telegram_html(part.raw_text)  # no tag cut in two
    listed = [line for part in parts for line in part.text.splitlines() if line.startswith("•")]
    assert len(listed) == 161  # every document once, each line whole


async def test_remove_asks_and_removes_after_the_button(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    question = await send(api, "/remove volcanoes")
    assert question.text.startswith("Remove “Volcanoes of Iceland” (volcanoes.md, 1 passage, "
                                    "added ")
    assert (knowledge_dir / "volcanoes.md").exists()  # not before the button
    done = await press(api, question, "Remove")
    assert done == "Removed “Volcanoes of Iceland” (volcanoes.md). Now 1 document, 22 passages."
    assert [a["text"] for a in api.callback_answers] == ["Done"]
    assert not (knowledge_dir / "volcanoes.md").exists()
    assert not [p for p in os.listdir(knowledge_dir) if p.startswith(".")]
    assert served(admin_bot) == [SEED.removesuffix(".txt")]
    docs = await send(api, "/docs")
    assert "volcanoes" not in docs.text


async def test_remove_cancelled_keeps_the_document(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    question = await send(api, "/remove Volcanoes of Iceland")  # by title
    assert await press(api, question, "Cancel") == ("Kept “Volcanoes of Iceland”; nothing was "
                                                   "removed.")
    assert (knowledge_dir / "volcanoes.md").exists()
    assert "volcanoes" in served(admin_bot)


async def test_remove_without_a_name_offers_the_documents(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    question = await send(api, "/remove")
    assert question.text == "Which document should I remove?"
    labels = [b["text"] for row in question.reply_markup["inline_keyboard"]  # type: ignore[index]
              for b in row]
    assert labels[-1] == "Cancel"
    assert "Volcanoes of Iceland (volcanoes.md)" in labels
    confirm = await press(api, question, "Volcanoes of Iceland (volcanoes.md)")
    assert confirm.startswith("Remove “Volcanoes of Iceland”")
    edited = api.edited_messages[-1]
    assert await press(api, edited, "Remove") == ("Removed “Volcanoes of Iceland” "
                                                 "(volcanoes.md). Now 1 document, 22 passages.")


async def test_remove_names_what_it_cannot_find(api: FakeBotApi, admin_bot: Any) -> None:
    missing = await send(api, "/remove <b>nothing</b>")
    assert missing.text == "No document is named <b>nothing</b>. /docs lists them."


async def test_the_last_document_cannot_be_removed(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    refused = await send(api, "/remove 000_29f201e5e6a39567")
    assert refused.text == (f"{SEED} is the only document, and a knowledge base without "
                            "documents cannot be served: add another document first, then "
                            "remove this one.")
    assert (knowledge_dir / SEED).exists()


async def test_a_removal_whose_reload_fails_is_taken_back(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    question = await send(api, "/remove volcanoes")
    write(knowledge_dir / "broken.md", b"---\ntitle: [open\n---\n\nText.\n")  # meanwhile
    done = await press(api, question, "Remove")
    assert done.startswith("Not removed (volcanoes.md); nothing changed; I'm still answering "
                           "from the previous knowledge base.")
    assert "broken.md: broken front matter" in done
    assert (knowledge_dir / "volcanoes.md").read_bytes() == ARTICLE
    assert "volcanoes" in served(admin_bot)


async def test_a_document_removed_meanwhile_is_reported_gone(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    first = await send(api, "/remove volcanoes")
    second = await send(api, "/remove volcanoes")
    await press(api, first, "Remove")
    assert await press(api, second, "Remove") == ("That document is no longer in the knowledge "
                                                  "base; /docs lists what is.")


async def test_non_admins_can_neither_list_nor_remove(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await send(api, "/docs", OTHER)).text == ("Sorry, only the bot's admins can list "
                                                      "the documents.")
    assert (await send(api, "/remove 000_29f201e5e6a39567", OTHER)).text == (
        "Sorry, only the bot's admins can remove documents.")
    assert "refused /docs from user 7" in caplog.text
    assert "refused /remove from user 7" in caplog.text
    assert (knowledge_dir / SEED).exists()


async def test_a_non_admin_pressing_an_admin_s_button_is_refused(
    api: FakeBotApi, admin_bot: Any, knowledge_dir: Path
) -> None:
    await upload(api, ARTICLE, "volcanoes.md")
    question = await send(api, "/remove volcanoes")
    await press(api, question, "Remove", from_user=OTHER)
    [refusal] = api.callback_answers
    assert refusal["text"] == "Sorry, only the bot's admins can do that."
    assert refusal["show_alert"] in (True, "true")
    assert (knowledge_dir / "volcanoes.md").exists()
    assert api.edited_messages == []
    # The admin's own press still works afterwards: nothing was remembered from the refusal.
    assert (await press(api, question, "Remove")).startswith("Removed")


async def test_in_groups_documents_are_managed_from_a_private_chat(
    api: FakeBotApi, admin_bot: Any
) -> None:
    api.group_chat(-100, "Readers")
    api.send_user_message(-100, "/docs", from_user=ADMIN)
    api.send_user_message(-100, "/remove@ThisBot volcanoes", from_user=ADMIN)
    docs, remove = await api.wait_for_messages(2, chat_id=-100)
    assert docs.text == ("Admins list the documents in a private chat with me: send /docs to "
                         "me there.")
    assert remove.text.startswith("Admins remove documents in a private chat with me")


async def test_a_button_of_an_older_version_is_still_answered(
    api: FakeBotApi, admin_bot: Any
) -> None:
    question = await send(api, "/remove")
    api.open_callbacks.add("77")  # a press Telegram delivers, of data no handler knows
    api.queue_update({"callback_query": {
        "id": "77", "from": {"id": ADMIN, "is_bot": False, "first_name": "Ada"},
        "message": question.message, "chat_instance": "1", "data": "kb:forgotten:1"}})
    await api.wait_until(lambda: "77" not in api.open_callbacks)
    assert api.callback_answers[-1]["text"] == "This button no longer works."
