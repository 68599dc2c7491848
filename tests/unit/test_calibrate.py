"""`routemoa calibrate`: knobs for a cost budget or a target accuracy, on hand-computed replay data."""

from __future__ import annotations

import pytest
import yaml

from routemoa.cli import main
from routemoa.errors import UserError
from routemoa.eval import calibrate as calibration
from routemoa.eval.replay_eval import routemoa_selection
from routemoa.eval.replay_pool import replay_pool
from tests.unit.test_replay import write_csv

# tests/unit/test_replay.py's data: q1 both right ($1 cheap / $10 big), q2 only big right ($1 / $10),
# q3 nobody right ($2 / $20); every model on every query: $44. The cheapest layer that is right on
# q1 and q2 calls cheap, big, cheap: $13 (ratio 0.295); cheap everywhere: $4 (0.091), right on q1 only.
SCORES = [{"cheap": 0.9, "big": 0.5}, {"cheap": 0.4, "big": 0.8}, {"cheap": 0.6, "big": 0.55}]


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setattr(
        calibration, "prior_scores", lambda texts, pool, progress=True: (SCORES[: len(texts)], "zero-shot")
    )
    return str(write_csv(tmp_path / "tiny.csv"))


def test_most_accurate_within_the_budget(data):
    result = calibration.calibrate([data], budget=0.3, progress=False)
    fit = result["fit"]
    assert fit.any_correct == pytest.approx(2 / 3) and fit.cost_ratio == pytest.approx(13 / 44)
    assert [routemoa_selection(s, replay_pool(data), **result["knobs"]) for s in SCORES] == [
        ["cheap"],
        ["big"],
        ["cheap"],
    ]
    tight = calibration.calibrate([data], budget=0.1, progress=False)["fit"]
    assert tight.any_correct == pytest.approx(1 / 3) and tight.cost_ratio == pytest.approx(4 / 44)


def test_cheapest_reaching_a_target(data):
    result = calibration.calibrate([data], target=0.6, progress=False)
    assert result["fit"].cost_ratio == pytest.approx(13 / 44) and result["in_sample"]
    assert calibration.calibrate([data], target=0.3, progress=False)["fit"].cost_ratio == pytest.approx(4 / 44)
    unreachable = calibration.calibrate([data], target=0.9, progress=False)
    assert unreachable["knobs"] is None and unreachable["closest"].any_correct == pytest.approx(2 / 3)


def test_knobs_chosen_on_train_are_measured_on_data(data, tmp_path):
    # on train, cheap is always right: the budget buys cheap alone; on the data that is right once in three
    rows = [
        (f"t{i}", "math", f"['question {i}']", {"cheap": ("1.0", "a", 1.0), "big": ("1.0", "b", 10.0)})
        for i in range(3)
    ]
    train = str(write_csv(tmp_path / "train.csv", rows))
    result = calibration.calibrate([data], [train], budget=0.5, progress=False)
    assert not result["in_sample"] and result["chosen_on"] == [train]
    assert result["fit"].any_correct == 1.0 and result["measured"].any_correct == pytest.approx(1 / 3)
    assert "held out" in calibration.report(result) and "# held out" in calibration.yaml_snippet(result)


def test_cli_refuses_an_out_it_could_not_write_before_calibrating(data, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["calibrate", "--data", data, "--budget", "0.3", "--out", str(blocker / "k.yaml"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: --out {blocker / 'k.yaml'}: cannot write to {blocker} (not a folder)\n"
    assert main(["calibrate", "--data", data, "--budget", "0.3", "--out", str(tmp_path), "--quiet"]) == 2
    assert capsys.readouterr().err == f"error: --out {tmp_path}: is a folder; give a file name\n"


def test_cli_prints_and_writes_yaml(data, tmp_path, capsys):
    out = tmp_path / "knobs.yaml"
    assert main(["calibrate", "--data", data, "--budget", "0.3", "--out", str(out), "--quiet"]) == 0
    knobs = yaml.safe_load(out.read_text())
    assert set(knobs) == {"top_k", "tolerance", "cost_weight"} and knobs["top_k"] == 1
    printed = capsys.readouterr().out
    assert "any_correct 0.667, cost ratio 0.295" in printed and printed.rstrip().endswith(
        f"cost_weight: {knobs['cost_weight']}"
    )
    assert main(["calibrate", "--data", data, "--target", "0.9", "--quiet"]) == 1
    assert "no knob setting fits" in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "--budget"),
        ({"budget": 0}, "above 0"),
        ({"target": 1.5}, "--target"),
        ({"budget": 0.3, "metric": "f1"}, "--metric"),
    ],
)
def test_bad_arguments_are_one_line_errors(data, kwargs, message):
    with pytest.raises(UserError, match=message):
        calibration.calibrate([data], progress=False, **kwargs)
