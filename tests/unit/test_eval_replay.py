"""Replay evaluation metrics against hand-computed values, and the `eval replay` command."""

import argparse
import json
from dataclasses import replace

import pytest

from routemoa.errors import UserError
from routemoa.eval import replay_eval
from routemoa.eval.cli import register
from routemoa.eval.replay_data import load_replay
from routemoa.eval.replay_eval import Point, evaluate_replay, pareto, routemoa_selection
from routemoa.eval.replay_pool import replay_pool
from tests.unit.test_replay import write_csv

# Tiny data (tests/unit/test_replay.py): q1 both right (costs 1 / 10), q2 only big right (1 / 10),
# q3 nobody right, big has no result (2 / 20). All models together: $44.
SCORES = [{"cheap": 0.9, "big": 0.5}, {"cheap": 0.4, "big": 0.8}, {"cheap": 0.6, "big": 0.55}]


@pytest.fixture
def setup(tmp_path):
    path = write_csv(tmp_path / "tiny.csv")
    pool = replay_pool(path)
    specs = tuple(replace(s, input_price=p, output_price=p) for s, p in zip(pool.models, (1.0, 10.0)))
    return load_replay(path), replace(pool, models=specs), path


def point(result, method, **params):
    return next(
        p
        for p in result["baselines"] + result["routemoa_sweep"]
        if p.method == method and all(p.params.get(k) == v for k, v in params.items())
    )


def test_baselines_hand_computed(setup):
    data, pool, _ = setup
    result = evaluate_replay(data, pool, SCORES, progress=False)
    assert result["all_model_usd"] == 44.0
    moa = point(result, "moa")
    assert (moa.any_correct, moa.first_pick_accuracy, moa.cost_ratio, moa.models_per_query) == (2 / 3, None, 1.0, 2.0)
    single = point(result, "single-best")
    assert single.params == {"model": "big"} and result["single_best"]["chosen_on"] == "test (in-sample)"
    assert single.any_correct == pytest.approx(2 / 3) and single.cost_ratio == pytest.approx(40 / 44)
    oracle = point(result, "oracle")
    assert oracle.any_correct == pytest.approx(2 / 3) and oracle.cost_ratio == pytest.approx(4 / 44 + 9 / 44)
    assert point(result, "random", k=2).cost_ratio == 1.0


def test_routemoa_points_hand_computed(setup):
    data, pool, _ = setup
    result = evaluate_replay(data, pool, SCORES, progress=False)
    top1 = point(result, "routemoa", top_k=1, cost_weight=0.0)  # picks cheap, big, cheap
    assert (top1.any_correct, top1.first_pick_accuracy) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert top1.cost_ratio == pytest.approx(13 / 44) and top1.usd_per_query == pytest.approx(13 / 3)
    cheap = point(result, "routemoa", top_k=1, cost_weight=0.5)  # price penalty: cheap everywhere
    assert cheap.any_correct == pytest.approx(1 / 3) and cheap.cost_ratio == pytest.approx(4 / 44)
    both = point(result, "routemoa", top_k=2, tolerance=1.0, cost_weight=0.0)
    assert (both.any_correct, both.first_pick_accuracy, both.cost_ratio, both.models_per_query) == (
        pytest.approx(2 / 3),
        pytest.approx(2 / 3),
        1.0,
        2.0,
    )
    narrow = point(result, "routemoa", top_k=2, tolerance=0.1, cost_weight=0.0)  # q3: 0.6 vs 0.55 keeps both
    assert narrow.models_per_query == pytest.approx(4 / 3)


def test_single_best_from_train(setup, tmp_path):
    data, pool, _ = setup
    rows = [("t1", "math", "['x']", {"cheap": ("1.0", "a", 1.0), "big": ("0.0", "b", 9.0)})]
    train = load_replay(write_csv(tmp_path / "train.csv", rows))
    result = evaluate_replay(data, pool, SCORES, train=train, progress=False)
    assert result["single_best"] == {"model": "cheap", "chosen_on": "train"}


def test_selection_and_pareto(setup):
    _, pool, _ = setup
    assert routemoa_selection(SCORES[1], pool, top_k=2, tolerance=0.2, cost_weight=0.0) == ["big"]
    pts = [
        Point("r", {"i": i}, a, a, c, 0.0, 1.0)
        for i, (a, c) in enumerate([(0.5, 0.1), (0.4, 0.2), (0.7, 0.3), (0.6, 0.05)])
    ]
    assert [p.params["i"] for p in pareto(pts, "any_correct")] == [3, 2]


def test_cli_replay_writes_outputs(setup, tmp_path, monkeypatch, capsys):
    _, _, path = setup
    monkeypatch.setattr(
        replay_eval, "prior_scores", lambda texts, pool, progress=True: (SCORES[: len(texts)], "zero-shot")
    )
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    out = tmp_path / "out"
    args = parser.parse_args(["eval", "replay", "--data", str(path), "--json", "--out", str(out), "--quiet"])
    assert args.handler(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["queries"] == 3 and printed["prior"] == "zero-shot"
    assert printed["operating_points"]["any_correct"]["max_cost_ratio"] == 0.10
    assert {p.name for p in out.iterdir()} == {"replay.json", "replay.md", "replay.png"}
    assert "| oracle |" in (out / "replay.md").read_text()
    with pytest.raises(UserError, match="--scorer"):
        bad = parser.parse_args(["eval", "replay", "--data", str(path), "--scorer", str(tmp_path / "none"), "--quiet"])
        bad.handler(bad)


def test_prior_scores_batches_keep_query_order(setup, monkeypatch):
    import numpy as np

    from routemoa.scorer import zero_shot

    _, pool, _ = setup
    seen = []

    def fake_prior(queries, descriptions, encoder=None):
        seen.append(len(queries))
        return np.array([[int(q) / 1000, 1 - int(q) / 1000] for q in queries])

    monkeypatch.setattr(zero_shot, "description_prior", fake_prior)
    queries = [str(i) for i in range(150)]
    scores, source = replay_eval.prior_scores(queries, pool, progress=False)
    assert source == "zero-shot" and seen == [64, 64, 22]
    assert scores[149] == {"cheap": pytest.approx(0.149), "big": pytest.approx(0.851)}
