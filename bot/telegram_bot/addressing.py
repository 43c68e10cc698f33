"""When a message is for us, and what it asks: commands, @mentions and replies to our messages.

In groups the bot speaks only when addressed; these functions decide that from the message alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Message, MessageEntity
from telegram.ext import filters

# Telegram's GroupAnonymousBot: the `from_user` of messages that group admins send anonymously
# (`sender_chat` is then the group itself). Nobody can tell which admin wrote them.
ANONYMOUS_ADMIN_ID = 1087968824
_EDGE_PUNCTUATION = " \t\n,:;-–—"
_AFTER_MENTION = frozenset(c.encode("utf-16-le") for c in ",:;")


class _FromPeople(filters.MessageFilter):
    """Messages a person wrote: not other bots, not automatic forwards from a linked channel.

    A message with `sender_chat` (an anonymous admin, or someone posting as their channel) has a
    bot as `from_user` but a person behind it, so it counts.
    """

    def filter(self, message: Message) -> bool:
        if message.is_automatic_forward or message.via_bot is not None:
            return False
        if message.sender_chat is not None:
            return True
        return message.from_user is not None and not message.from_user.is_bot


FROM_PEOPLE = _FromPeople(name="FROM_PEOPLE")


def is_anonymous_admin(message: Message) -> bool:
    return message.sender_chat is not None and message.sender_chat.id == message.chat_id


def topic_of(message: Message) -> int | None:
    """The forum topic to answer in. Replies in plain supergroups also carry a
    `message_thread_id`, but only topic messages have `is_topic_message`; General has neither."""
    return message.message_thread_id if message.is_topic_message else None


def replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    # In a forum, a message that replies to nothing "replies" to its topic's creation message.
    return (
        replied is not None
        and replied.forum_topic_created is None
        and replied.from_user is not None
        and replied.from_user.id == bot_id
    )


def text_of(message: Message) -> str:
    """What a message says: its text, or the caption of its photo, video or file."""
    return message.text or message.caption or ""


def bot_mentions(message: Message, username: str, bot_id: int) -> list[MessageEntity]:
    """Entities that name this bot: `@username`, or a text mention of its user id."""
    wanted = "@" + username.casefold()
    kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    found = (message.parse_entities(kinds) if message.text is not None
             else message.parse_caption_entities(kinds))
    return [
        entity
        for entity, text in found.items()
        if (entity.type == MessageEntity.MENTION and text.casefold() == wanted)
        or (entity.type == MessageEntity.TEXT_MENTION and entity.user is not None
            and entity.user.id == bot_id)
    ]


def quotes(message: Message) -> list[str]:
    """The passages one of our answers quoted (its blockquotes), in order, the best first;
    none for a hint or a refusal."""
    kinds: list[str | None] = [MessageEntity.BLOCKQUOTE, MessageEntity.EXPANDABLE_BLOCKQUOTE]
    found = message.parse_entities(kinds)
    return [text for _, text in sorted(found.items(), key=lambda item: item[0].offset)]


def without_entities(text: str, entities: Iterable[MessageEntity]) -> str:
    """`text` with the entities cut out and the spacing and edge punctuation tidied."""
    # Entity offsets count UTF-16 code units, so cut in that encoding.
    units = text.encode("utf-16-le")
    for entity in sorted(entities, key=lambda e: e.offset, reverse=True):
        start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
        while units[end:end + 2] in _AFTER_MENTION:  # "@ThisBot, where…" -> "where…"
            end += 2
        units = units[:start] + " ".encode("utf-16-le") + units[end:]
    return " ".join(units.decode("utf-16-le").split()).strip(_EDGE_PUNCTUATION)


def command_question(message: Message, username: str, bot_id: int) -> str:
    """The text after `/ask` (or `/ask@ThisBot`), without mentions of the bot."""
    commands = [e for e in message.parse_entities([MessageEntity.BOT_COMMAND]) if e.offset == 0]
    mentions = bot_mentions(message, username, bot_id)
    return without_entities(message.text or "", [*commands, *mentions])


def addressed_question(message: Message, username: str, bot_id: int) -> str | None:
    """In a group: the question if the message mentions or replies to the bot, else None.

    "" means addressed but empty (a bare mention), which deserves a usage hint.
    """
    mentions = bot_mentions(message, username, bot_id)
    if not mentions and not replies_to_bot(message, bot_id):
        return None
    return without_entities(text_of(message), mentions)
