"""benchmarks/replay_frontier.py: issue 13's targets, and knobs chosen on the train files, on tiny replay data."""

from __future__ import annotations

import pytest

from benchmarks import replay_frontier
from routemoa.eval import replay_eval
from routemoa.eval.replay_eval import Point
from tests.unit.test_replay import write_csv

# Per file: one "hard" query only big gets right ($1 cheap / $10 big), one both get right, and (mbpp)
# nine only cheap gets right. Test files: 11 queries, $121 for every model. Cheap on the easy ones and
# big on the hard one: every first pick right at $20 (ratio 0.165); cheap alone: 10 of 11 at $11 (0.091).
BOTH = {"cheap": ("1.0", "a", 1.0), "big": ("1.0", "a", 10.0)}
HARD = {"cheap": ("0.0", "b", 1.0), "big": ("1.0", "a", 10.0)}
EASY = {"cheap": ("1.0", "a", 1.0), "big": ("0.0", "b", 10.0)}


def _scores(texts, pool, progress=True):
    return [{"cheap": 0.3, "big": 0.9} if "hard" in t else {"cheap": 0.9, "big": 0.3} for t in texts], "zero-shot"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(replay_eval, "prior_scores", _scores)
    monkeypatch.setattr(replay_frontier, "prior_scores", _scores)
    for split in ("train", "test"):
        arc = [
            (f"{split}-a1", "arc", f"['{split} easy one']", BOTH),
            (f"{split}-a2", "arc", f"['{split} hard one']", HARD),
        ]
        mbpp = [(f"{split}-m{i}", "mbpp", f"['{split} code {i}']", EASY) for i in range(9)]
        write_csv(tmp_path / f"arc_challenge_{split}.csv", arc)
        write_csv(tmp_path / f"mbpp_{split}.csv", mbpp)
    return tmp_path


def test_prints_issue_13_targets_and_the_knobs_chosen_on_train(data_dir, capsys):
    assert replay_frontier.main([str(data_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    targets = [line.strip() for line in lines if line.strip().startswith(("any_correct >=", "first_pick_accuracy >="))]
    assert len(targets) == 4  # best of the test sweep, then chosen on train, per target
    assert targets[0].startswith("any_correct >= 0.94 at cost ratio <= 0.1: 0.9091 at cost ratio 0.0909")
    assert targets[0].endswith("-> not met")
    assert targets[1].startswith("first_pick_accuracy >= 0.887 at cost ratio <= 0.2: 1.0000 at cost ratio 0.1653")
    assert targets[1].endswith("-> MET")
    assert "-> MET; on the train files 1.0000 at 0.1653" in targets[3]
    assert any(line.startswith("Measured in") and str(data_dir) in line for line in lines)


def test_no_train_choice_skips_it(data_dir, capsys):
    assert replay_frontier.main([str(data_dir), "--no-train-choice"]) == 0
    printed = capsys.readouterr().out
    assert "chosen on the train files" not in printed and "--no-train-choice" in printed


def _point(first: float, cost: float) -> Point:
    return Point("routemoa", {"top_k": 1}, first, first, cost, 0.0, 1.0)


@pytest.mark.parametrize(
    "point, verdict",
    [
        (_point(0.887, 0.2), "MET"),
        (_point(0.886, 0.1), "not met"),
        (_point(0.95, 0.21), "not met"),
        (None, "none -> not met"),
    ],
)
def test_verdict_needs_the_value_within_the_budget(point, verdict):
    assert replay_frontier.verdict("first_pick_accuracy", 0.2, point).endswith(f"{verdict}")
