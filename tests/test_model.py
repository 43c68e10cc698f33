"""The answer model's weights file: what the shipped one holds, and a file that does not fit
the code is refused with a message that says how to fix it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.answer import shipped_model
from bot.evidence import FEATURES
from bot.model import WEIGHTS_FILE, ModelError, load, question_rows, to_dict


def test_the_shipped_weights_fit_the_features_the_code_computes() -> None:
    model = shipped_model()
    assert model.features == FEATURES
    assert model.rank.shape == (len(FEATURES),)
    assert 0 < model.threshold < 1
    assert 0 < model.related_ratio <= 1
    raw = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert raw["fitted_on"]["squad_articles"] == 16


def test_more_evidence_ranks_higher_and_answers_likelier() -> None:
    model = shipped_model()
    # As evidence comes: a passage that holds the question's words scores high on every
    # feature of matching them; one that lacks them misses them (features are correlated, so
    # one of them alone says little about the fitted weights).
    strong = np.zeros(len(FEATURES))
    weak = strong.copy()
    for name in ("bm25", "bm25_rel", "sentence", "sentence_rel", "coverage", "sentence_coverage",
                 "proximity", "window", "exact"):
        strong[FEATURES.index(name)] = 1.0
    for name in ("missing_rare", "missing_known", "sentence_missing"):
        weak[FEATURES.index(name)] = 1.0
    scores = model.rank_scores(np.vstack([strong, weak]))
    assert scores[0] > scores[1]
    assert model.answerable(np.vstack([strong, weak]), scores) > model.answerable(
        np.vstack([weak, weak]), np.array([scores[1], scores[1]]))


def test_a_question_row_holds_the_best_two_and_the_margin() -> None:
    rows = np.arange(2 * len(FEATURES), dtype=float).reshape(2, -1)
    row = question_rows(rows, np.array([3.0, 1.0]))[0]
    assert list(row[-2:]) == [3.0, 2.0]
    assert list(row[len(FEATURES) : 2 * len(FEATURES)]) == list(rows[1])
    alone = question_rows(rows[:1], np.array([3.0]))[0]
    assert not alone[len(FEATURES) : 2 * len(FEATURES)].any()


@pytest.mark.parametrize(("change", "says"), [
    (lambda raw: raw.pop("rank"), "not a weights file"),
    (lambda raw: raw.update(features=raw["features"][:-1]), "other features"),
    (lambda raw: raw.update(threshold=2.0), "not finite numbers"),
])
def test_a_weights_file_that_does_not_fit_is_refused(
        tmp_path: Path, change: object, says: str) -> None:
    raw = to_dict(shipped_model())
    change(raw)  # type: ignore[operator]
    path = tmp_path / "weights.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ModelError, match=says) as caught:
        load(FEATURES, path)
    assert "train_weights.py" in str(caught.value)


def test_an_unreadable_weights_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "weights.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="cannot be read"):
        load(FEATURES, path)
