"""Sending replies: in the question's chat and topic, retried when that cannot duplicate them, and
resent as plain text if Telegram refuses our HTML.

Retries: `RetryAfter` waits as long as Telegram asks (the flood limiter, when on, pauses every
other request meanwhile). Other failures are retried with exponential backoff only when the message
cannot have been delivered: Telegram (or the proxy in front of it) answered with a server error, or
PTB's `HTTPXRequest` raised its `TimedOut`/`NetworkError` from an httpx error that happens before
the request is out in full: no connection was made (refused, DNS, TLS, a connect or pool timeout)
or the request could not be written. A read timeout, or a connection dropped after the request
went out, may mean the message was delivered, and a second sendMessage would post it twice, so
those are not retried: a lost reply costs a re-ask, a duplicated one cannot be taken back. (A
connection that closes after the whole request went out looks the same to the bot whether Telegram
acted on it or not.) After a read timeout the chat is held a while longer, so that if Telegram
still delivers the message it lands before the chat's next answer.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TypeVar

import httpx
from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.render import split_units
from bot.telegram_bot import journal
from bot.telegram_bot.addressing import topic_of

log = logging.getLogger(__name__)

ATTEMPTS = 4
BACKOFF_SECONDS = 0.5  # doubled after each failed attempt
# How long a chat waits after a read timeout before its next message: a message Telegram was
# still working on when the bot stopped waiting usually arrives within this.
LATE_DELIVERY_SECONDS = 5.0
T = TypeVar("T")
# httpx errors raised before the request was out in full: Telegram cannot have acted on it.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError,
               httpx.WriteTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)


@dataclass(frozen=True, slots=True)
class _Target:
    chat_id: int
    topic: int | None
    reply_to: int
    keyboard: InlineKeyboardMarkup | None = None


async def reply(bot: Bot, message: Message, parts: Sequence[str],
                plain: str | None = None,
                keyboard: InlineKeyboardMarkup | None = None) -> list[Message]:
    """Send HTML `parts` in order, the first as a reply to `message`; return what was sent.
    `keyboard` goes under the last message only (a split answer's buttons once, at its end).

    If Telegram cannot parse the HTML, the rest goes as plain text: `plain` (split to fit) when
    nothing was sent yet, else the text of the remaining parts.
    """
    target = _Target(message.chat_id, topic_of(message), message.message_id, keyboard)
    with journal.waiting():
        sent = await _send_parts(bot, target, parts, plain)
    journal.answered()  # at once: a crash from here on must not answer the question again
    return sent


async def _send_parts(bot: Bot, target: _Target, parts: Sequence[str],
                      plain: str | None) -> list[Message]:
    sent: list[Message] = []
    for index, part in enumerate(parts):
        try:
            sent.append(await _send(bot, target, part, ParseMode.HTML, first=not sent,
                                    last=index == len(parts) - 1))
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            log.warning("Telegram rejected a reply's HTML in chat %d (%s); sending plain text",
                        target.chat_id, exc.message)
            rest = split_units(plain) if plain and not sent else [
                text for p in parts[index:] for text in split_units(html_to_text(p))]
            for at, text in enumerate(rest, 1):
                sent.append(await _send(bot, target, text, None, first=not sent,
                                        last=at == len(rest)))
            break
    return sent


async def send_typing(bot: Bot, message: Message) -> None:
    """Show "typing…"; a failure only loses the indicator, so it never stops the answer."""
    try:
        with journal.waiting():
            await bot.send_chat_action(message.chat_id, ChatAction.TYPING,
                                       message_thread_id=topic_of(message))
    except TelegramError as exc:
        log.info("typing indicator failed in chat %d: %s", message.chat_id, exc)


async def _send(bot: Bot, target: _Target, text: str, parse_mode: str | None,
                first: bool, last: bool) -> Message:
    quote = ReplyParameters(target.reply_to, allow_sending_without_reply=True) if first else None
    markup = target.keyboard if last else None
    return await with_retries(
        lambda: bot.send_message(target.chat_id, text, parse_mode=parse_mode,
                                 message_thread_id=target.topic, reply_parameters=quote,
                                 reply_markup=markup),
        f"sendMessage to chat {target.chat_id}")


async def with_retries(call: Callable[[], Awaitable[T]], what: str) -> T:
    """Await `call()`, retrying flood waits and failures that cannot have delivered it."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == ATTEMPTS:
                raise
            delay = retry_after_seconds(exc)
        except NetworkError as exc:
            if attempt == ATTEMPTS or not safe_to_retry(exc):
                if may_arrive_late(exc.__cause__):
                    log.info("%s timed out; holding the chat %.0fs in case it still arrives",
                             what, LATE_DELIVERY_SECONDS)
                    await asyncio.sleep(LATE_DELIVERY_SECONDS)
                raise
            delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
        log.info("%s failed (attempt %d of %d); retrying in %.1fs", what, attempt, ATTEMPTS, delay)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def safe_to_retry(exc: NetworkError) -> bool:
    """True when the request surely did not take effect (see the module docstring)."""
    if isinstance(exc, BadRequest):
        return False
    cause = exc.__cause__
    if cause is None or isinstance(cause, TelegramError):  # an unparsable 502 page has one
        return True  # Telegram (or its proxy) answered 5xx: it did not act on the request
    return never_sent(cause)  # a transport failure: did the request go out?


def never_sent(error: BaseException | None) -> bool:
    """True when the httpx `error` (what PTB's `NetworkError` was raised from) means the request
    did not reach the server in full, so the server cannot have acted on it."""
    return isinstance(error, _NEVER_SENT)


def may_arrive_late(error: BaseException | None) -> bool:
    """True when the request went out and its answer did not come in time: the server may still
    be acting on it."""
    return isinstance(error, httpx.ReadTimeout)


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns on reading `retry_after` unless PTB_TIMEDELTA is set; both forms are handled.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The visible text of Telegram HTML, entities decoded."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)
