"""The passages that answer a question about the articles themselves ("What is this article
about?", "Summarize it"; `question.Intent.OVERVIEW`): the leads, where articles say what they
are about.

Retrieval cannot answer these: their words ("article", "about") are in no passage, or in every
one. The answer quotes the paragraph that describes the article itself ("This article delves
into…"), when it has one, and its first paragraph.
"""

from __future__ import annotations

from bot.knowledge import KnowledgeBase, Passage
from bot.lexicon import Lexicon, general
from bot.text import words


def leads(knowledge: KnowledgeBase, limit: int, lexicon: Lexicon | None = None) -> list[Passage]:
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
    describing = [p for p in passages[1:] if _describes_itself(p.text, lexicon or general())]
    return (describing[:1] + passages[:1] if describing else passages[:2])[:limit]


def _describes_itself(text: str, lexicon: Lexicon) -> bool:
    """Whether a paragraph opens "This article…", "The report…", "In this story…"."""
    opening = words(text[:60])[:3]
    if opening[:1] == ["in"]:
        opening = opening[1:]
    pointing = lexicon.phrases("deixis") | lexicon.phrases("determiner")
    return (len(opening) >= 2 and (opening[0],) in pointing
            and (opening[1],) in lexicon.phrases("text"))
