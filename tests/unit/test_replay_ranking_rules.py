"""benchmarks/replay_ranking_rules.py: the ceilings and the one-model curve, hand-computed on a tiny replay file."""

from __future__ import annotations

import pytest

from benchmarks import replay_ranking_rules as rules
from routemoa.eval.replay_pool import replay_pool
from tests.unit.test_replay import write_csv
from tests.unit.test_replay_frontier import BOTH, EASY, HARD

# arc: one question both models get right, one only big does; mbpp: nine only cheap does. $1 cheap, $10 big
# each: $121 for every model on every question.
ROWS = [("a1", "arc", "['easy one']", BOTH), ("a2", "arc", "['hard one']", HARD)]
ROWS += [(f"m{i}", "mbpp", f"['code {i}']", EASY) for i in range(9)]


@pytest.fixture
def split(tmp_path):
    path = str(write_csv(tmp_path / "tiny.csv", ROWS))
    pool = replay_pool([path])
    scores = [{"cheap": 0.3, "big": 0.9} if "hard" in r[2] else {"cheap": 0.9, "big": 0.3} for r in ROWS]
    return rules.Split([path], pool, scores)


def test_best_fixed_sets_per_task_within_the_budget(split):
    assert rules.best_fixed_sets(split, 0.1) == pytest.approx((10 / 11, 11 / 121))  # cheap on both tasks
    assert rules.best_fixed_sets(split, 0.25) == pytest.approx((1.0, 29 / 121))  # big on arc, cheap on mbpp


def test_random_mix_spends_the_first_pick_budget(split):
    share = (0.2 * 121 - 11) / (20 - 2)
    expected = (share * 2 + (1 - share) * 1 + 9) / 11
    assert rules.random_mix(split, ["cheap", "big"], "arc", "big", "cheap", "cheap") == pytest.approx(expected)


def test_separation_and_the_one_model_curve(split):
    assert rules.separation(split, ["cheap", "big"], "arc", "big", "cheap") == (1.0, 1)
    curve = rules.one_model_curve(split, split.scores, split.relative_output_price(), [0.0, 10.0])
    assert curve[0] == pytest.approx((1.0, 20 / 121))  # the top score everywhere: every pick right
    assert curve[1] == pytest.approx((10 / 11, 11 / 121))  # price dominates: cheap everywhere
