"""The knowledge folder as admins manage it from a chat: adding documents (sent as files or
downloaded from links), removing them, listing them with who added them, and reloading when
the folder changes on disk. Telegram-free: the adapter in `bot.telegram_bot` talks to people."""

from bot.library.errors import LibraryError
from bot.library.fetch import Fetched, FetchError, FetchPolicy, fetch
from bot.library.folder import Entry, Library, Outcome, WatchResult
from bot.library.uploads import Person, Upload

__all__ = [
    "Entry", "FetchError", "FetchPolicy", "Fetched", "Library", "LibraryError", "Outcome",
    "Person", "Upload", "WatchResult", "fetch",
]
