"""The question sets the answer quality is measured and fitted on: the seed article's sets in
`tests/eval/`, and SQuAD's articles (16 shared ones, or the 5-article sample in the tests)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

# The sets live in the checkout, not in the package: its root is the folder that holds bot/.
ROOT = Path(__file__).resolve().parent.parent.parent
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
