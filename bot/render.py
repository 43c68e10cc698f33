"""Rendering an `Answer` for people: Telegram HTML (escaped, within the message limit) and plain
text for the terminal. Pure functions: no I/O, no Telegram imports.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from bot.answer import Answer, Citation

MAX_MESSAGE_CHARS = 4096  # Telegram's limit (telegram.constants.MessageLimit.MAX_TEXT_LENGTH)


def citation_label(citation: Citation) -> str:
    """"Title — Section, paragraph 6": where the quote stands in its document."""
    where = f"paragraph {citation.paragraph}"
    if citation.section:
        where = f"{citation.section}, {where}"
    return f"{citation.title} — {where}"


def _quote_parts(citation: Citation) -> tuple[str, str, str]:
    """The quote as shown (white space collapsed, "…" where trimmed), in three parts: before
    the highlighted sentence, the sentence, after it (the middle is empty without one)."""
    quote, at = citation.quote, citation.highlight_at
    mark = citation.highlight
    if not mark or quote[at : at + len(mark)] != mark:
        before, mark, after = quote, "", ""
    else:
        before, after = quote[:at], quote[at + len(mark) :]
    start = "…" if citation.trimmed_start else ""
    end = "…" if citation.trimmed_end else ""
    mark = " ".join(mark.split())
    if not mark:
        return start + " ".join(quote.split()) + end, "", ""
    gap_before = " " if before[-1:].isspace() else ""
    gap_after = " " if after[:1].isspace() else ""
    before, after = " ".join(before.split()), " ".join(after.split())
    return (start + (before + gap_before if before else ""), mark,
            (gap_after + after if after else "") + end)


def _quote_text(citation: Citation) -> str:
    return "".join(_quote_parts(citation))


def _marked_text(citation: Citation) -> str:
    """The quote for a terminal, its answering sentence set off by » and « (unless it is the
    whole quote)."""
    before, mark, after = _quote_parts(citation)
    return f"{before}»{mark}«{after}" if mark and (before or after) else before + mark + after


def _refusal_text(answer: Answer) -> tuple[str, str]:
    if answer.reason == "empty":
        head = f"Ask me a question about {answer.scope}, in a few words."
    elif answer.reason == "no_more":
        head = f"That is all {answer.scope} says about it."
    elif answer.reason == "no_fact":
        head = (f"{answer.scope.capitalize()} doesn't say that: the passages on this topic "
                "don't give it.")
    else:
        head = f"{answer.scope.capitalize()} doesn't answer that."
    tail = "You can ask about: " if answer.suggestions else ""
    return head, tail


# ---- plain text ----------------------------------------------------------------------------

def render_text(answer: Answer) -> str:
    """The answer as plain text, for the terminal and the JSON interface's `text`."""
    if not answer.answered:
        head, tail = _refusal_text(answer)
        lines = [head]
        if tail:
            lines.append(tail.strip())
            lines.extend(f"  • {s}" for s in answer.suggestions)
        return "\n".join(lines)
    parts: list[str] = []
    for i, citation in enumerate(answer.citations):
        if i == 1:
            parts.append("Also relevant:")
        source = citation_label(citation) + (f" ({citation.url})" if citation.url else "")
        parts.append(f"“{_marked_text(citation)}”\n  — {source}")
    return "\n\n".join(parts)


# ---- Telegram HTML -------------------------------------------------------------------------

def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_source(citation: Citation) -> str:
    label = _e(citation_label(citation))
    if citation.url:
        return f'— <a href="{_e(citation.url)}">{label}</a>'
    return f"— <i>{label}</i>"


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def html_blocks(answer: Answer, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """The answer as self-contained HTML blocks (each with balanced tags), in reading order."""
    if not answer.answered:
        head, tail = _refusal_text(answer)
        body = head
        if tail:
            body += "\n" + tail.strip() + "\n" + "\n".join(f"• {s}" for s in answer.suggestions)
        return _pieces(body, limit)
    first, *related = answer.citations
    blocks = _fit(first, limit, expandable=False)
    if related:
        inner = "\n\n".join(f"{_html_quote(c)}\n{_html_source(c)}" for c in related)
        block = f"<b>Also relevant</b>\n<blockquote expandable>{inner}</blockquote>"
        if tg_len(block) <= limit:
            blocks.append(block)
        else:
            for c in related:
                blocks.extend(_fit(c, limit, expandable=True))
    return blocks


def _html_quote(citation: Citation) -> str:
    """The quote, escaped, its answering sentence in bold."""
    before, mark, after = _quote_parts(citation)
    shown = f"<b>{_e(mark)}</b>" if mark and (before or after) else _e(mark)
    return _e(before) + shown + _e(after)


def _fit(quote: Citation, limit: int, expandable: bool) -> list[str]:
    """The quote's block, or its quote cut into pieces that each fit with their tags."""
    opening = "<blockquote expandable>" if expandable else "<blockquote>"
    source = _html_source(quote)
    block = f"{opening}{_html_quote(quote)}</blockquote>\n{source}"
    if tg_len(block) <= limit:
        return [block]
    if tg_len(source) + 40 > limit:
        source = f"— <i>{_e(citation_label(quote)[: max(limit // 4, 1)])}…</i>"
    room = limit - tg_len(opening) - tg_len("</blockquote>") - tg_len(source) - 1
    out = [f"{opening}{p}</blockquote>" for p in _pieces(_quote_text(quote), room)]
    out[-1] += "\n" + source
    return out


def _pieces(text: str, room: int) -> list[str]:
    """Escaped pieces of plain `text`, each at most `room` UTF-16 units once escaped, cut at
    white space where there is some; an entity is never cut because escaping is per piece."""
    room = max(room, 8)  # the widest escaped character, "&quot;", must always fit
    whole = _e(text.strip())
    if tg_len(whole) <= room:  # the usual case, without measuring every character
        return [whole]
    return [_e(piece) for piece in split_units(text, room, lambda ch: tg_len(_e(ch)))] or [""]


def split_units(text: str, room: int = MAX_MESSAGE_CHARS,
                width: Callable[[str], int] = tg_len) -> list[str]:
    """`text` in stripped pieces of at most `room` units, a character counting `width(ch)`
    (by default UTF-16 units, Telegram's measure), cut at white space where there is some."""
    widths = [width(ch) for ch in text]
    pieces: list[str] = []
    start, n = 0, len(text)
    while start < n:
        used, end, last_space = 0, start, -1
        while end < n and used + widths[end] <= room:
            if text[end].isspace():
                last_space = end
            used += widths[end]
            end += 1
        if end < n and last_space > start:
            end = last_space
        end = max(end, start + 1)  # a character wider than `room` still moves on
        piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
        start = end
        while start < n and text[start].isspace():
            start += 1
    return pieces


def render_html(answer: Answer, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Telegram HTML messages for the answer, each at most `limit` UTF-16 units, split only
    between blocks so no tag is ever cut."""
    messages: list[str] = []
    for block in html_blocks(answer, limit):
        if messages and tg_len(messages[-1]) + 2 + tg_len(block) <= limit:
            messages[-1] += "\n\n" + block
        else:
            messages.append(block)
    return messages
