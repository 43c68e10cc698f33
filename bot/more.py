"""Requests for more of what was just answered ("tell me more", "go on", "anything else?").

They carry no words of their own, so they are read as the conversation's question asked again,
and answered with what its answer did not show yet.
"""

from __future__ import annotations

import re

_MORE = re.compile(
    r"^\W*(?:(?:ok|okay|and|so|yes|yeah|please|pls|hmm+)\W+)*(?:"
    r"(?:tell|show|give)\s+me\s+more(?:\s+(?:about\s+(?:that|this|it)|details?|info))?"
    r"|more(?:\s+(?:please|details?|info|information|on\s+(?:that|this|it)))?"
    r"|go\s+on|continue|keep\s+going|anything\s+else|what\s+else|is\s+that\s+all"
    r"|(?:can\s+you\s+)?(?:elaborate|expand)(?:\s+on\s+(?:that|this|it))?"
    r")(?:\W+(?:please|pls))?\W*$",
    re.IGNORECASE)


def asks_for_more(question: str) -> bool:
    """Whether the question asks only for more of the previous answer."""
    return bool(_MORE.match(question))
