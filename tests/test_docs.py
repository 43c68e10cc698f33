"""The documentation's relative links lead somewhere: every `[text](path)` and `[text](path#anchor)`
in README.md and docs/*.md names a file of the repository, and every anchor a heading of it, as
GitHub makes anchors (lowercase, spaces to '-', punctuation other than '-' and '_' dropped, a
repeated heading gets '-1', '-2', ...)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]]*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _prose(text: str) -> str:
    """The page without code blocks, where `#` lines are comments and brackets are code."""
    return _FENCE.sub("", text)


def github_anchor(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found: set[str] = set()
    for match in _HEADING.finditer(_prose(page.read_text(encoding="utf-8"))):
        base = github_anchor(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(page: Path) -> list[str]:
    prose = _INLINE_CODE.sub("", _prose(page.read_text(encoding="utf-8")))
    return [target for target in _LINK.findall(prose)
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)]


def test_github_anchor_rules() -> None:
    assert github_anchor("What people ask: feedback buttons and `/stats`") == (
        "what-people-ask-feedback-buttons-and-stats")
    assert github_anchor("Several instances") == "several-instances"
    assert github_anchor("`--json`: the machine interface") == "--json-the-machine-interface"
    assert github_anchor("Quick start: from BotFather to a group") == (
        "quick-start-from-botfather-to-a-group")


def test_pages_have_links() -> None:
    # The check below must have something to check: the README links to the docs.
    assert any(link.startswith("docs/") for link in relative_links(ROOT / "README.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists():
            shown = dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest
            broken.append(f"{target}: no file {shown}")
            continue
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading with anchor #{anchor} in {dest.name}")
    assert not broken, f"{page.name} has broken links:\n" + "\n".join(broken)
