"""The answer model: fitted weights (`config/weights.json`, written by
`benchmarks/train_weights.py`) that turn a candidate passage's evidence into the probability
that it answers the question. Candidates are ranked by it, and a question whose best candidate
falls below the fitted threshold is refused. Read with numpy; nothing is fitted at run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

WEIGHTS_FILE = Path(__file__).resolve().parent.parent / "config" / "weights.json"

Floats = npt.NDArray[np.float64]


class ModelError(Exception):
    """The weights file does not fit this code; the message says how to fix it."""


@dataclass(frozen=True, slots=True, eq=False)
class AnswerModel:
    """Two linear models over named features. `rank` scores a question's candidates: the
    higher, the likelier the passage that answers (pairwise logistic, so the softmax of the
    scores is each one's chance of being it). `answer` is a logistic model of whether the
    question is answered at all, from its best candidate's evidence, its runner-up's, the best
    score and its margin over the runner-up; below `threshold`, the question is refused."""

    features: tuple[str, ...]
    rank: Floats
    answer: Floats  # over `features` twice (best, runner-up), the best score, the margin
    intercept: float
    threshold: float
    related_ratio: float = 0.5  # a further quote's chance over the best one's, at least
    synonym_weight: float = 0.4  # a synonym of a word the articles use, beside it
    stand_in_weight: float = 0.9  # a synonym of a word they never use, in its place
    context_weight: float = 0.5  # an earlier question's words, per step back

    def rank_scores(self, rows: Floats) -> Floats:
        out: Floats = rows @ self.rank
        return out

    def answerable(self, rows: Floats, scores: Floats) -> float:
        """The chance the question is answered, from its candidates' rows and rank scores,
        best first."""
        return float(self.answerable_many(question_rows(rows, scores))[0])

    def answerable_many(self, questions: Floats) -> Floats:
        """`answerable` for rows made by `question_rows`, one per question."""
        logits = questions @ self.answer + self.intercept
        # np.minimum(np.maximum()) is np.clip, at a fifth of its cost on a question's row.
        out: Floats = 1.0 / (1.0 + np.exp(-np.minimum(np.maximum(logits, -500), 500)))
        return out


def question_rows(rows: Floats, scores: Floats) -> Floats:
    """A question's row for the answer model: its best candidate's evidence, its runner-up's
    (zeros when there is none), the best score and its margin (`rows` and `scores` best
    first)."""
    second = rows[1] if len(rows) > 1 else np.zeros(rows.shape[1])
    margin = scores[0] - scores[1] if len(scores) > 1 else scores[0]
    return np.concatenate((rows[0], second, (scores[0], margin)))[None, :]


def from_dict(raw: dict[str, Any], expected: Sequence[str], where: str = "weights") -> AnswerModel:
    """An `AnswerModel` from its JSON form, checked against the features the code computes."""
    try:
        features = tuple(str(f) for f in raw["features"])
        rank = np.asarray(raw["rank"], dtype=np.float64)
        answer = np.asarray(raw["answer"], dtype=np.float64)
        intercept, threshold = float(raw["intercept"]), float(raw["threshold"])
        search = raw.get("search", {})
        model = AnswerModel(features, rank, answer, intercept, threshold,
                            float(raw.get("related_ratio", 0.5)),
                            float(search.get("synonym_weight", 0.4)),
                            float(search.get("stand_in_weight", 0.9)),
                            float(search.get("context_weight", 0.5)))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{where}: not a weights file ({exc}); restore it from git or run "
                         "benchmarks/train_weights.py --write") from None
    if (features != tuple(expected) or rank.shape != (len(features),)
            or answer.shape != (2 * len(features) + 2,)):
        raise ModelError(f"{where}: fitted for other features than this code computes; run "
                         "benchmarks/train_weights.py --write to refit it")
    if not (np.all(np.isfinite(rank)) and np.all(np.isfinite(answer))
            and math.isfinite(intercept) and 0 <= threshold <= 1
            and 0 <= model.related_ratio <= 1):
        raise ModelError(f"{where}: weights that are not finite numbers; run "
                         "benchmarks/train_weights.py --write to refit it")
    return model


def to_dict(model: AnswerModel, **extra: Any) -> dict[str, Any]:
    return {
        "features": list(model.features),
        "rank": [round(float(c), 6) for c in model.rank],
        "answer": [round(float(c), 6) for c in model.answer],
        "intercept": round(model.intercept, 6),
        "threshold": round(model.threshold, 6),
        "related_ratio": round(model.related_ratio, 6),
        "search": {"synonym_weight": model.synonym_weight,
                   "stand_in_weight": model.stand_in_weight,
                   "context_weight": model.context_weight},
        **extra,
    }


@lru_cache(maxsize=4)
def load(expected: tuple[str, ...], path: Path = WEIGHTS_FILE) -> AnswerModel:
    """The model in `path` (by default the shipped `config/weights.json`), read once, for a
    code that computes the `expected` features."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot be read ({exc}); restore it from git or run "
                         "benchmarks/train_weights.py") from None
    return from_dict(raw, expected, str(path))
