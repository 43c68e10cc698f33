"""The services that answer the question sets as `python -m bot` would serve them: the seed
knowledge folder, or one SQuAD article alone in a folder of its own."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.answer import AnswerOptions
from bot.readers.markdown import front_matter
from bot.serving import KnowledgeService
from bot.settings import Settings


def open_service(folder: Path, options: AnswerOptions | None = None) -> KnowledgeService:
    """The service `python -m bot` would serve `folder` with (no index cache)."""
    settings = Settings(_env_file=None, knowledge_dir=folder, cache_dir=None)  # type: ignore[call-arg]
    service = KnowledgeService.from_settings(settings)
    if options is not None:
        service.options = options
    return service


def article_service(squad: Path, article: str, options: AnswerOptions | None = None,
                    without: int | None = None) -> KnowledgeService:
    """A service whose knowledge folder holds only `article`'s file (`without` its paragraph
    of that number, 1-based, when given)."""
    with tempfile.TemporaryDirectory(prefix="squad-") as scratch:
        folder = Path(scratch) / "knowledge"
        folder.mkdir()
        source = squad / "knowledge" / f"{article}.md"
        text = source.read_text(encoding="utf-8")
        if without is not None:
            head, body = _front_matter(text)
            paragraphs = body.split("\n\n")
            text = head + "\n\n".join(paragraphs[: without - 1] + paragraphs[without:])
        (folder / source.name).write_text(text, encoding="utf-8")
        return open_service(folder, options)


def article_paragraphs(squad: Path, article: str) -> list[str]:
    """`article`'s paragraphs, in order (paragraph N of the list is passage N + 1)."""
    text = (squad / "knowledge" / f"{article}.md").read_text(encoding="utf-8")
    return [p for p in _front_matter(text)[1].split("\n\n") if p.strip()]


def _front_matter(text: str) -> tuple[str, str]:
    """A SQuAD article file's front matter (with the blank lines after it) and its body, split
    where the Markdown reader splits them."""
    start = front_matter(text)[1]
    body = text[start:].lstrip("\n")
    return text[: len(text) - len(body)], body
