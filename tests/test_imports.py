"""What the code imports: no private names of another module or package, no Telegram in the
core, and no benchmarks in the tests. A name starting with `_` is its module's own business:
depending on it from elsewhere breaks the day its owner changes it, in our code or in a
library's. benchmarks/ is a folder of scripts: what a test shares with one lives in the bot
package (the quality floors run `bot.evaluation`, as benchmarks/quality.py does)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROOT

SOURCES = sorted(p for folder in ("bot", "tests", "benchmarks")
                 for p in (ROOT / folder).rglob("*.py"))
# The core reads knowledge, ranks and composes answers; Telegram is only one of its adapters.
CORE = ("bot/knowledge.py", "bot/index.py", "bot/answer.py", "bot/conversation.py",
        "bot/dialogue.py", "bot/serving.py", "bot/question.py", "bot/evidence.py",
        "bot/render.py", "bot/readers", "bot/library", "bot/question_log.py", "bot/stats.py",
        "bot/evaluation")


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) for each import of a private module or of a private name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if any(private(part) for part in module.split(".")):
                yield node.lineno, module
            yield from ((node.lineno, f"{module}.{alias.name}")
                        for alias in node.names if private(alias.name))
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names
                        if any(private(part) for part in alias.name.split(".")))


def imported_modules(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def benchmark_imports(tree: ast.AST) -> list[str]:
    return [module for module in imported_modules(tree) if module.split(".")[0] == "benchmarks"]


def test_the_check_finds_private_imports() -> None:
    tree = ast.parse("from telegram.ext._updater import Updater\nfrom bot.index import _x, y\n"
                     "import rank_bm25._impl\nfrom bot.__main__ import main\n")
    assert [what for _, what in private_imports(tree)] == [
        "telegram.ext._updater", "bot.index._x", "rank_bm25._impl"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_are_imported(path: Path) -> None:
    found = list(private_imports(ast.parse(path.read_text(encoding="utf-8"))))
    assert not found, f"{path.relative_to(ROOT)} imports private names: {found}"


def test_the_core_never_imports_telegram() -> None:
    core = [p for p in SOURCES if str(p.relative_to(ROOT)).startswith(CORE)]
    assert len(core) > len(CORE)  # the list names real files and folders
    offenders = {str(p.relative_to(ROOT)): module for p in core
                 for module in imported_modules(ast.parse(p.read_text(encoding="utf-8")))
                 if module.split(".")[0] == "telegram" or module.startswith("bot.telegram_bot")}
    assert not offenders


def test_the_check_finds_benchmark_imports() -> None:
    tree = ast.parse("import benchmarks.quality\nfrom benchmarks import synthetic\n"
                     "from benchmarks.quality import figures\nimport benchmarks_other\n"
                     "from bot.evaluation import figures\n")
    assert benchmark_imports(tree) == ["benchmarks.quality", "benchmarks", "benchmarks.quality"]


def test_the_tests_never_import_benchmarks() -> None:
    tests = [p for p in SOURCES if p.is_relative_to(ROOT / "tests")]
    assert len(tests) > 10
    offenders = {str(p.relative_to(ROOT)): found for p in tests
                 if (found := benchmark_imports(ast.parse(p.read_text(encoding="utf-8"))))}
    assert not offenders
