"""The Bot API methods the fake answers, checking parameters the way Telegram does."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .records import (
    JSON,
    ApiError,
    ChatAction,
    ChatState,
    CommandsCall,
    InlineAnswer,
    SentDocument,
    SentMessage,
    as_bool,
    as_int,
)
from .telegram_html import (
    ParsedText,
    TelegramHtmlError,
    check_message_text,
    parse_telegram_html,
    strip_message_text,
    utf16_len,
)
from .world import World, update_type

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)  # fmt: skip
# Without allowed_updates Telegram sends every type except these.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_TOO_OLD = ("Bad Request: query is too old and response timeout expired or query ID is "
            "invalid")
_MAX_INLINE_RESULTS = 50
_INLINE_TYPES = frozenset({"article", "photo", "gif", "mpeg4_gif", "video", "audio", "voice",
                           "document", "location", "venue", "contact", "game", "sticker"})
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # what the Bot API takes from a bot
MAX_CAPTION_LENGTH = 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def _scope_key(scope: JSON | None, language_code: str) -> tuple[str, str]:
    return repr(sorted((scope or {"type": "default"}).items())), language_code


class BotApiMethods(World):
    """Synchronous Bot API methods (all but getUpdates) and the records of what they did."""

    def __init__(self, bot_user: JSON, me: JSON) -> None:
        super().__init__(bot_user)
        self.me = me
        self.sent_messages: list[SentMessage] = []
        self.edited_messages: list[SentMessage] = []
        self.sent_documents: list[SentDocument] = []
        self.chat_actions: list[ChatAction] = []
        self.commands: list[CommandsCall] = []
        self.callback_answers: list[JSON] = []
        self.inline_answers: list[InlineAnswer] = []
        self.inline_placeholder = ""
        self.webhook_url = ""
        self._allowed_updates: list[str] = []
        self._my_commands: dict[tuple[str, str], list[JSON]] = {}
        self.file_paths: dict[str, str] = {}  # file_path given by getFile -> file_id
        self._methods: dict[str, Callable[[JSON], Any]] = {
            "getme": lambda _: self.me,
            "sendmessage": self._send_message,
            "senddocument": self._send_document,
            "editmessagetext": self._edit_message_text,
            "deletemessage": self._delete_message,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": lambda params: self._store_commands(params, []),
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "answercallbackquery": self._answer_callback_query,
            "answerinlinequery": self._answer_inline_query,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "getfile": self._get_file,
            "close": lambda _: True,
            "logout": lambda _: True,
        }

    def call_method(self, method: str, params: JSON) -> Any:
        """The result of a synchronous method; raises ApiError as Telegram would answer."""
        handler = self._methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        try:
            return handler(params)
        except TelegramHtmlError as exc:
            raise ApiError(400, exc.description) from exc

    # --- what was done ------------------------------------------------------------------------

    @property
    def calls(self) -> list[tuple[str, JSON]]:
        """(method, params) of every request, in arrival order, failed ones included."""
        return [(entry.method, entry.params) for entry in self.log if entry.kind == "call"]

    def calls_of(self, method: str) -> list[JSON]:
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def messages_in(self, chat_id: int) -> list[SentMessage]:
        return [message for message in self.sent_messages if message.chat_id == chat_id]

    def my_commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands currently set for a scope (the default scope if None) and language."""
        return self._my_commands.get(_scope_key(scope, language_code), [])

    def max_messages_in_window(self, seconds: float = 1.0, chat_id: int | None = None) -> int:
        """Most messages accepted from the bot within any `seconds`-long stretch (in one chat)."""
        times = [m.time for m in self.sent_messages if chat_id in (None, m.chat_id)]
        start, most = 0, 0
        for end, moment in enumerate(times):
            while start < end and moment - times[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    # --- parameter checks ---------------------------------------------------------------------

    def _chat_of(self, params: JSON) -> ChatState:
        if params.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        state = self._chats.get(self._chat_id_or_none(params["chat_id"]) or 0)
        if state is None:
            raise ApiError(400, "Bad Request: chat not found")
        return state

    def _thread_of(self, state: ChatState, params: JSON) -> int | None:
        if params.get("message_thread_id") in (None, ""):
            return None
        thread_id = as_int(params["message_thread_id"], "message_thread_id")
        # A forum's General topic is no thread to the Bot API: messages there omit the id.
        known = state.topics if state.is_forum else set(state.messages)
        if thread_id not in known or not state.is_supergroup:
            raise ApiError(400, "Bad Request: message thread not found")
        return thread_id

    def _reply_target(self, state: ChatState, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):  # PTB 22 turns reply_to_message_id into this
            message_id, allow = reply.get("message_id"), reply.get("allow_sending_without_reply")
            if reply.get("chat_id") not in (None, ""):
                state = self._chat_of(reply)
        else:
            message_id = params.get("reply_to_message_id")
            allow = params.get("allow_sending_without_reply")
        if message_id in (None, ""):
            return None
        target = state.messages.get(as_int(message_id, "message_id"))
        if target is None and not as_bool(allow):
            raise ApiError(400, "Bad Request: message to be replied not found")
        return target

    def _message_text(self, params: JSON, check: bool = True) -> ParsedText:
        text, mode = str(params.get("text") or ""), str(params.get("parse_mode") or "")
        if mode.lower() == "html":
            parsed = parse_telegram_html(text)
        elif mode.lower() in ("markdown", "markdownv2"):
            parsed = ParsedText(text)  # accepted unchecked: this fake only knows HTML
        elif mode:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        else:
            parsed = ParsedText(text, list(params.get("entities") or []))
        return check_message_text(parsed) if check else strip_message_text(parsed)

    def _record(self, params: JSON, parsed: ParsedText, message: JSON) -> SentMessage:
        reply_to = message.get("reply_to_message") or {}
        markup = params.get("reply_markup")
        return SentMessage(
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=parsed.text,
            raw_text=str(params.get("text") or ""),
            parse_mode=params.get("parse_mode") or None,
            entities=parsed.entities,
            # A topic's creation message stands in as the reply of unreplied topic messages.
            reply_to_message_id=None
            if "forum_topic_created" in reply_to
            else reply_to.get("message_id"),
            message_thread_id=message.get("message_thread_id"),
            reply_markup=markup if isinstance(markup, dict) else None,
            params=params,
            message=message,
            time=time.monotonic(),
        )

    # --- methods ------------------------------------------------------------------------------

    def _send_message(self, params: JSON) -> JSON:
        state = self._chat_of(params)
        thread_id = self._thread_of(state, params)
        parsed = self._message_text(params)
        reply_to = self._reply_target(state, params)
        fields: JSON = {"text": parsed.text}
        fields |= {"entities": parsed.entities} if parsed.entities else {}
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # only these are echoed
            fields["reply_markup"] = check_inline_keyboard(markup)
        message = self.new_message(state, self.bot_user, reply_to, thread_id, fields)
        self.sent_messages.append(self._record(params, parsed, message))
        return message

    def _send_document(self, params: JSON) -> JSON:
        state = self._chat_of(params)
        thread_id = self._thread_of(state, params)
        upload = params.get("document")
        if isinstance(upload, str) and upload.startswith("attach://"):
            upload = params.get(upload.removeprefix("attach://"))
        if not isinstance(upload, dict):
            # A file_id or URL names a file Telegram already has; this fake holds none.
            raise ApiError(400, "Bad Request: there is no document in the request"
                           if upload in (None, "") else "Bad Request: wrong file identifier/HTTP "
                           "URL specified")
        if not upload["size"]:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if upload["size"] > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        caption = self._caption(params)
        reply_to = self._reply_target(state, params)
        # Files the bot sends are Telegram's files too: getFile serves them like users' files.
        self._file_count += 1
        file_id = f"BQACAgIAAxkBAAI{self._file_count:06d}"
        self.files[file_id] = upload["content"]
        self.file_names[file_id] = str(upload["file_name"])
        document: JSON = {
            "file_name": upload["file_name"], "mime_type": upload["mime_type"],
            "file_id": file_id, "file_unique_id": f"AgAD{self._file_count:06d}",
            "file_size": upload["size"]}
        fields: JSON = {"document": document}
        fields |= {"caption": caption.text} if caption.text else {}
        fields |= {"caption_entities": caption.entities} if caption.entities else {}
        message = self.new_message(state, self.bot_user, reply_to, thread_id, fields)
        reply = message.get("reply_to_message") or {}
        self.sent_documents.append(SentDocument(
            chat_id=state.id, message_id=message["message_id"],
            file_name=str(upload["file_name"]), mime_type=str(upload["mime_type"]),
            content=upload["content"], caption=caption.text,
            reply_to_message_id=None if "forum_topic_created" in reply else reply.get("message_id"),
            message=message, time=time.monotonic()))
        return message

    def _caption(self, params: JSON) -> ParsedText:
        text = self._message_text({"text": params.get("caption"),
                                   "parse_mode": params.get("parse_mode"),
                                   "entities": params.get("caption_entities")}, check=False)
        if utf16_len(text.text) > MAX_CAPTION_LENGTH:
            raise ApiError(400, "Bad Request: message caption is too long")
        return text

    def _own_message(self, params: JSON) -> JSON:
        """The bot's message that params' chat_id and message_id name, as an edit finds it."""
        state = self._chat_of(params)
        message = state.messages.get(as_int(params.get("message_id"), "message_id"))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _edit_message_text(self, params: JSON) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        message = self._own_message(params)
        parsed = self._message_text(params)
        markup = params.get("reply_markup") or None
        if isinstance(markup, dict):
            check_inline_keyboard(markup)
        old = (message.get("text"), message.get("entities", []), message.get("reply_markup"))
        if (parsed.text, parsed.entities, markup) == old:
            raise ApiError(400, _NOT_MODIFIED)
        message |= {"text": parsed.text, "entities": parsed.entities, "edit_date": int(time.time())}
        message.pop("reply_markup", None)
        message |= {"reply_markup": markup} if markup else {}
        self.edited_messages.append(self._record(params, parsed, message))
        return message

    def _delete_message(self, params: JSON) -> bool:
        state = self._chat_of(params)
        if state.messages.pop(as_int(params.get("message_id"), "message_id"), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _send_chat_action(self, params: JSON) -> bool:
        state = self._chat_of(params)
        thread_id = self._thread_of(state, params)
        action = str(params.get("action") or "")
        if action not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append(ChatAction(state.id, action, thread_id, time.monotonic()))
        return True

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, 'Bad Request: parameter "commands" is required')
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        return self._store_commands(params, commands)

    def _store_commands(self, params: JSON, commands: list[JSON]) -> bool:
        scope = params.get("scope") or {"type": "default"}
        language = str(params.get("language_code") or "")
        self._my_commands[_scope_key(scope, language)] = commands
        self.commands.append(CommandsCall(commands, scope, language, time.monotonic()))
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.my_commands(params.get("scope"), str(params.get("language_code") or ""))

    def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self.open_callbacks:
            # Unknown, or answered already: Telegram accepts one answer per query.
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or "
                                "query ID is invalid")
        self.open_callbacks.discard(query_id)
        text = str(params.get("text") or "")
        if len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers.append(params)
        return True

    def enable_inline_mode(self, placeholder: str = "Search...") -> None:
        """BotFather's /setinline: from now on getMe says the bot supports inline queries,
        and users can send them (`send_inline_query`)."""
        self.inline_mode = True
        self.me = self.me | {"supports_inline_queries": True}
        self.inline_placeholder = placeholder

    def _answer_inline_query(self, params: JSON) -> bool:
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self.open_inline_queries:
            raise ApiError(400, _TOO_OLD)  # unknown, or answered already: one answer each
        results = params.get("results")
        if not isinstance(results, list):
            raise ApiError(400, 'Bad Request: parameter "results" is required')
        if len(results) > _MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        if len(str(params.get("next_offset") or "").encode()) > 64:
            raise ApiError(400, "Bad Request: NEXT_OFFSET_INVALID")
        seen: set[str] = set()
        texts = [self._inline_result(result, seen) for result in results]
        self.open_inline_queries.discard(query_id)
        cache_time = params.get("cache_time")
        self.inline_answers.append(InlineAnswer(
            query_id, results, texts, None if cache_time in (None, "") else
            as_int(cache_time, "cache_time"), as_bool(params.get("is_personal")),
            time.monotonic()))
        return True

    def _inline_result(self, result: Any, seen: set[str]) -> str:
        """Check one InlineQueryResult as Telegram does; the text its message would show."""
        if not isinstance(result, dict) or result.get("type") not in _INLINE_TYPES:
            raise ApiError(400, "Bad Request: RESULT_TYPE_INVALID")
        result_id = str(result.get("id") or "")
        if not 1 <= len(result_id.encode()) <= 64:
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        if result_id in seen:
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        seen.add(result_id)
        if result["type"] != "article":
            return ""
        if not str(result.get("title") or "").strip():
            raise ApiError(400, "Bad Request: RESULT_TITLE_EMPTY")
        content = result.get("input_message_content")
        if not isinstance(content, dict) or "message_text" not in content:
            raise ApiError(400, "Bad Request: can't parse inline query result: "
                                "InputMessageContent must be an Object")
        if "reply_markup" in result:
            check_inline_keyboard(result["reply_markup"])
        # The message it sends is checked as sendMessage checks one (HTML, length).
        return self._message_text({"text": content.get("message_text"),
                                   "parse_mode": content.get("parse_mode"),
                                   "entities": content.get("entities")}).text

    def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        message = self._own_message(params)
        markup = params.get("reply_markup") or None
        if isinstance(markup, dict):
            check_inline_keyboard(markup)
        if markup == message.get("reply_markup"):
            raise ApiError(400, _NOT_MODIFIED)
        message.pop("reply_markup", None)
        message |= {"reply_markup": markup} if markup else {}
        return message

    def _get_file(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id") or "")
        if not file_id:
            raise ApiError(400, "Bad Request: file_id not specified")
        data = self.files.get(file_id)
        if data is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(data) > MAX_DOWNLOAD_BYTES:  # Telegram serves bots files of at most 20 MB
            raise ApiError(400, "Bad Request: file is too big")
        suffix = Path(str(self.file_names.get(file_id, ""))).suffix
        path = f"documents/file_{len(self.file_paths)}{suffix}"
        self.file_paths[path] = file_id
        unique = file_id.replace("BQACAgIAAxkBAAI", "AgAD")
        return {"file_id": file_id, "file_unique_id": unique, "file_size": len(data),
                "file_path": path}

    def download(self, file_path: str) -> bytes | None:
        """The bytes at a file_path getFile gave, as the file download URL serves them."""
        file_id = self.file_paths.get(file_path)
        return None if file_id is None else self.files.get(file_id)

    def _set_webhook(self, params: JSON) -> bool:
        self.webhook_url = str(params.get("url") or "")
        if as_bool(params.get("drop_pending_updates")):
            self._pending.clear()
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        return self._set_webhook({"drop_pending_updates": params.get("drop_pending_updates")})

    def _get_webhook_info(self, _: JSON) -> JSON:
        info: JSON = {"url": self.webhook_url, "has_custom_certificate": False}
        return info | {"pending_update_count": len(self._pending)}

    # --- getUpdates bookkeeping (the long poll itself is in FakeBotApi) ------------------------

    def _confirm(self, offset: int) -> None:
        if offset < 0:  # Telegram: the last -offset updates stay, older ones are forgotten
            del self._pending[: max(len(self._pending) + offset, 0)]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def _deliverable(self) -> list[JSON]:
        # Telegram does not keep updates of types the bot did not ask for, so neither does this.
        allowed = set(self._allowed_updates)
        self._pending = [
            u
            for u in self._pending
            if update_type(u) in allowed or (not allowed and update_type(u) not in _OPT_IN_UPDATES)
        ]
        return self._pending


def check_inline_keyboard(markup: JSON) -> JSON:
    """An inline keyboard as Telegram checks it: rows of buttons, each with a text and one
    action; callback_data of 1 to 64 bytes."""
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup "
                            "should be an Array of Arrays")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline "
                                    "keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup
