"""The question sets the answer quality is measured and fitted on (the seed article's sets in
`tests/eval/`, SQuAD's 16 shared articles) and the services that answer them as
`python -m bot` would: what `benchmarks/quality.py` and `benchmarks/train_weights.py` share."""

from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answer import AnswerOptions  # noqa: E402
from bot.serving import KnowledgeService  # noqa: E402
from bot.settings import Settings  # noqa: E402

SEED_KNOWLEDGE = ROOT / "knowledge"
SEED_SETS = {
    "tuning": ROOT / "tests" / "eval" / "questions.jsonl",
    "holdout": ROOT / "tests" / "eval" / "holdout.jsonl",
    "blind": ROOT / "tests" / "eval" / "blind.jsonl",
    # Written without reading the code or the other sets, and measured once before it joined
    # them (see docs/answers.md): from then on a tuning set like the others.
    "fresh": ROOT / "tests" / "eval" / "fresh.jsonl",
}
DEFAULT_QUESTIONS = SEED_SETS["tuning"]
SQUAD = ROOT.parent / "shared" / "eval" / "squad-16"
SQUAD_SAMPLE = ROOT / "tests" / "eval" / "squad"


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    question: str
    gold: tuple[int, ...]  # paragraphs (1-based) that answer it; empty when unanswerable
    previous: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()  # gold answer strings, when the set has them
    article: str = "seed"

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


# ---- question sets -----------------------------------------------------------------------

def load_questions(path: Path = DEFAULT_QUESTIONS) -> list[Question]:
    """A seed set: `{"id", "kind", "question", "gold": [paragraphs], "previous": [...]}`."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            out.append(Question(raw["id"], raw["kind"], raw["question"], tuple(raw["gold"]),
                                tuple(raw.get("previous", ()))))
    return out


def load_squad(folder: Path, articles: int | None = None) -> dict[str, list[Question]]:
    """SQuAD's questions by article (the file name in `folder/knowledge` without `.md`)."""
    by_article: dict[str, list[Question]] = defaultdict(list)
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        gold = () if raw["gold_paragraph_index"] is None else (raw["gold_paragraph_index"] + 1,)
        kind = "unanswerable" if raw["is_impossible"] else "answerable"
        by_article[raw["article"]].append(Question(
            raw["id"], kind, raw["question"], gold, answers=tuple(raw.get("answers") or ()),
            article=raw["article"]))
    names = sorted(by_article)[:articles] if articles else sorted(by_article)
    return {name: by_article[name] for name in names}


# ---- services -------------------------------------------------------------------------

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
    """A SQuAD article file's front matter (with the blank line after it) and its body."""
    if not text.startswith("---\n"):
        return "", text
    end = text.index("\n---\n", 4) + len("\n---\n")
    body = text[end:]
    stripped = body.lstrip("\n")
    return text[: end + len(body) - len(stripped)], stripped
