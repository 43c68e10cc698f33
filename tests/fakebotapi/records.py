"""What the fake Bot API remembers: chats and their messages, and records of the bot's calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

# PTB form-encodes every non-string parameter as JSON text; these are the ones that are objects or
# arrays. Decoding only known names keeps a message text like "[1, 2]" a string.
JSON_PARAMS = frozenset(
    {"reply_parameters", "reply_markup", "entities", "caption_entities", "allowed_updates",
     "commands", "scope", "link_preview_options", "media", "results", "options"}
)  # fmt: skip


class ApiError(Exception):
    """A Telegram error answer: HTTP status = error_code, with the exact description."""

    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description


def decode_param(name: str, value: Any) -> Any:
    if isinstance(value, str) and name in JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from exc
    return value


def as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"Bad Request: invalid {name} specified") from exc


def as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


@dataclass
class ChatState:
    """A chat the bot has seen, the messages in it, and (for forums) its topic ids."""

    chat: JSON
    is_forum: bool = False
    topics: set[int] = field(default_factory=set)
    messages: dict[int, JSON] = field(default_factory=dict)
    # Message 1 is the "group created" service message, so real ids, and topic ids, start at 2.
    last_message_id: int = 1

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    @property
    def is_supergroup(self) -> bool:
        return bool(self.chat["type"] == "supergroup")


@dataclass
class LogEntry:
    """One request to the fake (or one update handed to it), logged when it arrives.

    kind is "call" for requests and "update" for queued updates. status is the HTTP status
    answered: None while a call is still being answered, 0 for a dropped connection, 499 for a
    long poll its client abandoned. params are as received: form values stay strings ("42"),
    only object and array parameters are JSON-decoded.
    """

    time: float  # time.monotonic() on arrival
    kind: str
    method: str
    params: JSON
    chat_id: int | None = None
    status: int | None = None
    description: str = ""
    answered_at: float | None = None


@dataclass(frozen=True)
class SentMessage:
    """A message Telegram accepted from the bot (sendMessage or editMessageText)."""

    chat_id: int
    message_id: int
    text: str  # as the user sees it: tags parsed, entities decoded, whitespace trimmed
    raw_text: str  # as the bot sent it
    parse_mode: str | None
    entities: list[JSON]
    reply_to_message_id: int | None
    message_thread_id: int | None
    reply_markup: JSON | None
    params: JSON
    message: JSON  # the Message object answered to the bot
    time: float


@dataclass(frozen=True)
class InlineAnswer:
    """An answerInlineQuery Telegram accepted: the results, and for each the text its message
    would show (tags parsed, as a user sees it once sent)."""

    query_id: str
    results: list[JSON]
    texts: list[str]
    cache_time: int | None
    is_personal: bool
    time: float


@dataclass(frozen=True)
class SentDocument:
    """A file Telegram accepted from the bot (sendDocument), as uploaded."""

    chat_id: int
    message_id: int
    file_name: str
    mime_type: str
    content: bytes
    caption: str  # as the user sees it
    reply_to_message_id: int | None
    message: JSON
    time: float


@dataclass(frozen=True)
class ChatAction:
    chat_id: int
    action: str
    message_thread_id: int | None
    time: float


@dataclass(frozen=True)
class CommandsCall:
    """A setMyCommands (or deleteMyCommands: commands == []) call."""

    commands: list[JSON]
    scope: JSON
    language_code: str
    time: float
