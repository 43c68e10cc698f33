"""The one error the knowledge folder's management raises for people's mistakes."""

from __future__ import annotations


class LibraryError(Exception):
    """A document that cannot be added or removed; the message says what is wrong (naming the
    file or link) and what to do, and nothing in the folder was changed."""
