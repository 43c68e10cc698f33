"""Questions about the articles themselves ("What is this article about?", "Summarize it"),
and the passages that answer them: the leads, where news articles say what they are about.

Retrieval cannot answer these: their words ("article", "about") are in no passage, or in every
one. The answer quotes the paragraph that describes the article itself ("This article delves
into…"), when it has one, and its first paragraph.
"""

from __future__ import annotations

import re

from bot.knowledge import KnowledgeBase, Passage
from bot.text import TEXT_NOUNS

_TEXT = r"(?:" + TEXT_NOUNS + r"|it|this|that)"
_OVERVIEW = re.compile(
    r"^\W*(?:(?:so|ok|okay|and|well|hi|hello|hey|please)\W+)*(?:"
    r"(?:what|who)(?:'s|’s|\s+is|\s+are|\s+was)\s+(?:this|the|these|that|it)(?:\s+" + _TEXT + r")?"
    r"(?:\s+(?:all|even|really|actually|basically|exactly))*\s+about"
    r"|what\s+(?:does|do|did)\s+(?:this|the|these|that)\s+" + _TEXT + r"\s+(?:cover|discuss|say|"
    r"describe|tell\s+(?:me|us)|talk\s+about|deal\s+with|report|go\s+(?:over|into)|"
    r"look\s+at|focus\s+on|explain)"
    # Its title is shown with every quote: the overview's citations answer that too.
    r"|what(?:'s|’s|\s+is|\s+was)\s+(?:the\s+)?(?:title|name|headline)\s+of\s+(?:this|the|that)"
    r"\s+" + _TEXT +
    r"|what\s+(?:is|are)\s+(?:the\s+)?(?:main\s+points|key\s+points|gist|summary|main\s+idea)"
    r"(?:\s+of\s+(?:this|the|it)(?:\s+" + _TEXT + r")?)?"
    r"|(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?(?:give\s+(?:me\s+)?)?(?:a\s+|an\s+)?"
    r"(?:summary|summari[sz]e|overview|tl;?\s*dr|gist|recap)"
    r"(?:\s+(?:of\s+)?(?:this|the|it|that)(?:\s+" + _TEXT + r")?)?(?:\W+(?:for\s+me|please))?"
    r")\W*$",
    re.IGNORECASE)
_SELF_DESCRIBING = re.compile(
    r"^\W*(?:this|the|in\s+this)\s+(?:article|story|piece|report|post)\b", re.IGNORECASE)


_NAMES_THE_TEXT = re.compile(r"\b(?:" + TEXT_NOUNS + r")\b", re.IGNORECASE)


def asks_for_overview(question: str, in_conversation: bool = False) -> bool:
    """Whether the question asks what the articles are about, and nothing more specific.

    In a conversation, "What is it about?" asks about what was just discussed: only a question
    that names the text ("What is the article about?") asks about the articles then.
    """
    if not _OVERVIEW.match(question.strip()):
        return False
    return not in_conversation or bool(_NAMES_THE_TEXT.search(question))


def leads(knowledge: KnowledgeBase, limit: int) -> list[Passage]:
    """What answers an overview question, at most `limit` passages, the first paragraph of each
    article among them: with one article, the paragraph describing it ("This article delves
    into…": what was asked, in so many words) and then its first paragraph, else its first two;
    with several, the first paragraph of each, in reading order."""
    by_document: dict[str, list[Passage]] = {}
    for passage in knowledge.passages:
        by_document.setdefault(passage.document.id, []).append(passage)
    if len(by_document) != 1:
        return [passages[0] for passages in by_document.values()][:limit]
    [passages] = by_document.values()
    describing = [p for p in passages[1:] if _SELF_DESCRIBING.match(p.text)]
    return (describing[:1] + passages[:1] if describing else passages[:2])[:limit]
