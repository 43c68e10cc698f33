"""Rendering an `Answer` for people: Telegram HTML (escaped, within the message limit) and plain
text for the terminal. Pure functions: no I/O, no Telegram imports.
"""

from __future__ import annotations

import html

from bot.answer import Answer, Citation

MAX_MESSAGE_CHARS = 4096  # Telegram's limit (telegram.constants.MessageLimit.MAX_TEXT_LENGTH)


def citation_label(citation: Citation) -> str:
    """"Title — Section, paragraph 6": where the quote stands in its document."""
    where = f"paragraph {citation.paragraph}"
    if citation.section:
        where = f"{citation.section}, {where}"
    return f"{citation.title} — {where}"


def _quote_text(citation: Citation) -> str:
    quote = " ".join(citation.quote.split())
    return ("…" if citation.trimmed_start else "") + quote + ("…" if citation.trimmed_end else "")


def _refusal_text(answer: Answer) -> tuple[str, str]:
    if answer.reason == "empty":
        head = f"Ask me a question about {answer.scope}, in a few words."
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
        parts.append(f"“{_quote_text(citation)}”\n  — {source}")
    return "\n\n".join(parts)


# ---- Telegram HTML -------------------------------------------------------------------------

def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_source(citation: Citation) -> str:
    label = _e(citation_label(citation))
    if citation.url:
        return f'— <a href="{_e(citation.url)}">{label}</a>'
    return f"— <i>{label}</i>"


def html_blocks(answer: Answer, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """The answer as self-contained HTML blocks (each with balanced tags), in reading order."""
    if not answer.answered:
        head, tail = _refusal_text(answer)
        body = _e(head)
        if tail:
            body += "\n" + _e(tail.strip()) + "\n" + "\n".join(
                f"• {_e(s)}" for s in answer.suggestions)
        return _fit(body, limit)
    first, *related = answer.citations
    blocks = _fit(f"<blockquote>{_e(_quote_text(first))}</blockquote>\n{_html_source(first)}",
                  limit, quote=first)
    if related:
        inner = "\n\n".join(f"{_e(_quote_text(c))}\n{_html_source(c)}" for c in related)
        block = f"<b>Also relevant</b>\n<blockquote expandable>{inner}</blockquote>"
        if len(block) <= limit:
            blocks.append(block)
        else:
            for c in related:
                blocks.extend(_fit(f"<blockquote expandable>{_e(_quote_text(c))}</blockquote>\n"
                                   f"{_html_source(c)}", limit, quote=c, expandable=True))
    return blocks


def _fit(
    block: str, limit: int, quote: Citation | None = None, expandable: bool = False
) -> list[str]:
    """A block that fits, or the block's quote cut into pieces that each fit with their tags."""
    if len(block) <= limit:
        return [block]
    if quote is None:
        return _split_plain(block, limit)
    opening = "<blockquote expandable>" if expandable else "<blockquote>"
    source = _html_source(quote)
    if len(source) + 40 > limit:
        source = f"— <i>{_e(citation_label(quote)[: max(limit // 4, 1)])}…</i>"
    room = limit - len(opening) - len("</blockquote>") - len(source) - 1
    pieces = _split_escaped(_quote_text(quote), max(room, 1))
    out = [f"{opening}{p}</blockquote>" for p in pieces]
    out[-1] += "\n" + source
    return out


def _split_escaped(text: str, room: int) -> list[str]:
    """Cut plain text so that each escaped piece is at most `room` characters, at spaces."""
    pieces: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(_e(candidate)) <= room:
            current = candidate
            continue
        if current:
            pieces.append(_e(current))
        while len(_e(word)) > room:  # a single over-long word: cut it by characters
            cut = room
            while len(_e(word[:cut])) > room:
                cut -= 1
            pieces.append(_e(word[:cut]))
            word = word[cut:]
        current = word
    if current or not pieces:
        pieces.append(_e(current))
    return pieces


def _split_plain(escaped: str, limit: int) -> list[str]:
    # Escaped text with no tags: cut at newlines or spaces, never inside an entity.
    out: list[str] = []
    while len(escaped) > limit:
        cut = max(escaped.rfind("\n", 0, limit), escaped.rfind(" ", 0, limit))
        amp = escaped.rfind("&", 0, limit)
        if cut <= 0:
            cut = amp if amp > escaped.rfind(";", 0, limit) else limit
        out.append(escaped[:cut])
        escaped = escaped[cut:].lstrip()
    out.append(escaped)
    return [o for o in out if o]


def render_html(answer: Answer, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Telegram HTML messages for the answer, each at most `limit` characters, split only
    between blocks so no tag is ever cut."""
    messages: list[str] = []
    for block in html_blocks(answer, limit):
        if messages and len(messages[-1]) + 2 + len(block) <= limit:
            messages[-1] += "\n\n" + block
        else:
            messages.append(block)
    return messages
