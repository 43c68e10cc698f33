"""The one error the knowledge folder's management raises for people's mistakes, and how its
messages show sizes."""

from __future__ import annotations


class LibraryError(Exception):
    """A document that cannot be added or removed; the message says what is wrong (naming the
    file or link) and what to do, and nothing in the folder was changed."""


def size_text(size: float) -> str:
    """A size as a message shows it: "850 KB", "12.5 MB", "0.01 MB" for a limit that small."""
    if 0 < size < 1024 * 1024 and size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.3g} MB"
