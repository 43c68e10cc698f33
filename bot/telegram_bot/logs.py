"""Keeping secrets out of the logs: the bot token and the webhook secret.

They reach log records in several ways: httpx logs request URLs (which hold the token) at INFO;
PTB's bot logs its API URL and every request's parameters (setWebhook's secret_token among them)
at DEBUG; and PTB's InvalidToken message, logged with its traceback, quotes the token. So every
record is scrubbed where it is made, whichever logger makes it and whichever handler prints it.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from typing import Any

_HIDDEN = "<hidden>"
_secrets: set[str] = set()
_installed = False


def hide_secret(secret: str) -> None:
    """Never let `secret` reach a log record (call it before the secret can be logged)."""
    global _installed
    if len(secret) < 6:  # a tiny "secret" would blank out ordinary words in every line
        return
    _secrets.add(secret)
    for name in ("httpx", "httpcore"):  # their URL lines are noise even once scrubbed
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    if not _installed:
        _installed = True
        _wrap_record_factory()


def hidden_secrets() -> frozenset[str]:
    """Every secret `hide_secret` was given so far (the tests look for them in every log line)."""
    return frozenset(_secrets)


def redact(text: str) -> str:
    """`text` with every hidden secret replaced."""
    for secret in _secrets:
        text = text.replace(secret, _HIDDEN)
    return text


def _wrap_record_factory() -> None:
    make_record = logging.getLogRecordFactory()

    def scrubbed_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        # A bad format string is for the handler to report, as logging does without us.
        with contextlib.suppress(Exception):
            _scrub(record)
        return record

    logging.setLogRecordFactory(scrubbed_record)


def _scrub(record: logging.LogRecord) -> None:
    message = record.getMessage()
    if redact(message) != message:
        record.msg, record.args = redact(message), ()
    if record.exc_info and record.exc_info[1] is not None:
        # A traceback is formatted only when printed: format and scrub it now instead.
        text = "".join(traceback.format_exception(record.exc_info[1])).rstrip("\n")
        if redact(text) != text:
            record.exc_info, record.exc_text = None, redact(text)
