"""Telegram's HTML parse mode, re-implemented after tdlib's parser so tests can check bot output.

`parse_telegram_html` turns HTML into the visible text and MessageEntity dicts, raising on what
Telegram rejects; `validate_telegram_html` adds the sendMessage checks (empty, too long).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT_LENGTH = 4096  # UTF-16 code units of visible text, as telegram.constants.MessageLimit

ALLOWED_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
     "tg-emoji", "pre", "code", "blockquote"}
)  # fmt: skip
_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "code": "code", "pre": "pre",
}  # fmt: skip
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# tdlib's is_space: Python's str.isspace would also accept Unicode spaces Telegram doesn't.
_SPACE = " \t\r\n\v\f\0"
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_ENTITY = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([A-Za-z]+))(;?)")


class TelegramHtmlError(ValueError):
    """Text Telegram would refuse; `description` is the Bot API's exact error description."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class ParsedText:
    """Visible text and its MessageEntity dicts (offsets and lengths in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the visible text


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two code units."""
    return len(text.encode("utf-16-le")) // 2


def _parse_error(what: str) -> TelegramHtmlError:
    return TelegramHtmlError(f"Bad Request: can't parse entities: {what}")


def _byte_offset(html: str, index: int) -> int:
    return len(html[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(html: str, i: int) -> tuple[str, int] | None:
    """The character an `&...` at i stands for and where it ends, or None to keep `&` literally.

    Stricter than Telegram on purpose: `&nbsp;` or `&apos;` would be shown to the user literally,
    which is always a rendering bug, so an unknown *named* entity with its `;` is an error here.
    """
    match = _ENTITY.match(html, i)
    if match is None:
        return None
    hex_digits, digits, name, semicolon = match.groups()
    if name is not None:
        if name in _NAMED_ENTITIES:
            return _NAMED_ENTITIES[name], match.end()
        if semicolon:
            at = _byte_offset(html, i)
            raise _parse_error(
                f'unknown HTML entity "&{name};" at byte offset {at} '
                "(Telegram would show it literally; use &lt; &gt; &amp; &quot; or &#NNN;)",
            )
        return None  # "Q&A": Telegram keeps the ampersand
    code = int(hex_digits, 16) if hex_digits is not None else int(digits)
    if code == 0 or code >= 0x10FFFF or match.start(4) - i >= 10:
        return None  # tdlib's limits; such a reference stays literal text
    if 0xD800 <= code <= 0xDFFF:
        raise TelegramHtmlError("Bad Request: text must be encoded in UTF-8")
    return chr(code), match.end()


def _skip_spaces(html: str, j: int) -> int:
    while j < len(html) and html[j] in _SPACE:
        j += 1
    return j


def _read_start_tag(html: str, i: int) -> tuple[str, str, int]:
    """Parse `<tag attr=...>` at i; return the tag, its Telegram argument and the index after it."""
    n, at = len(html), _byte_offset(html, i)
    j = i + 1
    while j < n and html[j] not in _SPACE and html[j] != ">":
        j += 1
    if j >= n:
        raise _parse_error(f"Unclosed start tag at byte offset {at}")
    tag = html[i + 1 : j].lower()
    if tag not in ALLOWED_TAGS:
        raise _parse_error(f'Unsupported start tag "{tag}" at byte offset {at}')
    argument = ""
    while True:
        j = _skip_spaces(html, j)
        if j >= n:
            raise _parse_error(f"Unclosed start tag at byte offset {at}")
        if html[j] == ">":
            break
        name_start = j
        while j < n and html[j] not in _SPACE and html[j] not in "=>":
            j += 1
        name = html[name_start:j].lower()
        if not name:
            raise _parse_error(f'Empty attribute name in the tag "{tag}" at byte offset {at}')
        j = _skip_spaces(html, j)
        if j >= n or html[j] != "=":
            if tag == "blockquote" and name == "expandable":
                argument = "expandable"
                continue
            raise _parse_error(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {at}",
            )
        j = _skip_spaces(html, j + 1)
        if j >= n:
            raise _parse_error(f'Unclosed start tag "{tag}" at byte offset {at}')
        value, j = _read_attribute_value(html, j, at)
        if (tag, name) in {("a", "href"), ("tg-emoji", "emoji-id")}:
            argument = value
        elif tag in ("code", "span") and name == "class":
            prefix = "language-" if tag == "code" else "tg-"
            argument = value.removeprefix(prefix) if value.startswith(prefix) else argument
    if tag == "span" and argument != "spoiler":
        raise _parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
    if tag == "tg-emoji" and not argument.lstrip("-").isdigit():
        raise _parse_error("Invalid custom emoji identifier specified")
    return tag, argument, j + 1


def _read_attribute_value(html: str, j: int, at: int) -> tuple[str, int]:
    if html[j] not in "'\"":
        token = _NAME_TOKEN.match(html, j)
        end = token.end() if token else j
        if end < len(html) and html[end] not in _SPACE and html[end] != ">":
            offset = _byte_offset(html, j)
            raise _parse_error(f"Unexpected end of name token at byte offset {offset}")
        return html[j:end].lower(), end
    quote, j = html[j], j + 1
    value: list[str] = []
    while j < len(html) and html[j] != quote:
        decoded = _decode_entity(html, j) if html[j] == "&" else None
        if decoded is not None:
            value.append(decoded[0])
            j = decoded[1]
        else:
            value.append(html[j])
            j += 1
    if j + 1 >= len(html):  # no closing quote, or nothing left for the tag's `>`
        raise _parse_error(f"Unclosed start tag at byte offset {at}")
    return "".join(value), j + 1


def _close(opened: _Open, end: int, stack: list[_Open]) -> dict[str, Any] | None:
    """The entity an end tag completes, or None when it adds none (empty, or pre's language)."""
    length = end - opened.offset
    if length <= 0:
        return None
    entity: dict[str, Any] = {"offset": opened.offset, "length": length}
    tag, argument = opened.tag, opened.argument
    inside_pre = bool(stack) and stack[-1].tag == "pre" and stack[-1].offset == opened.offset
    if tag == "code" and argument and inside_pre:  # <pre><code class="language-x">
        stack[-1].argument = argument
        return None
    if tag == "a":
        # Without href Telegram links the tag's own text, which shows up as a plain url entity.
        entity |= {"type": "text_link", "url": argument} if argument else {"type": "url"}
    elif tag == "tg-emoji":
        entity |= {"type": "custom_emoji", "custom_emoji_id": argument}
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if argument else "blockquote"
    else:
        entity["type"] = _ENTITY_TYPES[tag]
        if tag == "pre" and argument:
            entity["language"] = argument
    return entity


def _read_end_tag(html: str, i: int, stack: list[_Open]) -> tuple[_Open, int]:
    at = _byte_offset(html, i)
    if not stack:
        raise _parse_error(f"Unexpected end tag at byte offset {at}")
    j = i + 2
    while j < len(html) and html[j] not in _SPACE and html[j] != ">":
        j += 1
    name = html[i + 2 : j].lower()
    j = _skip_spaces(html, j)
    if j >= len(html) or html[j] != ">":
        raise _parse_error(f"Unclosed end tag at byte offset {at}")
    opened = stack.pop()
    if name and name != opened.tag:
        raise _parse_error(
            f'Unmatched end tag at byte offset {at}, expected "</{opened.tag}>", found "</{name}>"',
        )
    return opened, j + 1


def parse_telegram_html(html: str) -> ParsedText:
    """Parse like Telegram's parse_mode=HTML; raise TelegramHtmlError where Telegram answers 400."""
    parts: list[str] = []
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    offset = i = 0
    while i < len(html):
        char = html[i]
        decoded = _decode_entity(html, i) if char == "&" else None
        if decoded is not None:
            parts.append(decoded[0])
            offset += utf16_len(decoded[0])
            i = decoded[1]
        elif char != "<":
            parts.append(char)
            offset += utf16_len(char)
            i += 1
        elif html[i + 1 : i + 2] == "/":
            opened, i = _read_end_tag(html, i, stack)
            entity = _close(opened, offset, stack)
            if entity is not None:
                entities.append(entity)
        else:
            tag, argument, i = _read_start_tag(html, i)
            stack.append(_Open(tag, argument, offset))
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(parts), entities)


def strip_message_text(parsed: ParsedText) -> ParsedText:
    """Trim surrounding whitespace as Telegram does, moving and clipping entities to match."""
    text = parsed.text.strip(_SPACE)
    lead = utf16_len(parsed.text[: len(parsed.text) - len(parsed.text.lstrip(_SPACE))])
    total = utf16_len(text)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            entities.append(entity | {"offset": start, "length": end - start})
    return ParsedText(text, entities)


def check_message_text(parsed: ParsedText) -> ParsedText:
    """Apply sendMessage's checks to parsed text: trimmed, non-empty, at most 4096 UTF-16 units."""
    stripped = strip_message_text(parsed)
    if not stripped.text:
        raise TelegramHtmlError("Bad Request: message text is empty")
    if utf16_len(stripped.text) > MAX_TEXT_LENGTH:
        raise TelegramHtmlError("Bad Request: message is too long")
    return stripped


def validate_telegram_html(html: str) -> str:
    """Return the text a user would see for this HTML, or raise TelegramHtmlError like sendMessage.

    Catches what Telegram's parser rejects (unknown or unbalanced tags, stray `<`), unknown named
    entities, and visible text that is empty or over 4096 UTF-16 code units.
    """
    return check_message_text(parse_telegram_html(html)).text
