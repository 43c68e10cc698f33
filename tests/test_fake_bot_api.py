"""The fake Bot API answers python-telegram-bot as Telegram does; its HTML check follows tdlib."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_bot_api import FakeBotApi, TelegramHtmlError, parse_telegram_html, validate_telegram_html
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputFile,
    InputTextMessageContent,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

USER = 42
GROUP = -100123


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token="123:ABC", bot_username="ThisBot") as fake:
        fake.private_chat(USER, "Ann")
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url) as real_bot:
        yield real_bot


# --- validate_telegram_html, without a server ------------------------------------------------


def test_allowed_tags_become_visible_text_and_entities() -> None:
    html = (
        "<b>b</b><strong>s</strong><i>i</i><u>u</u><s>s</s><tg-spoiler>t</tg-spoiler>"
        '<span class="tg-spoiler">p</span><a href="https://e.org/?a=1&amp;b=2">link</a>'
        '<code>c</code><pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>q</blockquote>"
    )
    parsed = parse_telegram_html(html)
    assert parsed.text == "bsiustplinkcx = 1q"
    kinds = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    assert ("text_link", 7, 4) in kinds
    assert ("expandable_blockquote", 17, 1) in kinds
    pre = next(e for e in parsed.entities if e["type"] == "pre")
    assert pre == {"type": "pre", "offset": 12, "length": 5, "language": "python"}
    assert not any(e["type"] == "code" and e["offset"] == 12 for e in parsed.entities)
    link = next(e for e in parsed.entities if e["type"] == "text_link")
    assert link["url"] == "https://e.org/?a=1&b=2"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("é<x>", 'Unsupported start tag "x" at byte offset 2'),  # offsets count UTF-8 bytes
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<a href=http://x>y</a>", "Unexpected end of name token"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("fish &nbsp; chips", 'unknown HTML entity "&nbsp;"'),
        ("it&apos;s", 'unknown HTML entity "&apos;"'),
    ],
)
def test_html_telegram_refuses_is_rejected_with_its_reason(html: str, reason: str) -> None:
    with pytest.raises(TelegramHtmlError) as caught:
        validate_telegram_html(html)
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert reason in caught.value.description


def test_entities_decode_and_a_bare_ampersand_stays() -> None:
    assert validate_telegram_html("&lt;a&gt; &amp; &quot;q&quot; &#39;&#x27;&#128512;") == (
        "<a> & \"q\" ''😀"
    )
    assert validate_telegram_html("Q&A, AT&T") == "Q&A, AT&T"


def test_length_is_counted_in_utf16_units_of_visible_text() -> None:
    assert len(validate_telegram_html("<b>" + "a" * 4096 + "</b>")) == 4096
    assert validate_telegram_html("😀" * 2048) == "😀" * 2048
    for too_long in ("a" * 4097, "😀" * 2049, "<i>" + "x" * 4097 + "</i>"):
        with pytest.raises(TelegramHtmlError, match="message is too long"):
            validate_telegram_html(too_long)


def test_text_is_trimmed_and_blank_text_is_empty() -> None:
    assert validate_telegram_html("  <b> hi </b>\n") == "hi"
    with pytest.raises(TelegramHtmlError, match="message text is empty"):
        validate_telegram_html(" <b> </b> \n")


# --- the server, through python-telegram-bot's real Bot --------------------------------------


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123, "ThisBot", True)
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False


async def test_wrong_token_and_unknown_method_are_refused(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123:WRONG", base_url=api.base_url):
            pass
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    assert [entry.status for entry in api.log if entry.kind == "call"][-2:] == [401, 404]


async def test_send_message_answers_a_full_message_and_is_recorded(
    api: FakeBotApi, bot: Bot
) -> None:
    first = await bot.send_message(USER, "<b>Hello</b> &amp; bye ", parse_mode="HTML")
    second = await bot.send_message(USER, "plain")
    assert first.text == "Hello & bye"
    assert first.entities == (MessageEntity(MessageEntity.BOLD, 0, 5),)
    assert first.from_user is not None
    assert first.from_user.username == "ThisBot"
    assert first.chat.id == USER
    assert second.message_id == first.message_id + 1
    record = api.sent_messages[0]
    assert (record.text, record.raw_text, record.parse_mode) == (
        "Hello & bye",
        "<b>Hello</b> &amp; bye ",
        "HTML",
    )
    assert api.messages_in(USER) == api.sent_messages
    assert [method for method, _ in api.calls] == ["getMe", "sendMessage", "sendMessage"]


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<b>unclosed", "can't parse entities"),
        ("<div>x</div>", "Unsupported start tag"),
        ("<b>" + "x" * 4097 + "</b>", "message is too long"),
        (" ", "message text is empty"),
    ],
)
async def test_send_message_refuses_what_telegram_refuses(
    api: FakeBotApi, bot: Bot, text: str, description: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){description}"):
        await bot.send_message(USER, text, parse_mode="HTML")
    assert api.sent_messages == []
    assert api.log[-1].status == 400


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    # PTB drops "Bad Request: " and capitalize()s the rest, lower-casing all but the first letter.
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "hi")


async def test_injected_429_raises_retry_after(
    api: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without this PTB 22 warns (PTBDeprecationWarning) inside RetryAfter(), an error here.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail_next("sendMessage", error_code=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert (await bot.send_message(USER, "again")).text == "again"  # one failure only
    assert [entry.status for entry in api.log][-2:] == [429, 200]


@pytest.mark.parametrize(
    ("code", "message"), [(500, "Internal Server Error"), (502, "Bad Gateway")]
)
async def test_server_errors_raise_network_error(
    api: FakeBotApi, bot: Bot, code: int, message: str
) -> None:
    api.fail_next("sendMessage", times=2, error_code=code)
    for _ in range(2):
        with pytest.raises(NetworkError, match=message) as caught:
            await bot.send_message(USER, "hi")
        assert not isinstance(caught.value, BadRequest)
    await bot.send_message(USER, "through")
    assert [m.text for m in api.sent_messages] == ["through"]


async def test_dropped_connection_raises_network_error(api: FakeBotApi, bot: Bot) -> None:
    api.drop_next("sendMessage")
    with pytest.raises(NetworkError, match="disconnected"):
        await bot.send_message(USER, "lost")
    assert api.sent_messages == []
    api.drop_next("sendMessage", processed=True)  # delivered, but the answer is lost
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "delivered")
    assert [m.text for m in api.sent_messages] == ["delivered"]


async def test_stall_times_the_client_out_but_still_delivers(api: FakeBotApi, bot: Bot) -> None:
    api.stall_next("sendMessage", seconds=1.0)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "slow", read_timeout=0.2)
    assert api.sent_messages == []
    [late] = await api.wait_for_messages(1, timeout=5)
    assert late.text == "slow"


async def test_fault_rate_is_reproducible_and_stops_at_zero(api: FakeBotApi, bot: Bot) -> None:
    async def failures() -> list[int]:
        api.set_fault_rate("sendMessage", rate=0.5, kinds=("500", "400"), seed=7)
        failed = []
        for index in range(20):
            try:
                await bot.send_message(USER, f"m{index}")
            except NetworkError:  # PTB's BadRequest is a NetworkError too
                failed.append(index)
        return failed

    pattern = await failures()
    assert 0 < len(pattern) < 20
    assert await failures() == pattern  # the same seed fails the same calls
    api.set_fault_rate("sendMessage", rate=0)
    await asyncio.gather(*(bot.send_message(USER, f"steady {n}") for n in range(10)))
    assert len(api.sent_messages) == 40 - 2 * len(pattern) + 10


async def test_get_updates_offset_confirms_and_limit_caps(api: FakeBotApi, bot: Bot) -> None:
    ids = [api.queue_update({"message": _message(f"u{n}")}) for n in range(3)]
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u["update_id"] for u in api.pending_updates] == ids[1:]  # ids[0] is forgotten
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[1:2]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()


async def test_long_poll_waits_out_its_timeout(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 3


async def test_long_poll_returns_as_soon_as_an_update_arrives(api: FakeBotApi, bot: Bot) -> None:
    asyncio.get_running_loop().call_later(0.2, api.send_user_message, USER, "hello")
    started = time.monotonic()
    [update] = await bot.get_updates(timeout=10)
    assert time.monotonic() - started < 3
    assert update.message is not None
    assert update.message.text == "hello"


async def test_allowed_updates_filters_and_persists(api: FakeBotApi, bot: Bot) -> None:
    message_id = api.send_user_message(USER, "first")
    api.edit_user_message(USER, message_id, "edited")
    updates = await bot.get_updates(allowed_updates=["edited_message"])
    assert [u.edited_message.text for u in updates if u.edited_message] == ["edited"]
    assert len(updates) == 1
    api.send_user_message(USER, "ignored")
    offset = updates[0].update_id + 1
    assert await bot.get_updates(offset=offset) == ()  # the earlier allowed_updates still apply
    assert api.pending_updates == []


async def test_a_second_poller_or_a_webhook_conflicts(api: FakeBotApi, bot: Bot) -> None:
    async with Bot(api.token, base_url=api.base_url) as other:
        first = asyncio.create_task(bot.get_updates(timeout=5))
        await api.wait_for_calls("getUpdates", 1)
        assert await other.get_updates() == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await first
    await bot.set_webhook("https://example.org/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    api.send_user_message(USER, "pending")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_user_reply_carries_the_bots_message(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(USER, "<i>Answer</i>", parse_mode="HTML")
    api.send_user_message(USER, "and why?", reply_to_message_id=sent.message_id)
    [update] = await bot.get_updates()
    assert update.message is not None
    replied = update.message.reply_to_message
    assert replied is not None
    assert replied.from_user is not None
    assert (replied.message_id, replied.from_user.id, replied.text) == (
        sent.message_id,
        123,
        "Answer",
    )
    assert replied.reply_to_message is None


async def test_bot_reply_to_a_missing_message(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER, "hi", reply_parameters=ReplyParameters(999))
    loose = ReplyParameters(999, allow_sending_without_reply=True)
    assert (await bot.send_message(USER, "hi", reply_parameters=loose)).reply_to_message is None
    asked = api.send_user_message(USER, "question")
    answer = await bot.send_message(USER, "answer", reply_to_message_id=asked)
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "question"
    assert api.sent_messages[-1].reply_to_message_id == asked


async def test_forum_topics_and_thread_errors(api: FakeBotApi, bot: Bot) -> None:
    api.group_chat(GROUP, "Forum", forum=True)
    topic = api.add_topic(GROUP, "Questions")
    for bad_thread in (999, 1):  # unknown topic; the General topic wants no id at all
        with pytest.raises(BadRequest, match="Message thread not found"):
            await bot.send_message(GROUP, "hi", message_thread_id=bad_thread)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(USER, "hi", message_thread_id=topic)
    sent = await bot.send_message(GROUP, "in topic", message_thread_id=topic)
    assert (sent.message_thread_id, sent.is_topic_message) == (topic, True)
    api.send_user_message(GROUP, "asked in topic", message_thread_id=topic, from_user=7)
    [update] = await bot.get_updates()
    message = update.message
    assert message is not None
    assert message.is_topic_message
    # Telegram makes a plain topic message reply to the topic's creation message.
    assert message.reply_to_message is not None
    assert message.reply_to_message.forum_topic_created is not None
    assert message.from_user is not None
    assert message.from_user.id == 7


async def test_commands_and_mentions_get_entities(api: FakeBotApi, bot: Bot) -> None:
    api.group_chat(GROUP, "Group")
    api.send_user_message(GROUP, "/ask@ThisBot what is 😀 @ThisBot")
    [update] = await bot.get_updates()
    assert update.message is not None
    # parse_entities slices by UTF-16 offsets, so a wrong count around the emoji would show.
    assert list(update.message.parse_entities([MessageEntity.BOT_COMMAND]).values()) == [
        "/ask@ThisBot"
    ]
    assert list(update.message.parse_entities([MessageEntity.MENTION]).values()) == ["@ThisBot"]


async def test_my_commands_per_scope_and_language(api: FakeBotApi, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("ask", "Ask a question")])
    groups = BotCommandScopeAllGroupChats()
    await bot.set_my_commands([BotCommand("help", "Help")], scope=groups, language_code="de")
    assert [c.command for c in await bot.get_my_commands()] == ["ask"]
    assert [c.command for c in await bot.get_my_commands(scope=groups, language_code="de")] == [
        "help"
    ]
    assert (api.commands[-1].scope, api.commands[-1].language_code) == (
        {"type": "all_group_chats"},
        "de",
    )
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Ask", "Capitals are refused")])
    await bot.delete_my_commands()
    assert api.my_commands() == []
    assert api.my_commands({"type": "all_group_chats"}, "de") == [
        {"command": "help", "description": "Help"}
    ]
    assert await bot.get_my_commands(scope=BotCommandScopeChat(USER)) == ()


async def test_chat_actions_and_edits(api: FakeBotApi, bot: Bot) -> None:
    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")
    assert [(a.chat_id, a.action) for a in api.chat_actions] == [(USER, "typing")]
    sent = await bot.send_message(USER, "draft")
    edited = await bot.edit_message_text("<b>final</b>", USER, sent.message_id, parse_mode="HTML")
    assert not isinstance(edited, bool)
    assert edited.text == "final"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>final</b>", USER, sent.message_id, parse_mode="HTML")
    theirs = api.send_user_message(USER, "mine")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", USER, theirs)


async def test_log_keeps_per_chat_order_and_rate(api: FakeBotApi, bot: Bot) -> None:
    api.group_chat(GROUP, "Group")
    for n in range(3):
        await bot.send_message(USER, f"to Ann {n}")
        await bot.send_message(GROUP, f"to group {n}")
    assert [m.text for m in api.messages_in(USER)] == [f"to Ann {n}" for n in range(3)]
    assert api.max_messages_in_window(30.0, chat_id=USER) == 3
    assert api.max_messages_in_window(30.0) == 6
    assert api.max_messages_in_window(0.0, chat_id=GROUP) == 1
    sends = [entry for entry in api.log if entry.method == "sendMessage"]
    assert [entry.chat_id for entry in sends] == [USER, GROUP] * 3  # ints, though sent as "42"
    assert all(entry.status == 200 and entry.answered_at for entry in sends)


async def test_json_and_form_bodies_are_both_understood(api: FakeBotApi) -> None:
    url = f"{api.base_url}{api.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "More", "callback_data": "more"}]]}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"chat_id": USER, "text": "[1, 2]",
                                           "reply_markup": markup}) as response:  # fmt: skip
            as_json = await response.json()
        form = {"chat_id": str(USER), "text": "<b>x", "parse_mode": "HTML"}
        async with session.post(url, data=form) as response:
            as_form = (response.status, await response.json())
    assert as_json["ok"] is True
    assert as_json["result"]["text"] == "[1, 2]"
    assert as_json["result"]["reply_markup"] == markup
    assert api.sent_messages[0].reply_markup == markup
    assert as_form[0] == 400
    assert as_form[1]["ok"] is False
    assert as_form[1]["error_code"] == 400
    assert as_form[1]["description"].startswith("Bad Request: can't parse entities:")


async def test_wait_for_messages_times_out(api: FakeBotApi) -> None:
    with pytest.raises(TimeoutError, match="1 sent message"):
        await api.wait_for_messages(1, timeout=0.1)


async def test_a_real_application_polls_and_answers(api: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"<b>{update.effective_message.text}</b>")

    application = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    api.group_chat(GROUP, "Group")
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        asked = api.send_user_message(GROUP, "ping", from_user=7)
        [reply] = await api.wait_for_messages(1, timeout=10, chat_id=GROUP)
        await application.updater.stop()
        await application.stop()
    assert reply.text == "<b>ping</b>"  # no parse_mode: the tags are shown as typed
    assert reply.reply_to_message_id == asked  # PTB quotes in groups by default
    assert api.pending_updates == []  # the offset was confirmed on stop


def _message(text: str) -> dict[str, object]:
    return {
        "message_id": 1,
        "date": 0,
        "chat": {"id": USER, "type": "private"},
        "from": {"id": USER, "is_bot": False, "first_name": "Ann"},
        "text": text,
    }


async def test_inline_buttons_come_back_as_callback_queries_answered_once(
    api: FakeBotApi, bot: Bot
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="remove:1"),
                                      InlineKeyboardButton("No", callback_data="keep")]])
    sent = await bot.send_message(USER, "Remove it?", reply_markup=keyboard)
    assert api.message(USER, sent.message_id)["reply_markup"]["inline_keyboard"][0][1] == {
        "text": "No", "callback_data": "keep"}
    query_id = api.press_button(USER, sent.message_id, "remove:1")
    [update] = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "remove:1"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert query.from_user.id == USER
    assert await bot.answer_callback_query(query_id, text="Removed")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)  # one answer per query
    assert [a["text"] for a in api.callback_answers] == ["Removed"]
    with pytest.raises(ValueError, match="no button"):
        api.press_button(USER, sent.message_id, "forged")  # no client could send it


async def test_callback_data_over_64_bytes_and_markup_edits(api: FakeBotApi, bot: Bot) -> None:
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "hi", reply_markup=too_long)
    sent = await bot.send_message(USER, "Was this helpful?", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("👍", callback_data="up")]]))
    edited = await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)
    assert not isinstance(edited, bool)
    assert edited.reply_markup is None
    assert "reply_markup" not in api.message(USER, sent.message_id)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)


def article(result_id: str, text: str = "An <b>answer</b>", title: str = "A title",
            **extra: object) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        result_id, title, InputTextMessageContent(text, parse_mode="HTML"), **extra)


async def test_inline_queries_come_only_in_inline_mode_and_are_answered_once(
    api: FakeBotApi, bot: Bot
) -> None:
    with pytest.raises(ValueError, match="setinline"):
        api.send_inline_query("spy balloon")  # Telegram sends none to a bot without it
    assert not (await bot.get_me()).supports_inline_queries
    api.enable_inline_mode("Ask about the article…")
    assert (await bot.get_me()).supports_inline_queries
    query_id = api.send_inline_query("spy balloon", from_user=USER, chat_type="group")
    [update] = await bot.get_updates(timeout=0)
    query = update.inline_query
    assert query is not None
    assert (query.id, query.query, query.chat_type) == (query_id, "spy balloon", "group")
    assert query.from_user.id == USER
    assert await bot.answer_inline_query(query_id, [article("1"), article("2", "Plain & <i>x</i>")],
                                         cache_time=60)
    [answer] = api.inline_answers
    assert answer.texts == ["An answer", "Plain & x"]  # as the message would show
    assert (answer.cache_time, answer.is_personal) == (60, False)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(query_id, [article("1")])  # one answer per query


@pytest.mark.parametrize(("results", "error"), [
    ([article(str(i)) for i in range(51)], "RESULTS_TOO_MUCH"),
    ([article("same"), article("same")], "RESULT_ID_DUPLICATE"),
    ([article("x" * 65)], "RESULT_ID_INVALID"),
    ([article("1", "<b>unclosed")], "can't parse entities"),
    ([article("1", "x" * 4097)], "too long"),
    ([article("1", " ")], "empty"),
])
async def test_answer_inline_query_is_checked_as_telegram_checks_it(
    api: FakeBotApi, bot: Bot, results: list[InlineQueryResultArticle], error: str
) -> None:
    api.enable_inline_mode()
    query_id = api.send_inline_query("q")
    with pytest.raises(BadRequest, match="(?i)" + re.escape(error)):
        await bot.answer_inline_query(query_id, results)
    assert not api.inline_answers
    assert await bot.answer_inline_query(query_id, [article("ok")])  # still open


async def test_send_document_uploads_a_file_the_test_can_read_back(
    api: FakeBotApi, bot: Bot
) -> None:
    question = await bot.send_message(USER, "the report, please")
    content = "time,question\n2026-01-01T00:00:00Z,“Why?”\n".encode()
    sent = await bot.send_document(
        USER, InputFile(io.BytesIO(content), filename="questions.csv"),
        caption="<b>2</b> rows", parse_mode="HTML",
        reply_parameters=ReplyParameters(question.message_id))
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.file_size) == ("questions.csv", len(content))
    assert sent.document.mime_type == "text/csv"
    assert sent.caption == "2 rows"
    [document] = await api.wait_for_documents(1)
    assert document.content == content
    assert (document.chat_id, document.file_name, document.caption) == \
        (USER, "questions.csv", "2 rows")
    assert document.reply_to_message_id == question.message_id
    assert not api.sent_messages[1:]  # a document is not a text message


async def test_send_document_refuses_what_telegram_refuses(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(USER, InputFile(io.BytesIO(b""), filename="empty.csv"))
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(USER, InputFile(io.BytesIO(b"x"), filename="a.txt"),
                                caption="x" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(USER, "AgADBAAD-no-such-file")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_document(999, InputFile(io.BytesIO(b"x"), filename="a.txt"))
    assert not api.sent_documents


async def test_a_document_is_delivered_and_downloaded_as_from_telegram(api: FakeBotApi) -> None:
    data = "# Notes\n\nSome text, ünïcode included.\n".encode()
    message_id = api.send_user_document(USER, data, "notes.md", caption="for the bot")
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as bot:
        [update] = await bot.get_updates(timeout=0)
        message = update.message
        assert message is not None
        assert message.message_id == message_id
        document = message.document
        assert document is not None
        assert (document.file_name, document.mime_type, document.file_size) == (
            "notes.md", "text/markdown", len(data))
        assert message.caption == "for the bot"
        assert message.text is None
        file = await document.get_file()
        assert file.file_path is not None
        assert file.file_path.endswith(".md")  # documents/file_N.md, as Telegram names them
        assert bytes(await file.download_as_bytearray()) == data
    assert [m for m, _ in api.calls if m in ("getFile", "downloadFile")] == [
        "getFile", "downloadFile"]


async def test_files_telegram_does_not_serve(api: FakeBotApi, bot: Bot) -> None:
    api.send_user_document(USER, b"x" * (20 * 1024 * 1024 + 1), "huge.txt")
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None
    assert update.message.document is not None
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await update.message.document.get_file()
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("no-such-file")
    async with aiohttp.ClientSession() as session:
        missing = await session.get(f"{api.base_file_url}{api.token}/documents/file_9.txt")
        wrong_token = await session.get(f"{api.base_file_url}999:WRONG/documents/file_0.txt")
        assert (missing.status, wrong_token.status) == (404, 401)


async def test_a_document_without_a_name(api: FakeBotApi, bot: Bot) -> None:
    api.send_user_document(USER, b"text", None)
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None
    assert update.message.document is not None
    assert update.message.document.file_name is None
    assert update.message.document.mime_type == "application/octet-stream"
