"""The webhook port's health check: `GET /healthz` answers 200 while the bot serves and 503 while
it starts or stops, so that a load balancer in front of several instances sends Telegram's POSTs
only to instances that will answer them.

python-telegram-bot's webhook server routes the webhook path and nothing else, and has no hook for
another route. Its Updater builds the server's tornado application from `WebhookAppClass`, looked
up in its own module when the webhook starts; the subclass here adds the health route to the
application of each bot that asked for one (found by its update queue, which the Updater passes).
"""

from __future__ import annotations

import json
import logging
import re
import weakref
from collections.abc import Callable
from typing import Any

import tornado.web
from telegram.ext import Application
from telegram.ext import _updater as ptb_updater
from telegram.ext._utils.webhookhandler import WebhookAppClass

from bot.telegram_bot.runtime import runtime_of

log = logging.getLogger(__name__)

Probe = Callable[[], tuple[int, dict[str, Any]]]
# Update queue -> (health path, probe). Weak, so that a finished Application is not kept alive.
_PROBES: weakref.WeakKeyDictionary[object, tuple[str, Probe]] = weakref.WeakKeyDictionary()


class HealthHandler(tornado.web.RequestHandler):
    """GET or HEAD: the probe's status; a small JSON body for GET."""

    def initialize(self, probe: Probe) -> None:
        self._probe = probe

    def _answer(self, with_body: bool) -> None:
        status, body = self._probe()
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body) if with_body else None)

    def get(self) -> None:
        self._answer(with_body=True)

    def head(self) -> None:
        self._answer(with_body=False)


class WebhookWithHealth(WebhookAppClass):
    """PTB's webhook application, plus the health route of the bot whose queue it serves."""

    def __init__(self, webhook_path: str, bot: Any, update_queue: Any,
                 secret_token: str | None = None) -> None:
        super().__init__(webhook_path, bot, update_queue, secret_token)
        wanted = _PROBES.get(update_queue)
        if wanted is not None:
            path, probe = wanted
            # Checked before the webhook route; any other path still falls through to PTB's 404.
            self.add_handlers(r".*", [(re.escape(path), HealthHandler, {"probe": probe})])


def serve_health(app: Application[Any, Any, Any, Any, Any, Any], path: str) -> None:
    """Answer `path` on the webhook's port with the state of `app`."""
    _PROBES[app.update_queue] = (path, lambda: probe(app))
    namespace = vars(ptb_updater)  # where Updater.start_webhook looks the class up
    if namespace.get("WebhookAppClass") is not WebhookWithHealth:
        namespace["WebhookAppClass"] = WebhookWithHealth


def probe(app: Application[Any, Any, Any, Any, Any, Any]) -> tuple[int, dict[str, Any]]:
    """200 with what is being served while the Application runs; 503 before and after."""
    if not app.running:
        return 503, {"status": "unavailable"}
    index = runtime_of(app.bot_data).service.index
    return 200, {"status": "ok", "documents": len(index.knowledge.documents),
                 "passages": len(index)}
