"""The Telegram side of the fake: users, chats, forum topics, messages and the update queue."""

from __future__ import annotations

import asyncio
import mimetypes
import re
import time
from typing import Any

from .records import JSON, ChatState, LogEntry
from .telegram_html import utf16_len

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}")
DEFAULT_USER_ID = 1000  # who speaks in a group when a test doesn't say


def entities_for(text: str) -> list[JSON]:
    """bot_command and mention entities, which Telegram adds to every user message itself."""
    found = [("bot_command", m) for m in _COMMAND.finditer(text)]
    found += [("mention", m) for m in _MENTION.finditer(text)]
    entities = [
        {"type": kind, "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for kind, m in found
    ]
    return sorted(entities, key=lambda entity: int(entity["offset"]))


def update_type(update: JSON) -> str:
    return next((key for key in update if key != "update_id"), "")


class World:
    """Chats and messages as Telegram holds them, plus the log every change is written to."""

    def __init__(self, bot_user: JSON) -> None:
        self.bot_user = bot_user
        self.inline_mode = False  # BotFather's /setinline: see BotApiMethods.enable_inline_mode
        self.log: list[LogEntry] = []
        self._chats: dict[int, ChatState] = {}
        self._users: dict[int, JSON] = {}
        self._callback_ids = 0
        self._file_count = 0
        self.files: dict[str, bytes] = {}  # file_id -> the bytes a user sent
        self.file_names: dict[str, str] = {}  # file_id -> the name it was sent under
        self.open_callbacks: set[str] = set()  # callback queries not answered yet
        self._inline_ids = 0
        self.open_inline_queries: set[str] = set()  # inline queries not answered yet
        self._pending: list[JSON] = []
        self._last_update_id = 0
        self._changed = asyncio.Event()

    def user(
        self,
        user_id: int,
        first_name: str = "User",
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
        is_bot: bool = False,
    ) -> JSON:
        """Register a user; return the User dict."""
        optional = {"username": username, "last_name": last_name, "language_code": language_code}
        user = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
        user |= {key: value for key, value in optional.items() if value is not None}
        self._users[user_id] = user
        return user

    def private_chat(self, user_id: int, first_name: str = "User", **user_fields: Any) -> JSON:
        """Register a user and their private chat with the bot; return the Chat dict."""
        user = self.user(user_id, first_name, **user_fields)
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        chat |= {key: user[key] for key in ("username", "last_name") if key in user}
        return self._add_chat(ChatState(chat)).chat

    def group_chat(
        self,
        chat_id: int,
        title: str = "Group",
        *,
        supergroup: bool = True,
        forum: bool = False,
        username: str | None = None,
    ) -> JSON:
        """Register a group, supergroup or forum the bot is a member of; return the Chat dict."""
        if forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        chat: JSON = {"id": chat_id, "type": "supergroup" if supergroup else "group"}
        chat["title"] = title
        chat |= {"is_forum": True} if forum else {}
        chat |= {"username": username} if username else {}
        return self._add_chat(ChatState(chat, is_forum=forum)).chat

    def add_topic(self, chat_id: int, name: str = "Topic", *, creator: int | None = None) -> int:
        """Create a forum topic; its id (message_thread_id) is the id of its creation message."""
        state = self._state(chat_id)
        if not state.is_forum:
            raise ValueError(f"chat {chat_id} is not a forum; use group_chat(..., forum=True)")
        message = self.new_message(state, self._sender(state, creator))
        message["forum_topic_created"] = {"name": name, "icon_color": 7322096}
        message |= {"message_thread_id": message["message_id"], "is_topic_message": True}
        state.topics.add(message["message_id"])
        return int(message["message_id"])

    def send_user_message(
        self,
        chat_id: int,
        text: str = "",
        *,
        from_user: JSON | int | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
        entities: list[JSON] | None = None,
        is_bot: bool = False,
        extra: JSON | None = None,
    ) -> int:
        """Queue an update with a user's message, built as Telegram would; return its message_id.

        from_user: a User dict, a registered user id, or None for the private chat's owner (user
        1000 in groups). entities=None adds bot_command and mention entities as Telegram does.
        extra: more Message fields (sticker, photo, ...).
        """
        state = self._state(chat_id)
        sender = self._sender(state, from_user) | ({"is_bot": True} if is_bot else {})
        reply_to = None
        if reply_to_message_id is not None:
            reply_to = state.messages.get(reply_to_message_id)
            if reply_to is None:
                raise ValueError(f"chat {chat_id} has no message {reply_to_message_id}")
        if message_thread_id is not None and message_thread_id not in state.topics:
            raise ValueError(f"chat {chat_id} has no topic {message_thread_id}; add_topic first")
        entities = entities_for(text) if entities is None else entities
        fields = ({"text": text} if text else {}) | ({"entities": entities} if entities else {})
        message = self.new_message(
            state, sender, reply_to, message_thread_id, fields | (extra or {})
        )
        self.queue_update({"message": message})
        return int(message["message_id"])

    def send_user_document(
        self,
        chat_id: int,
        data: bytes,
        file_name: str | None = "document.txt",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        from_user: JSON | int | None = None,
    ) -> int:
        """Queue a user's message with a file sent as a document, as Telegram delivers it (a
        `document` with file_id, file_unique_id, file_name, mime_type, file_size, and the
        caption if any); the bytes are kept for getFile and the download URL. Return the
        message_id. file_name=None sends a file without a name, as some clients can."""
        self._file_count += 1
        file_id = f"BQACAgIAAxkBAAI{self._file_count:06d}"
        unique = f"AgAD{self._file_count:06d}"
        self.files[file_id] = data
        self.file_names[file_id] = file_name or ""
        guessed = mimetypes.guess_type(file_name or "")[0]
        document: JSON = {"file_id": file_id, "file_unique_id": unique, "file_size": len(data),
                          "mime_type": mime_type or guessed or "application/octet-stream"}
        document |= {"file_name": file_name} if file_name is not None else {}
        extra: JSON = {"document": document}
        if caption:
            extra |= {"caption": caption, "caption_entities": entities_for(caption)}
            if not extra["caption_entities"]:
                del extra["caption_entities"]
        return self.send_user_message(chat_id, from_user=from_user, entities=[], extra=extra)

    def edit_user_message(self, chat_id: int, message_id: int, text: str) -> int:
        """Queue an edited_message update for a user's earlier message; return the update_id."""
        message = self._state(chat_id).messages[message_id]
        message |= {"text": text, "edit_date": int(time.time()), "entities": entities_for(text)}
        if not message["entities"]:
            del message["entities"]
        return self.queue_update({"edited_message": dict(message)})

    def press_button(self, chat_id: int, message_id: int, data: str, *,
                     from_user: JSON | int | None = None) -> str:
        """Queue a callback_query update: a user pressed the inline button of one of the bot's
        messages whose callback_data is `data`; return the query's id (which the bot must
        answer, once, with answerCallbackQuery). Raises if the message has no such button, as
        no client could send that data."""
        state = self._state(chat_id)
        message = state.messages.get(message_id)
        if message is None:
            raise ValueError(f"chat {chat_id} has no message {message_id}")
        buttons = [button for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                   for button in row]
        if not any(button.get("callback_data") == data for button in buttons):
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        self._callback_ids += 1
        query_id = str(self._callback_ids)
        self.open_callbacks.add(query_id)
        self.queue_update({"callback_query": {
            "id": query_id, "from": self._sender(state, from_user),
            "message": dict(message), "chat_instance": str(chat_id), "data": data}})
        return query_id

    def send_inline_query(self, query: str, *, from_user: JSON | int | None = None,
                          chat_type: str = "private", offset: str = "") -> str:
        """Queue an inline_query update: a user typed "@bot query" in a chat of `chat_type`
        ("sender", "private", "group", "supergroup", "channel"); return the query's id, which
        the bot answers, once, with answerInlineQuery. Telegram sends these only to a bot
        whose inline mode is on (BotFather's /setinline): see `enable_inline_mode`."""
        if not self.inline_mode:
            raise ValueError("inline mode is off: Telegram sends no inline queries to this bot; "
                             "call enable_inline_mode() first, as /setinline in BotFather")
        if len(query) > 256:
            raise ValueError("Telegram cuts inline queries at 256 characters")
        user_id = DEFAULT_USER_ID if from_user is None else from_user
        sender = user_id if isinstance(user_id, dict) else (
            self._users.get(user_id) or self.user(user_id, f"User {user_id}"))
        self._inline_ids += 1
        query_id = str(9_000_000 + self._inline_ids)
        self.open_inline_queries.add(query_id)
        self.queue_update({"inline_query": {"id": query_id, "from": sender, "query": query,
                                            "offset": offset, "chat_type": chat_type}})
        return query_id

    def queue_update(self, update: JSON) -> int:
        """Queue a raw Update for getUpdates (update_id is added if missing); return its id.

        Chats and messages inside it are remembered, so the bot can answer and reply to them.
        """
        update = dict(update)
        if "update_id" in update:
            self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        else:
            self._last_update_id += 1
            update["update_id"] = self._last_update_id
        for value in update.values():
            if isinstance(value, dict) and isinstance(value.get("chat"), dict):
                chat = value["chat"]
                state = self._chats.get(chat["id"]) or self._add_chat(ChatState(chat))
                state.messages.setdefault(value["message_id"], value)
                state.last_message_id = max(state.last_message_id, value["message_id"])
        self._pending.append(update)
        self._settle(self._log("update", update_type(update), update), 200)
        return int(update["update_id"])

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._pending)

    def chat(self, chat_id: int) -> JSON:
        return self._state(chat_id).chat

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """A message as Telegram stores it (the bot's ones as answered to sendMessage)."""
        return self._state(chat_id).messages.get(message_id)

    def new_message(
        self,
        state: ChatState,
        sender: JSON,
        reply_to: JSON | None = None,
        thread_id: int | None = None,
        fields: JSON | None = None,
    ) -> JSON:
        """Store a new message with Telegram's thread and reply fields; return it."""
        state.last_message_id += 1
        message: JSON = {"message_id": state.last_message_id, "from": sender}
        message |= {"chat": state.chat, "date": int(time.time())}
        if state.is_forum:
            if thread_id is None and reply_to is not None and reply_to.get("is_topic_message"):
                thread_id = reply_to.get("message_thread_id")
            if thread_id is not None:
                message |= {"message_thread_id": thread_id, "is_topic_message": True}
                # Telegram's quirk: a plain message in a topic replies to the topic's creation.
                reply_to = reply_to or state.messages.get(thread_id)
        elif state.is_supergroup and (thread_id or reply_to):
            # Replies in a plain supergroup carry the id of their reply thread's first message,
            # without is_topic_message: bots that copy it back must check that flag.
            root = reply_to and reply_to.get("message_thread_id", reply_to["message_id"])
            message["message_thread_id"] = thread_id or root
        message |= fields or {}
        if reply_to is not None:  # Telegram never nests a reply inside a reply_to_message
            message["reply_to_message"] = {
                key: value for key, value in reply_to.items() if key != "reply_to_message"
            }
        state.messages[state.last_message_id] = message
        return message

    def _log(self, kind: str, method: str, params: JSON) -> LogEntry:
        chat_id = self._chat_id_or_none(params["chat_id"]) if "chat_id" in params else None
        entry = LogEntry(time.monotonic(), kind, method, params, chat_id)
        self.log.append(entry)
        self._notify()
        return entry

    def _settle(self, entry: LogEntry, status: int, description: str = "") -> None:
        entry.status, entry.description, entry.answered_at = status, description, time.monotonic()
        self._notify()

    def _notify(self) -> None:
        # Swap in a fresh event so every waiter wakes once per change and then re-checks.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _add_chat(self, state: ChatState) -> ChatState:
        self._chats[state.id] = state
        return state

    def _chat_id_or_none(self, raw: Any) -> int | None:
        if isinstance(raw, str) and raw.startswith("@"):
            wanted = raw[1:].lower()
            found = (
                s.id for s in self._chats.values() if s.chat.get("username", "").lower() == wanted
            )
            return next(found, None)
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    def _state(self, chat_id: int) -> ChatState:
        if chat_id not in self._chats:
            raise ValueError(f"unknown chat {chat_id}; create it with private_chat or group_chat")
        return self._chats[chat_id]

    def _sender(self, state: ChatState, from_user: JSON | int | None) -> JSON:
        if isinstance(from_user, dict):
            self._users[from_user["id"]] = from_user
            return from_user
        if from_user is None and state.chat["type"] == "private":
            return self._users[state.id]
        user_id = DEFAULT_USER_ID if from_user is None else from_user
        return self._users.get(user_id) or self.user(user_id, f"User {user_id}")
