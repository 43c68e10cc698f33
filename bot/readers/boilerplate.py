"""Lines of a news page copied as text that are not the article: image credits, the "Courtesy:"
line (which names the source), "Related Article" (and the headline after it), "Post a Comment".

Compared word by word, not by patterns: a line of any length costs one pass.
"""

from __future__ import annotations

from bot.readers.article import words

_CREDIT_FIRST = frozenset({"image", "photo", "picture"})
_CREDIT_SECOND = frozenset({"credit", "credits", "courtesy", "courtesys", "source", "sources"})
# Lines that announce a related article: the line after one is that article's headline.
RELATED = frozenset({
    *(("related", what) for what in ("article", "articles", "story", "stories", "news", "post",
                                     "posts")),
    ("read", "more"), ("see", "also"), ("also", "read"),
})
_COMMENTS = frozenset({
    ("post", "a", "comment"), ("leave", "a", "comment"), ("leave", "a", "reply"),
    ("share", "this"), ("share", "this", "article"), ("comment",), ("comments",),
})


def is_image_credit(line: str) -> bool:
    """"Image Credit: …", "Photo courtesy: …", "Picture sources: …"."""
    head, colon, _ = line.partition(":")
    found = head.casefold().split()
    return bool(colon) and len(found) == 2 and found[0] in _CREDIT_FIRST \
        and found[1] in _CREDIT_SECOND


def courtesy(line: str) -> str | None:
    """The source named by a "Courtesy: …" or "(Courtesy: …)" line, else None."""
    text = line.strip()
    enclosed = text.startswith("(")
    if enclosed:
        text = text[1:].lstrip()
    head, colon, rest = text.partition(":")
    if not colon or head.rstrip().casefold() != "courtesy":
        return None
    source = rest.strip()
    if enclosed and source.endswith(")"):
        source = source[:-1].rstrip()
    return source or None


def is_related(line: str) -> bool:
    return tuple(words(line)) in RELATED


def is_boilerplate(line: str) -> bool:
    """A line that is page furniture, not the article."""
    return (is_image_credit(line) or courtesy(line) is not None or is_related(line)
            or tuple(words(line)) in _COMMENTS)
