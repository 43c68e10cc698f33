"""Which reader a file's bytes need, by their content and not only their name: for files that
arrive from outside (a document sent to the bot), whose name may be wrong or missing."""

from __future__ import annotations

from pathlib import PurePath

from bot.readers.article import ReadError

SNIFF_BYTES = 8192
# Signatures of formats no reader reads, and what they are.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG", 0, "an image (PNG)"), (b"\xff\xd8\xff", 0, "an image (JPEG)"),
    (b"GIF8", 0, "an image (GIF)"), (b"WEBP", 8, "an image (WebP)"), (b"II*\x00", 0, "an image"),
    (b"MM\x00*", 0, "an image"), (b"PK\x03\x04", 0, "a zip archive"),
    (b"\xd0\xcf\x11\xe0", 0, "an old Office document (.doc, .xls or .ppt)"),
    (b"{\\rtf", 0, "a word-processor document (RTF)"), (b"\x1f\x8b", 0, "a compressed archive"),
    (b"7z\xbc\xaf", 0, "a compressed archive"), (b"Rar!", 0, "a compressed archive"),
    (b"ID3", 0, "audio"), (b"OggS", 0, "audio"), (b"fLaC", 0, "audio"),
    (b"ftyp", 4, "audio or video"),
)
# What a zip archive is, by its name: Office and e-book formats are zip archives inside.
_ZIPPED = {".docx": "a Word document", ".xlsx": "a spreadsheet", ".pptx": "a presentation",
           ".odt": "a word-processor document", ".ods": "a spreadsheet",
           ".odp": "a presentation", ".epub": "an e-book"}
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_HTML_TAGS = (b"<html", b"<body", b"<head", b"<article", b"<p>", b"<div")


def sniff(data: bytes, name: str = "") -> str:
    """The suffix of the reader for `data` (".pdf", ".html", ".md" or ".txt"), found by its
    content, with the name's suffix deciding only between Markdown and raw text; or
    `ReadError` saying what the file is and what to send instead."""
    if not data.strip():
        raise ReadError("is empty; send the article itself")
    head = data[:SNIFF_BYTES]
    if b"%PDF-" in head[:1024]:
        return ".pdf"
    for magic, offset, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"PK\x03\x04":
                kind = _ZIPPED.get(PurePath(name).suffix.lower(), kind)
            raise ReadError(f"is {kind}, which is not read; send the article as .md, .txt, "
                            ".html or .pdf (a Word document: save it as PDF)")
    if _is_html(head):
        return ".html"  # a page may declare another encoding than UTF-8: its reader decodes it
    if b"\x00" in head:
        raise ReadError("is a binary file, not text; send the article as .md, .txt, .html or "
                        ".pdf")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if len(head) - exc.start > 3:  # not just a character cut off at the end of the sample
            raise ReadError(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8 and send "
                            "it again") from None
        text = head[: exc.start].decode("utf-8-sig")
    suffix = PurePath(name).suffix.lower()
    if suffix in (".md", ".markdown") or (suffix != ".txt" and _looks_like_markdown(text)):
        return ".md"
    return ".txt"


def _is_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<?xml"):
        return b"<html" in start  # XHTML, not any XML
    if start.startswith(_HTML_STARTS):
        return True
    return start.startswith(b"<") and any(tag in start for tag in _HTML_TAGS)


def _looks_like_markdown(text: str) -> bool:
    """Front matter, or a line that is an ATX heading ("# Title")."""
    if text.startswith("---\n") or text.startswith("---\r\n"):
        return True
    return any(line.startswith("#") and line.lstrip("#")[:1] == " " and len(line) - len(
        line.lstrip("#")) <= 6 for line in text.splitlines())
