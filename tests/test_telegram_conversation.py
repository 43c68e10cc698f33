"""The conversation rules on Telegram, end to end: the real Application polling the fake Bot
API. Small talk and other languages, "tell me more" until the article is exhausted (in a
private chat, by replies in a group, and by replies after a restart), several questions in one
message, and inline mode; on the seed article and on a made-up chemistry article."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from conversations import chemistry_folder
from fake_bot_api import FakeBotApi, SentMessage

from bot.conversation import Conversations
from bot.render import render_html
from bot.telegram_bot.runtime import RUNTIME_KEY, runtime_of
from bot.titles import short_section

SPY = "What was the spy balloon incident?"
GROUP = -1001
THAT_IS_ALL = "That is all the article says about it."


def service_of(app: Any) -> Any:
    return runtime_of(app.bot_data).service


def bullets(message: SentMessage) -> list[str]:
    return [line[2:] for line in message.text.splitlines() if line.startswith("• ")]


async def test_small_talk_and_other_languages_get_their_own_replies(
        api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    messages = ["hi", "thanks!", "ok", "who are you?", "what can you do?",
                "¿Por qué se pospuso la visita de Blinken?"]
    for text in messages:
        api.send_user_message(42, text)
    sent = await api.wait_for_messages(len(messages))
    examples = service_of(bot).guide().examples[:2]
    for message in sent:
        assert "doesn't answer" not in message.text
        assert "<blockquote" not in message.raw_text
        assert bullets(message) == list(examples)  # two questions it answers
    assert sent[0].text.startswith("Hello!")
    assert "welcome" in sent[1].text
    assert "bot" in sent[3].text
    assert "tell me more" in sent[4].text
    assert "only read questions in English" in sent[5].text


async def test_tell_me_more_goes_on_until_that_is_all(api: FakeBotApi, bot: Any) -> None:
    api.private_chat(42)
    api.send_user_message(42, SPY)
    [first] = await api.wait_for_messages(1)
    quoted = [first.text]
    for n in range(2, 12):
        api.send_user_message(42, "tell me more")
        message = (await api.wait_for_messages(n))[-1]
        if THAT_IS_ALL in message.text:
            break
        assert "<blockquote>" in message.raw_text
        quoted.append(message.text)
    assert THAT_IS_ALL in message.text
    assert len(quoted) >= 5  # the question and more than the three turns context keeps
    assert len(set(quoted)) == len(quoted)


async def replies_until_that_is_all(api: FakeBotApi, app: Any, answer: SentMessage,
                                    forget: bool) -> list[SentMessage]:
    """Reply "tell me more" to each latest answer, as group members do, until that is all;
    with `forget`, as if each reply reached a bot that never saw the answer it replies to."""
    chain = [answer]
    for _ in range(10):
        if forget:
            app.bot_data[RUNTIME_KEY] = replace(runtime_of(app.bot_data),
                                                conversations=Conversations())
        api.send_user_message(GROUP, "tell me more", reply_to_message_id=chain[-1].message_id)
        chain.append((await api.wait_for_messages(len(api.sent_messages) + 1))[-1])
        if THAT_IS_ALL in chain[-1].text:
            break
    return chain


async def test_replies_to_answers_go_on_until_that_is_all(api: FakeBotApi, bot: Any) -> None:
    api.group_chat(GROUP, "Readers")
    api.send_user_message(GROUP, f"/ask {SPY}")
    [answer] = await api.wait_for_messages(1)
    chain = await replies_until_that_is_all(api, bot, answer, forget=False)
    assert THAT_IS_ALL in chain[-1].text
    assert len(chain) >= 6
    quotes = [m.text for m in chain[:-1]]
    assert len(set(quotes)) == len(quotes)
    assert all(m.reply_to_message_id is not None for m in chain[1:])


async def test_after_a_restart_replies_read_on_from_the_quotes(
        api: FakeBotApi, bot: Any) -> None:
    api.group_chat(GROUP, "Readers")
    api.send_user_message(GROUP, f"/ask {SPY}")
    [answer] = await api.wait_for_messages(1)
    chain = await replies_until_that_is_all(api, bot, answer, forget=True)
    assert THAT_IS_ALL in chain[-1].text
    quotes = [m.text.split("\n—")[0] for m in chain[:-1]]
    assert len(set(quotes)) == len(quotes) >= 3  # onwards, never back


async def test_several_questions_are_answered_under_each_question(
        api: FakeBotApi, start_bot: Any, tmp_path: Path) -> None:
    app = await start_bot(knowledge_dir=chemistry_folder(tmp_path))
    api.private_chat(42)
    text = ("What does platinum turn carbon monoxide into? Who won the Nobel Prize in 1918? "
            "What is the capital of Mongolia?")
    asked = api.send_user_message(42, text)
    sent = await api.wait_for_messages(1)
    [message] = sent
    assert message.reply_to_message_id == asked
    assert message.raw_text == render_html(service_of(app).ask(text))[0]
    assert "<b>What does platinum turn carbon monoxide into?</b>\n<blockquote>" in \
        message.raw_text
    assert message.text.index("carbon dioxide") < message.text.index("Who won the Nobel")
    assert message.text.index("Fritz Haber") < message.text.index("capital of Mongolia")
    assert "doesn't answer that" in message.text.split("capital of Mongolia")[1]
    assert "Science Weekly, 5 Mar 2024" in message.text  # source and date in each footnote


async def test_a_long_answer_to_several_questions_is_split_cleanly(
        api: FakeBotApi, start_bot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    sections = "\n\n".join(
        f"## Station {s}\n\n" + " ".join(
            f"Glacier station {s} logged ice flow reading {i} & <more> at the ridge."
            for i in range(40)) for s in ("north", "south", "east"))
    (folder / "ice.md").write_text(f"# Ice survey\n\n{sections}\n", encoding="utf-8")
    app = await start_bot(knowledge_dir=folder, max_quote_chars=3000)
    text = ("What did station north log? What did station south log? "
            "What did station east log?")
    expected = render_html(service_of(app).ask(text))
    assert len(expected) >= 2
    api.private_chat(42)
    api.send_user_message(42, text)
    sent = await api.wait_for_messages(len(expected))
    assert [m.raw_text for m in sent] == expected
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 4096 for m in sent)
    assert not [e for e in api.log if e.method == "sendMessage" and e.status != 200]


# ---- inline mode -----------------------------------------------------------------------------

async def test_inline_query_offers_answer_cards(api: FakeBotApi, bot: Any) -> None:
    api.enable_inline_mode()
    query_id = api.send_inline_query("Why was the visit postponed?", chat_type="group")
    await api.wait_until(lambda: bool(api.inline_answers), what="an inline answer")
    [answer] = api.inline_answers
    assert answer.query_id == query_id
    expected = service_of(bot).ask("Why was the visit postponed?")
    assert 1 <= len(answer.results) <= 3
    assert len(answer.results) == len(expected.citations)
    for result, text, citation in zip(answer.results, answer.texts, expected.citations,
                                      strict=True):
        assert result["type"] == "article"
        assert result["title"] == short_section(citation.section)  # "Building Bridges…"
        assert " ".join(citation.quote.split())[:40] in result["description"]
        assert text.startswith("Why was the visit postponed?\n")
        assert " ".join(citation.quote.split()) in text
        assert f"paragraph {citation.paragraph}" in text
        assert result["input_message_content"]["parse_mode"] == "HTML"
    assert len({r["id"] for r in answer.results}) == len(answer.results)


async def test_an_empty_inline_query_shows_the_example_questions(
        api: FakeBotApi, start_bot: Any, tmp_path: Path) -> None:
    app = await start_bot(knowledge_dir=chemistry_folder(tmp_path))
    api.enable_inline_mode()
    api.send_inline_query("")
    api.send_inline_query("What is the capital of Mongolia?")
    await api.wait_until(lambda: len(api.inline_answers) == 2, what="two inline answers")
    examples, refused = api.inline_answers
    assert [r["title"] for r in examples.results] == list(service_of(app).guide().examples[:3])
    for result, text in zip(examples.results, examples.texts, strict=True):
        assert text.startswith(result["title"])
        assert "Science Weekly" in text
    [card] = refused.results
    assert card["title"] == "No answer in the article"
    assert "doesn't answer that" in refused.texts[0]


async def test_an_inline_query_telegram_gave_up_on_is_only_logged(
        api: FakeBotApi, bot: Any) -> None:
    api.enable_inline_mode()
    query_id = api.send_inline_query("spy balloon")
    api.open_inline_queries.discard(query_id)  # answered too late: Telegram forgot it
    api.private_chat(42)
    api.send_user_message(42, SPY)
    await api.wait_for_messages(1)  # the bot goes on
    calls = api.calls_of("answerInlineQuery")
    assert len(calls) == 1
    assert not api.inline_answers
