"""Admins add a page by sending its link, end to end: the real Application, the fake Bot API and
a real web site on loopback (allowed by BOT_FETCH_ALLOW_HOSTS, as an operator would allow a site
of their own network). A link from anyone else is a question like any other message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, SentMessage
from sites import ARTICLE, TITLE, Site

from bot.telegram_bot.runtime import runtime_of

ADMIN, OTHER = 42, 7


@pytest.fixture
async def admin_bot(api: FakeBotApi, start_bot: Any) -> Any:
    api.private_chat(ADMIN, "Ada")
    api.private_chat(OTHER, "Bob")
    return await start_bot(admin_ids=frozenset({ADMIN}), fetch_allow_hosts="127.0.0.1",
                           fetch_timeout=1.0, upload_max_mb=1)


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def send(api: FakeBotApi, text: str, chat_id: int = ADMIN) -> SentMessage:
    count = len(api.messages_in(chat_id))
    api.send_user_message(chat_id, text)
    return (await api.wait_for_messages(count + 1, timeout=30, chat_id=chat_id))[-1]


async def test_a_linked_page_is_added_and_cited_with_its_link(
    api: FakeBotApi, admin_bot: Any, site: Site, knowledge_dir: Path
) -> None:
    url = site.url("/article")
    added = await send(api, f"  {url}  ")
    name = "glacier-retreat-in-the-alps-speeds-up.html"
    assert added.text.startswith(f"Added “{TITLE}” as {name}: 1 section, 3 passages."), added.text
    assert f"Cited with the link {url}" in added.text
    assert (knowledge_dir / name).read_bytes().startswith(ARTICLE[:20])
    answer = await send(api, "What did researchers blame for the glacier melt?", OTHER)
    assert "Sahara" in answer.text
    assert url in answer.raw_text  # the citation links to the page it came from
    docs = await send(api, "/docs")
    assert f"{name}, 3 passages; added" in docs.text
    assert f"from {url}" in docs.text


async def test_a_linked_pdf_keeps_its_site_s_file_name(
    api: FakeBotApi, admin_bot: Any, site: Site, knowledge_dir: Path
) -> None:
    added = await send(api, site.url("/report"))
    assert "as annual report 2023.pdf: 3 sections" in added.text
    assert (knowledge_dir / "annual report 2023.pdf").is_file()


@pytest.mark.parametrize(("path", "problem"), [
    ("/missing", "the site answered 404 Not Found"),
    ("/endless", "over the 1 MB limit for documents (BOT_UPLOAD_MAX_MB)"),
    ("/to-private", "the link redirects to 10.0.0.1, a private or local address"),
    ("/slow", "did not send the document within 1 s (BOT_FETCH_TIMEOUT)"),
    ("/image", "leads to image/png"),
])
async def test_a_link_that_cannot_be_added_says_why_and_nothing_changes(
    api: FakeBotApi, admin_bot: Any, site: Site, knowledge_dir: Path, path: str, problem: str
) -> None:
    before = listing(knowledge_dir)
    refused = await send(api, site.url(path))
    assert refused.text.startswith(f"Not added: {site.url(path)}: "), refused.text
    assert problem in refused.text
    assert listing(knowledge_dir) == before
    assert len(runtime_of(admin_bot.bot_data).service.index.knowledge.documents) == 1


async def test_a_link_to_a_private_address_not_allowed_is_refused(
    api: FakeBotApi, admin_bot: Any, site: Site
) -> None:
    refused = await send(api, site.url("/article", host="127.0.0.2"))
    assert "127.0.0.2 is a private or local address" in refused.text
    assert "BOT_FETCH_ALLOW_HOSTS" in refused.text
    assert site.sent["/article"] == 0


async def test_a_link_from_anyone_else_is_a_question(
    api: FakeBotApi, admin_bot: Any, site: Site
) -> None:
    answer = await send(api, site.url("/article"), OTHER)
    assert not answer.text.startswith(("Added", "Not added"))
    assert site.sent["/article"] == 0  # nothing was fetched
