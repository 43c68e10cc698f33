"""Webhook mode: our own small aiohttp web server receives Telegram's POSTs and puts the updates
on the Application's update queue (python-telegram-bot's documented custom-webhook pattern, as in
its `customwebhookbot` example), and answers the load balancer's health check on the same port.

A POST is judged by its headers before its body is read: without Telegram's secret token it gets
403, and one that says it is larger than `BOT_WEBHOOK_MAX_BYTES` gets 413, both without reading a
byte of the body (the connection is then closed rather than drained). A body that does not say its
size is read only up to that limit. So nobody without the secret can make the bot hold memory.
The 200 goes out only once the update is on the queue, which journals it first.

aiohttp rather than starlette and uvicorn: it is already the fake Bot API's server in the tests,
it runs inside the bot's own event loop without taking over its signals, and it hands a request
over once its headers are read, with the body still unread.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.settings import Settings
from bot.telegram_bot.logs import hide_secret
from bot.telegram_bot.runtime import runtime_of
from bot.telegram_bot.sending import with_retries

log = logging.getLogger(__name__)

BotApp = Application[Any, Any, Any, Any, Any, Any]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# New messages and presses of the bot's inline buttons: edits, channel posts and the rest would
# be ignored anyway.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
_NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where to listen, and what to tell Telegram in setWebhook."""

    listen: str
    port: int
    url_path: str  # without the leading slash, as in BOT_WEBHOOK_URL
    webhook_url: str
    secret_token: str
    health_path: str | None
    max_bytes: int


def webhook_secret(settings: Settings) -> str:
    """BOT_WEBHOOK_SECRET, or when it is unset one derived from the token: every instance of a bot
    behind one load balancer then agrees on it, and nobody without the token can work it out."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    if settings.token is None:
        raise ValueError("BOT_TOKEN is not set")
    token = settings.token.get_secret_value().encode()
    # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -: hex digits are among them.
    return hmac.new(token, b"telegram webhook secret token", hashlib.sha256).hexdigest()


def webhook_options(settings: Settings) -> Webhook:
    """Listen on the path of BOT_WEBHOOK_URL; require Telegram to echo the secret token."""
    if settings.webhook_url is None:
        raise ValueError("BOT_WEBHOOK_URL is not set")
    secret = webhook_secret(settings)
    hide_secret(secret)
    if settings.webhook_secret is None:
        log.info("BOT_WEBHOOK_SECRET is not set: using one derived from the token, the same on "
                 "every instance of this bot")
    path = urlsplit(settings.webhook_url).path.strip("/")
    return Webhook(settings.listen, settings.port, path, settings.webhook_url, secret,
                   settings.health_path, settings.webhook_max_bytes)


class WebhookServer:
    """The web server of one bot: `start` listens and registers the webhook with Telegram;
    `stopping` turns POSTs and health checks away with 503; `close` stops listening."""

    def __init__(self, app: BotApp, options: Webhook) -> None:
        self.app = app
        self.options = options
        self.serving = False
        web_app = web.Application(client_max_size=options.max_bytes)
        web_app.router.add_post("/" + options.url_path, self.receive)
        if options.health_path:
            web_app.router.add_get(options.health_path, self.health)  # HEAD too
        # No access log: some operators put secrets in their webhook path. With no lingering, an
        # unread body (a refused POST) closes the connection instead of being read and dropped.
        self._runner = web.AppRunner(web_app, handle_signals=False, access_log=None,
                                     lingering_time=0)

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.listen, self.options.port)
        await site.start()
        self.serving = True
        await with_retries(lambda: self.app.bot.set_webhook(
            self.options.webhook_url, secret_token=self.options.secret_token,
            allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False), "setWebhook")
        log.info("listening for Telegram on %s:%d at /%s", self.options.listen,
                 self.options.port, self.options.url_path)

    def stopping(self) -> None:
        self.serving = False

    async def close(self) -> None:
        self.serving = False
        await self._runner.cleanup()

    async def receive(self, request: web.Request) -> web.Response:
        """Telegram's POST: checked by its headers, then read, journaled and queued."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.options.secret_token.encode()):
            log.debug("refused a webhook POST from %s: wrong or missing secret token",
                      request.remote)
            return web.Response(status=403)
        if request.content_length is not None and request.content_length > self.options.max_bytes:
            log.warning("refused a webhook POST of %d bytes (BOT_WEBHOOK_MAX_BYTES is %d)",
                        request.content_length, self.options.max_bytes)
            return web.Response(status=413)
        if not self.serving or not self.app.running:
            return web.Response(status=503)  # Telegram delivers it again later
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) else None
        except Exception as exc:  # whatever it is, it is not an update we can answer
            log.warning("refused a webhook POST that is not a Telegram update: %r", exc)
            return web.Response(status=400)
        if update is None:
            log.warning("refused a webhook POST that is not a Telegram update")
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response()

    async def health(self, _: web.Request) -> web.Response:
        status, body = health_of(self.app, self.serving)
        return web.Response(status=status, body=json.dumps(body).encode(),
                            content_type="application/json", headers=_NO_STORE)


def health_of(app: BotApp, serving: bool = True) -> tuple[int, dict[str, Any]]:
    """200 with what is being served while the bot runs; 503 while it starts or stops."""
    if not (serving and app.running):
        return 503, {"status": "unavailable"}
    index = runtime_of(app.bot_data).service.index
    return 200, {"status": "ok", "documents": len(index.knowledge.documents),
                 "passages": len(index)}
