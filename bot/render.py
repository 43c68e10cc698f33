"""Rendering an `Answer` for people: Telegram HTML (escaped, within the message limit) and plain
text for the terminal. Pure functions: no I/O, no Telegram imports.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from bot.answer import Answer, Citation
from bot.question import Intent, as_heading
from bot.titles import published_date, short_section

MAX_MESSAGE_CHARS = 4096  # Telegram's limit (telegram.constants.MessageLimit.MAX_TEXT_LENGTH)
SEPARATOR = " · "


def citation_label(citation: Citation) -> str:
    """A footnote: "Short Title · Section, paragraph 6 · Source, 16 Jun 2023" (whatever of
    the section, source and date the document has)."""
    return SEPARATOR.join([_title_of(citation), *_details(citation)])


def _title_of(citation: Citation) -> str:
    return citation.short_title or citation.title


def _details(citation: Citation) -> list[str]:
    """What a footnote says after the title: where the quote stands, and who published it
    and when."""
    where = f"paragraph {citation.paragraph}"
    if citation.section:
        where = f"{short_section(citation.section)}, {where}"
    published = [part for part in (citation.source, citation.published and
                                   published_date(citation.published)) if part]
    return [where, ", ".join(published)] if published else [where]


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


# What the bot says to small talk, by kind (config/lexicon/smalltalk.txt), and what it says
# before the example questions it adds.
_TALK = {
    "greeting": ("Hello! I answer questions about {scope} by quoting the passages that answer "
                 "them.", "Try for example:"),
    "thanks": ("You're welcome! Ask me anything else about {scope}.", "For example:"),
    "acknowledgement": ("Ask me anything about {scope} whenever you like.", "For example:"),
    "farewell": ("Goodbye! Come back with any question about {scope}.", ""),
    "wellbeing": ("I'm fine, thank you, and ready to answer questions about {scope}.",
                  "For example:"),
    "identity": ("I'm a bot that answers questions about {scope} by quoting the passages that "
                 "answer them, with where each quote comes from.", "You could ask:"),
    "abilities": ("I answer questions about {scope} by quoting the passages that answer them. "
                  "Ask in your own words, follow up (“where did that happen?”), or say "
                  "“tell me more”.", "For example:"),
}
EXAMPLES_INTRO = "You could ask, for example:"


def _reply_text(answer: Answer) -> tuple[str, str]:
    """What the bot says when it quotes nothing, and what it says before the example
    questions (`answer.suggestions`, "" when there are none)."""
    scope = answer.scope
    intro = EXAMPLES_INTRO
    if answer.reason == "small_talk":
        head, intro = _TALK.get(answer.small_talk, _TALK["acknowledgement"])
        head = head.format(scope=scope)
    elif answer.reason == "other_language":
        language = answer.language or "the articles' language"
        head = (f"I can only read questions in {language}, the language of {scope}. "
                f"Please ask in {language}.")
    elif answer.reason == "empty" and answer.intent is Intent.MORE:
        head = f"More of what? Ask me a question about {scope} first."
    elif answer.reason == "empty":
        head = f"Ask me a question about {scope}, in a few words."
    elif answer.reason == "no_more":
        head = f"That is all {scope} says about it."
    elif answer.reason == "no_fact":
        head = (f"{scope[:1].upper()}{scope[1:]} doesn't say that: the passages on this topic "
                "don't give it.")
    else:
        head = f"{scope[:1].upper()}{scope[1:]} doesn't answer that."
    return head, intro if answer.suggestions and intro else ""


def heading(answer: Answer) -> str:
    """The question a part of an answer is shown under."""
    return as_heading(answer.question)


def unanswered_note(answer: Answer) -> str:
    """What a reply to a message of more than `MAX_PARTS` questions says of the rest."""
    n = answer.unanswered_parts
    if not n:
        return ""
    if n == 1:
        return "Your message asked one more question than I answer at once: please ask it again."
    return (f"Your message asked {n} more questions than I answer at once: please ask them "
            "again, a few at a time.")


# ---- plain text ----------------------------------------------------------------------------

def render_text(answer: Answer) -> str:
    """The answer as plain text, for the terminal and the JSON interface's `text`. The
    answer to a message of several questions shows each under its question ("Q: …")."""
    if answer.parts:
        shown = [f"Q: {heading(part)}\n{render_text(part)}" for part in answer.parts]
        note = unanswered_note(answer)
        return "\n\n".join([*shown, note] if note else shown)
    if not answer.answered:
        head, intro = _reply_text(answer)
        lines = [head]
        if intro:
            lines.append(intro)
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
    """The footnote, its title a link to the document when it has one."""
    if not citation.url:
        return f"— <i>{_e(citation_label(citation))}</i>"
    link = f'<a href="{_e(citation.url)}">{_e(_title_of(citation))}</a>'
    return f"— {link}<i>{SEPARATOR}{_e(SEPARATOR.join(_details(citation)))}</i>"



def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts twice)."""
    if text.isascii():  # one unit a character, and no encoding to make
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def html_blocks(answer: Answer, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """The answer as self-contained HTML blocks (each with balanced tags), in reading order.
    Each part of an answer to several questions opens with its question in bold, in the
    same block as the start of its answer where they fit together."""
    if answer.parts:
        blocks: list[str] = []
        for part in answer.parts:
            title = f"<b>{_e(heading(part))}</b>"
            first, *rest = html_blocks(part, limit)
            together = f"{title}\n{first}"
            blocks.extend([together] if tg_len(together) <= limit else [title, first])
            blocks.extend(rest)
        note = unanswered_note(answer)
        return blocks + ([f"<i>{_e(note)}</i>"] if note else [])
    if not answer.answered:
        head, intro = _reply_text(answer)
        body = head
        if intro:
            body += "\n" + intro + "\n" + "\n".join(f"• {s}" for s in answer.suggestions)
        return _pieces(body, limit)
    first_quote, *related = answer.citations
    blocks = _fit(first_quote, limit, expandable=False)
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
