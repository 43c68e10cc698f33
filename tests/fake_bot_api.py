"""A fake Telegram Bot API server on loopback, for tests that drive the real python-telegram-bot.

The bot under test talks HTTP to it exactly as to api.telegram.org, so the real `Application`,
`Bot` and `HTTPXRequest` code paths run::

    async with FakeBotApi(token="123:ABC", bot_username="ThisBot") as api:
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
        chat = api.private_chat(user_id=42, first_name="Ann")
        api.send_user_message(chat["id"], text="/start")      # queued for getUpdates
        [reply] = await api.wait_for_messages(1, timeout=10)
        assert reply.text == "Hello"                         # text as the user sees it

World: `user`, `private_chat`, `group_chat(supergroup=, forum=)`, `add_topic`,
`send_user_message` (adds bot_command/mention entities as Telegram does, and the full
`reply_to_message` when replying), `send_user_document` (a file sent as a document; its bytes
are served by getFile and the file download URL), `edit_user_message`, `press_button` (a
callback query), `enable_inline_mode` (BotFather's /setinline) and `send_inline_query`,
`queue_update` for anything else.
Records: `log` (every request on arrival and every update, timestamped, with the status
answered), `calls` ((method, params) pairs; PTB sends form fields, so params["chat_id"] == "42"),
`calls_of(method)`, `sent_messages`, `edited_messages`, `sent_documents` (uploaded files,
content included), `chat_actions`, `commands`, `my_commands()`, `callback_answers`,
`inline_answers` (each with the text its results' messages would show),
`messages_in(chat_id)`, `max_messages_in_window(seconds, chat_id=)`.
Waiting: `wait_for_messages`, `wait_for_documents`, `wait_for_calls`, `wait_until(predicate)`.
Faults: `fail_next` (any error code; 429 carries parameters.retry_after), `stall_next` (answer
late; the request still takes effect), `drop_next` (close the connection without an answer,
optionally after acting on the request), `set_fault_rate` (random faults; rate=0 stops);
`faults.clear()` forgets them all. A 502 is nginx's HTML page, so PTB also logs a JSON error.

Methods: getMe, getUpdates (offset confirms, limit, long-poll timeout, allowed_updates, 409 for a
competing poll or an active webhook), sendMessage, sendDocument (a multipart upload, up to 50 MB;
the file is then served by getFile too), editMessageText, editMessageReplyMarkup, deleteMessage,
sendChatAction, set/get/deleteMyCommands, set/delete/getWebhookInfo, answerCallbackQuery,
answerInlineQuery (at most 50 results, unique ids of 1 to 64 bytes, each article's message
checked as sendMessage checks text, one answer per query), getFile (400 "file is too big" over
20 MB, as Telegram), the file download URL (`{base_url minus /bot}/file/bot{token}/{file_path}`,
logged as "downloadFile"), close, logOut. Others
answer 404 "Not Found"; a wrong token answers 401. Text is checked as Telegram does (see
`validate_telegram_html`, stricter only in rejecting unknown named entities such as `&nbsp;`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from fakebotapi.faults import Fault, FaultPlan, error_fault
from fakebotapi.methods import BotApiMethods
from fakebotapi.records import (
    JSON,
    ApiError,
    ChatAction,
    CommandsCall,
    InlineAnswer,
    LogEntry,
    SentDocument,
    SentMessage,
    as_int,
    decode_param,
)
from fakebotapi.telegram_html import TelegramHtmlError, parse_telegram_html, validate_telegram_html

__all__ = [
    "ChatAction",
    "CommandsCall",
    "FakeBotApi",
    "InlineAnswer",
    "LogEntry",
    "SentDocument",
    "SentMessage",
    "TelegramHtmlError",
    "parse_telegram_html",
    "validate_telegram_html",
]

DEFAULT_TOKEN = "123456:TEST-fake-token"
_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>\w+)")
_FILE_PATH = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)")
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
    "</html>\r\n"
)


class FakeBotApi(BotApiMethods):
    """The fake server and the Telegram world behind it. Use as `async with FakeBotApi() as api`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "FakeQaBot",
        *,
        first_name: str = "Fake QA Bot",
        can_join_groups: bool = True,
        can_read_all_group_messages: bool = False,
    ) -> None:
        bot_id = token.split(":", 1)[0]
        bot_user: JSON = {"id": int(bot_id) if bot_id.isdigit() else 1, "is_bot": True}
        bot_user |= {"first_name": first_name, "username": bot_username}
        me = bot_user | {
            "can_join_groups": can_join_groups,
            "can_read_all_group_messages": can_read_all_group_messages,
            "supports_inline_queries": False,
        }
        super().__init__(bot_user, me)
        self.token = token
        self.faults = FaultPlan()
        self.port = 0
        self._poll_generation = 0
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing.set()  # ends long polls and stalls, so shutting down does not wait on them
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For `ApplicationBuilder().base_url(...)` or `Bot(token, base_url=...)`."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For `ApplicationBuilder().base_file_url(...)`: where getFile's file_path is served."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- waiting ------------------------------------------------------------------------------

    # A timeout argument (ruff's ASYNC109) keeps each wait's deadline visible in the test.
    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Wait until predicate() holds, re-checking after every request and update.

        Raises TimeoutError listing the calls so far, which usually shows what went wrong.
        """
        if not await self._wait(predicate, seconds=timeout):
            raise TimeoutError(f"{what} not met within {timeout}s; calls: {self.calls}")

    async def _wait(self, predicate: Callable[[], bool], seconds: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    async def wait_for_messages(
        self,
        n: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        chat_id: int | None = None,
    ) -> list[SentMessage]:
        """Wait until the bot has sent n messages in all (or to chat_id); return all sent."""

        def sent() -> list[SentMessage]:
            return self.sent_messages if chat_id is None else self.messages_in(chat_id)

        await self.wait_until(lambda: len(sent()) >= n, timeout, f"{n} sent message(s)")
        return list(sent())

    async def wait_for_documents(
        self,
        n: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[SentDocument]:
        """Wait until the bot has sent n documents in all; return all sent."""
        await self.wait_until(lambda: len(self.sent_documents) >= n, timeout,
                              f"{n} sent document(s)")
        return list(self.sent_documents)

    async def wait_for_calls(
        self,
        method: str,
        n: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[JSON]:
        """Wait until method was called n times (answered or not); return their params."""
        await self.wait_until(lambda: len(self.calls_of(method)) >= n, timeout, f"{n} {method}")
        return self.calls_of(method)

    # --- fault injection ----------------------------------------------------------------------

    def fail_next(
        self,
        method: str | None = "sendMessage",
        times: int = 1,
        error_code: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` calls of method (None: any method) with this error instead.

        429 carries parameters.retry_after (default 1); 502 is nginx's HTML page, as in real life.
        """
        self.faults.add(method, error_fault(error_code, description, retry_after), times)

    def stall_next(
        self, method: str | None = "sendMessage", seconds: float = 5.0, times: int = 1
    ) -> None:
        """Hold the next calls for `seconds`, then act on and answer them (even if the client
        has given up: a timed-out send may still have been delivered)."""
        self.faults.add(method, Fault("stall", seconds=seconds), times)

    def drop_next(
        self, method: str | None = "sendMessage", times: int = 1, *, processed: bool = False
    ) -> None:
        """Close the connection without an answer. processed=True acts on the request first:
        the message is delivered but the bot never hears so, as when a response is lost."""
        self.faults.add(method, Fault("drop", processed=processed), times)

    def set_fault_rate(
        self,
        method: str | None = "sendMessage",
        rate: float = 0.1,
        kinds: Iterable[str] = ("429", "500", "502", "drop"),
        seed: int | None = None,
        stall_seconds: float = 1.0,
    ) -> None:
        """Fail a random share of calls with one of kinds ("429", "500", "502", "400", "drop",
        "drop-processed", "stall"), reproducibly for a seed; rate=0 stops. Queued faults still
        come first. "drop" closes the connection before acting on the request, "drop-processed"
        after (the message is delivered; the bot cannot tell the two apart)."""
        self.faults.set_rate(method, rate, kinds, seed, stall_seconds)

    # --- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        download = _FILE_PATH.fullmatch(request.path)
        if download is not None:
            return self._download(download["token"], download["path"])
        match = _PATH.fullmatch(request.path)
        if match is None:
            return _error_response(404, "Not Found")
        try:
            method, params = match["method"], await _read_params(request)
        except ApiError as exc:
            return _error_response(exc.error_code, exc.description)
        entry = self._log("call", method, params)
        if match["token"] != self.token:
            return self._answer(entry, ApiError(401, "Unauthorized"))
        fault = self.faults.take(method)
        if fault is None:
            return await self._call(entry, request)
        if fault.kind == "stall":
            await self._sleep(fault.seconds)
            return await self._call(entry, request)
        if fault.kind == "error":
            self._settle(entry, fault.error_code, fault.description)
            if fault.error_code == 502:  # the nginx in front of the Bot API answers this one
                return web.Response(status=502, text=_NGINX_502, content_type="text/html")
            return web.json_response(fault.body(), status=fault.error_code)
        if fault.processed:
            await self._call(entry, request)
        self._settle(entry, 0, "connection dropped" + (" after acting" if fault.processed else ""))
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)  # never arrives: the connection is gone

    def _download(self, token: str, file_path: str) -> web.Response:
        """GET {base_file_url}{token}/{file_path}: a file's bytes, as Telegram serves them."""
        entry = self._log("call", "downloadFile", {"file_path": file_path})
        if token != self.token:
            return self._answer(entry, ApiError(401, "Unauthorized"))
        data = self.download(file_path)
        if data is None:
            return self._answer(entry, ApiError(404, "Not Found"))
        self._settle(entry, 200)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _call(self, entry: LogEntry, request: web.Request) -> web.Response:
        outcome: Any
        try:
            if entry.method.lower() == "getupdates":
                outcome = await self._get_updates(entry.params, request)
            else:
                outcome = self.call_method(entry.method, entry.params)
        except ApiError as exc:
            outcome = exc
        return self._answer(entry, outcome)

    def _answer(self, entry: LogEntry, outcome: Any) -> web.Response:
        if isinstance(outcome, ApiError):
            self._settle(entry, outcome.error_code, outcome.description)
            return _error_response(outcome.error_code, outcome.description)
        self._settle(entry, 200)
        return web.json_response({"ok": True, "result": outcome})

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def _get_updates(self, params: JSON, request: web.Request) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if params.get("offset") not in (None, ""):
            self._confirm(as_int(params["offset"], "offset"))
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"])
        limit = min(max(as_int(params.get("limit") or 100, "limit"), 1), 100)
        try:
            timeout = float(params.get("timeout") or 0)
        except ValueError as exc:
            raise ApiError(400, "Bad Request: invalid timeout specified") from exc
        self._poll_generation += 1
        generation = self._poll_generation

        def settled() -> bool:
            superseded = generation != self._poll_generation
            return superseded or self._closing.is_set() or bool(self._deliverable())

        self._notify()  # so that a poll still waiting sees it is superseded
        await self._wait(settled, seconds=timeout)
        if generation != self._poll_generation and request.transport is None:
            # The client gave up on this poll (PTB does so on stop) and nobody will read a 409.
            raise ApiError(499, "Client Closed Request")
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self._deliverable()[:limit]


def _error_response(error_code: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": error_code, "description": description}
    return web.json_response(body, status=error_code)


async def _read_params(request: web.Request) -> JSON:
    """Parameters from the query string and a JSON, form or multipart body, JSON-decoded."""
    params: JSON = dict(request.query)
    if request.content_type == "application/json" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse request JSON object") from exc
        params |= body if isinstance(body, dict) else {}
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                value.file.close()  # aiohttp leaves the uploaded file's temporary file open
                params[name] = {"file_name": value.filename, "size": len(content),
                                "content": content, "mime_type": value.content_type}
            else:
                params[name] = value
    return {name: decode_param(name, value) for name, value in params.items()}
