"""No one let in: who may reload, what the webhook port serves, that questions are only ever text,
and that no secret reaches a log line, an error message or a reply.

The whole run's log lines are checked for secrets at its end, by the hook in tests/conftest.py;
the tests here check that hook is live, and check a full run of their own.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import EVERY_LOG_LINE, KNOWN_SECRETS, TOKEN, FileOpens, leaked_lines
from conftest import webhook as serving_webhook
from fake_bot_api import FakeBotApi

from bot.serving import KnowledgeService
from bot.telegram_bot.addressing import ANONYMOUS_ADMIN_ID
from bot.telegram_bot.app import build_application
from bot.telegram_bot.logs import hide_secret
from bot.telegram_bot.runtime import runtime_of

ADMIN = 42
GROUP = -1001
CHANNEL_BOT_ID = 136817688  # Telegram's Channel_Bot: `from` of messages sent as a channel
SPY = "What was the spy balloon incident?"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_SECRET = "webhook-secret-for-the-security-tests"
NEW_ARTICLE = "Volcanoes\n\nBasalt magma collects in shallow chambers under the peninsula.\n"
PASSWD = Path("/etc/passwd")


def passwd_lines() -> list[str]:
    """Lines of this machine's /etc/passwd that could not turn up in an answer by chance."""
    try:
        return [line for line in PASSWD.read_text().splitlines() if line.count(":") >= 6]
    except OSError:
        return []


def no_secret_in(*texts: str) -> None:
    for secret in (*KNOWN_SECRETS, WEBHOOK_SECRET):
        assert not [t for t in texts if secret in t], f"{secret!r} leaked"


# ---- who may reload ------------------------------------------------------------------------

@pytest.fixture
async def admin_bot(api: FakeBotApi, start_bot: Any, knowledge_dir: Path) -> Any:
    api.private_chat(ADMIN, "Ada")
    api.private_chat(7, "Mallory")
    api.group_chat(GROUP, "Readers")
    # A lookalike group id in BOT_ADMIN_IDS must not make the group's members admins.
    app = await start_bot(admin_ids=frozenset({ADMIN, GROUP}))
    (knowledge_dir / "volcanoes.txt").write_text(NEW_ARTICLE)  # what a reload would add
    return app


def documents(app: Any) -> int:
    return len(runtime_of(app.bot_data).service.index.knowledge.documents)


async def test_only_the_sender_counts_whatever_the_chat_or_channel(
    api: FakeBotApi, admin_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    channel = {"id": -1002, "type": "channel", "title": "News"}
    anonymous = {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group",
                 "username": "GroupAnonymousBot"}
    channel_bot = {"id": CHANNEL_BOT_ID, "is_bot": True, "first_name": "Channel",
                   "username": "Channel_Bot"}
    attempts = [
        # Someone else's message in the admin's private chat: the chat id is an admin's.
        (ADMIN, {"from_user": 7}, "only the bot's admins"),
        # A member of a group whose id is (wrongly) listed in BOT_ADMIN_IDS.
        (GROUP, {"from_user": 1000}, "only the bot's admins"),
        # An anonymous admin of that group: posts as the group, so nobody can tell who.
        (GROUP, {"from_user": anonymous, "extra": {"sender_chat": api.chat(GROUP)}},
         "private chat"),
        # Someone posting on behalf of a channel, as Telegram shows it...
        (GROUP, {"from_user": channel_bot, "extra": {"sender_chat": channel}}, "channel"),
        # ...and forged with an admin's id as the stand-in sender.
        (GROUP, {"from_user": ADMIN, "extra": {"sender_chat": channel}}, "channel"),
    ]
    asked = [(chat, api.send_user_message(chat, "/reload", **sender), expected)
             for chat, sender, expected in attempts]
    sent = await api.wait_for_messages(len(attempts))
    replies = {(m.chat_id, m.reply_to_message_id): m for m in sent}
    for chat, message_id, expected in asked:
        refusal = replies[(chat, message_id)]
        assert expected in refusal.text, refusal.text
        assert not refusal.text.startswith("Reloaded")
    assert documents(admin_bot) == 1  # nothing was reloaded
    assert caplog.text.count("refused /reload") == len(attempts)
    # The same command from the admin, in the group and in private, is obeyed.
    api.send_user_message(GROUP, "/reload", from_user=ADMIN)
    reloaded = (await api.wait_for_messages(len(attempts) + 1))[-1]
    assert "Added: volcanoes" in reloaded.text
    assert documents(admin_bot) == 2


async def test_refusals_are_per_call_not_remembered(api: FakeBotApi, admin_bot: Any) -> None:
    # An admin's earlier success lets no one else in afterwards, even in the same chat.
    api.send_user_message(GROUP, "/reload", from_user=ADMIN)
    api.send_user_message(GROUP, "/reload", from_user=7)
    ok, refused = await api.wait_for_messages(2)
    assert ok.text.startswith("Reloaded")
    assert "only the bot's admins" in refused.text


# ---- questions are text, never paths or commands -------------------------------------------

HOSTILE = [
    "../../etc/passwd", "/etc/passwd", "file:///etc/passwd", "$(cat /etc/passwd)",
    "`cat /etc/passwd`", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "knowledge/../../../etc/shadow",
    "..\\..\\windows\\win.ini", "{{7*7}} ${jndi:ldap://x.test/a}", "'; DROP TABLE users; --",
    "What does /etc/passwd say about root?",
]


async def test_questions_that_look_like_paths_or_commands_are_only_text(
    api: FakeBotApi, bot: Any, file_opens: FileOpens, caplog: pytest.LogCaptureFixture
) -> None:
    secret_lines = passwd_lines()
    assert secret_lines, "this test needs a readable /etc/passwd to look for"
    file_opens.paths.clear()
    api.private_chat(42)
    api.group_chat(GROUP, "Readers")
    for question in HOSTILE:
        api.send_user_message(42, question)
        api.send_user_message(GROUP, f"/ask {question}")
    sent = await api.wait_for_messages(2 * len(HOSTILE))
    for reply in sent:
        assert "<blockquote" not in reply.raw_text  # refused: the articles don't cover it
        assert "root:" not in reply.text
        assert not [line for line in secret_lines if line in reply.text]
        for word in ("passwd", "shadow", "win.ini", "jndi", "DROP TABLE", "49"):
            assert word not in reply.text  # nothing of the question comes back, evaluated or not
    # Answering opened nothing but the libraries' own data (wordfreq's word list).
    libraries = (sys.prefix, sys.base_prefix)
    assert not [p for p in file_opens.paths if not p.startswith(libraries)], file_opens.paths
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---- the webhook port ----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def webhook(make_settings: Any, api: FakeBotApi) -> AsyncIterator[tuple[Any, str]]:
    """A bot serving by webhook on a free port; yields it and its base URL."""
    settings = make_settings(webhook_url="https://bot.example.com/telegram/hook",
                             webhook_secret=WEBHOOK_SECRET, listen="127.0.0.1",
                             port=free_port(), admin_ids=frozenset({42}))
    async with serving_webhook(settings) as (app, _):
        yield app, f"http://127.0.0.1:{settings.port}"


def queued_update(api: FakeBotApi, question: str = SPY) -> dict[str, Any]:
    """An update as Telegram would POST it (the fake queues it; nobody polls in webhook mode)."""
    api.private_chat(42)
    api.send_user_message(42, question)
    return api.pending_updates[-1]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/", 404),
    ("GET", "/some/other/path", 404),
    ("POST", "/healthz", 405),  # the health check only answers GET and HEAD
    ("GET", "/healthz/extra", 404),
    ("POST", "/", 404),
    ("POST", "/telegram", 404),
    ("POST", "/telegram/hook/extra", 404),
    ("POST", "/other/hook", 404),
    ("GET", "/telegram/hook", 405),
    ("PUT", "/telegram/hook", 405),
    ("DELETE", "/telegram/hook", 405),
])
async def test_the_webhook_port_serves_nothing_but_the_webhook_and_its_health_check(
    api: FakeBotApi, webhook: tuple[Any, str], method: str, path: str, status: int
) -> None:
    _, base = webhook
    update = queued_update(api)
    async with httpx.AsyncClient() as client:
        # Even with the right secret, anything but a POST to the webhook path is refused.
        response = await client.request(method, base + path, json=update,
                                        headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert response.status_code == status
    body = response.text
    assert len(body) < 200  # the framework's bare error page, nothing of ours
    no_secret_in(body, str(response.headers))
    assert "balloon" not in body
    await asyncio.sleep(0.2)  # time for a wrongly accepted update to be answered
    assert not api.calls_of("sendMessage")
    assert not api.calls_of("sendChatAction")


async def test_the_health_check_says_what_is_served_and_nothing_secret(
    api: FakeBotApi, webhook: tuple[Any, str]
) -> None:
    app, base = webhook
    index = runtime_of(app.bot_data).service.index
    async with httpx.AsyncClient() as client:
        got = await client.get(base + "/healthz")
        head = await client.head(base + "/healthz")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json"
    assert got.json() == {"status": "ok", "documents": len(index.knowledge.documents),
                          "passages": len(index)}
    assert head.status_code == 200
    assert head.content == b""
    no_secret_in(got.text, str(got.headers))
    assert not api.calls_of("sendMessage")  # a probe is not an update


async def test_the_health_check_is_unavailable_while_the_bot_is_not_running(
    make_settings: Any,
) -> None:
    from bot.telegram_bot.webhook import health_of

    settings = make_settings(webhook_url="https://bot.example.com/telegram/hook",
                             webhook_secret=WEBHOOK_SECRET)
    app = build_application(settings, KnowledgeService.from_settings(settings))
    assert health_of(app) == (503, {"status": "unavailable"})


async def test_a_blank_health_path_turns_the_health_check_off(
    make_settings: Any, api: FakeBotApi
) -> None:
    settings = make_settings(webhook_url="https://bot.example.com/telegram/hook",
                             webhook_secret=WEBHOOK_SECRET, listen="127.0.0.1",
                             port=free_port(), health_path="")
    async with serving_webhook(settings), httpx.AsyncClient() as client:
        got = await client.get(f"http://127.0.0.1:{settings.port}/healthz")
    assert got.status_code == 404


@pytest.mark.parametrize("headers", [
    pytest.param({}, id="no-secret"),
    pytest.param({SECRET_HEADER: "guess"}, id="wrong-secret"),
    pytest.param({SECRET_HEADER: WEBHOOK_SECRET[:-1]}, id="almost-the-secret"),
    pytest.param({SECRET_HEADER: WEBHOOK_SECRET.upper()}, id="secret-in-capitals"),
    pytest.param({"X-Telegram-Bot-Api-Secret": WEBHOOK_SECRET}, id="secret-in-another-header"),
    pytest.param({"Authorization": f"Bearer {WEBHOOK_SECRET}"}, id="secret-as-a-bearer-token"),
])
async def test_the_webhook_refuses_posts_without_the_exact_secret(
    api: FakeBotApi, webhook: tuple[Any, str], headers: dict[str, str]
) -> None:
    _, base = webhook
    update = queued_update(api)
    async with httpx.AsyncClient() as client:
        refused = await client.post(f"{base}/telegram/hook", json=update, headers=headers)
        in_query = await client.post(f"{base}/telegram/hook?secret_token={WEBHOOK_SECRET}",
                                     json=update, headers=headers)
        accepted = await client.post(f"{base}/telegram/hook", json=update,
                                     headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert (refused.status_code, in_query.status_code, accepted.status_code) == (403, 403, 200)
    no_secret_in(refused.text, str(refused.headers))
    [answer] = await api.wait_for_messages(1)  # only the accepted post was answered
    assert "balloon" in answer.text
    await asyncio.sleep(0.2)  # time for a wrongly accepted post to be answered too
    assert len(api.calls_of("sendMessage")) == 1


# ---- secrets in logs, errors and replies ---------------------------------------------------

def test_the_session_wide_log_check_sees_every_level() -> None:
    marker = "security-test-marker-7c1f"
    logging.getLogger("some.library.deep.inside").debug("%s at DEBUG", marker)
    assert any(f"{marker} at DEBUG" in line for line in EVERY_LOG_LINE.lines)
    lines = ["fine", f"GET /bot{TOKEN}/getMe", "also fine"]
    assert leaked_lines(lines, KNOWN_SECRETS) == [f"GET /bot{TOKEN}/getMe"]


async def test_no_secret_in_logs_errors_or_replies_of_a_webhook_run(
    api: FakeBotApi, webhook: tuple[Any, str], knowledge_dir: Path
) -> None:
    # PTB logs each request's parameters at DEBUG, and the whole run is logged at DEBUG.
    _, base = webhook
    update = queued_update(api, SPY)
    api.fail_next("sendMessage", error_code=500)  # retried: the retry is logged
    api.send_user_message(42, "/reload")  # fails on the broken file: an error message
    reload_update = api.pending_updates[-1]
    (knowledge_dir / "broken.txt").write_bytes(b"\x00")
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{base}/telegram/hook", json=update,
                                  headers={SECRET_HEADER: TOKEN})  # the token as a guess
        for posted in (update, reload_update):
            ok = await client.post(f"{base}/telegram/hook", json=posted,
                                   headers={SECRET_HEADER: WEBHOOK_SECRET})
            assert ok.status_code == 200
    assert wrong.status_code == 403
    sent = await api.wait_for_messages(2)
    assert "Reload failed" in sent[-1].text
    [registered] = api.calls_of("setWebhook")
    assert registered["secret_token"] == WEBHOOK_SECRET  # it was sent to Telegram...
    lines = EVERY_LOG_LINE.lines  # this test's lines, its fixtures' and every earlier test's
    assert any("setWebhook" in line and "secret_token" in line for line in lines)  # logged...
    assert any("retrying" in line for line in lines)
    assert any("wrong or missing secret token" in line for line in lines)
    no_secret_in(*lines, *(m.raw_text for m in sent), wrong.text)  # ...but hidden everywhere


def test_secrets_are_scrubbed_from_any_logger_and_from_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "777:unit-test-secret-value"
    hide_secret(secret)
    log = logging.getLogger("some.library")
    try:
        raise ValueError(f"the token `{secret}` was rejected")
    except ValueError:
        log.exception("calling http://api/bot%s/getMe failed", secret)
    assert secret not in caplog.text
    assert caplog.text.count("<hidden>") == 2
