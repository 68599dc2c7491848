"""Live-evaluation report: Wilson intervals per task and overall, paired differences, Markdown and PNG."""

import json

import pytest

from routemoa.eval.report import (
    accuracy_intervals,
    clopper_pearson,
    markdown,
    mcnemar_p,
    paired_differences,
    summarize,
    wilson_interval,
    write_report,
)


def test_wilson_interval_known_values():
    # reference values: scipy.stats.binomtest(8, 10).proportion_ci(method="wilson")
    assert wilson_interval(8, 10) == pytest.approx((0.4901624715366418, 0.9433178485456248))
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and high == pytest.approx(0.16112515, rel=1e-6)
    assert wilson_interval(20, 20)[1] == 1.0 and wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    "k, n, expected",
    [  # reference values: scipy.stats.binomtest(k, n).proportion_ci(method="exact")
        (11, 14, (0.4920243229515283, 0.9534207121102133)),
        (0, 5, (0.0, 0.5218237501049814)),
        (2, 9, (0.028144973477887324, 0.6000935737163121)),
        (20, 20, (0.8315665290169145, 1.0)),
        (100, 200, (0.4286584309068121, 0.5713415690931879)),
    ],
)
def test_clopper_pearson_known_values(k, n, expected):
    assert clopper_pearson(k, n) == pytest.approx(expected, abs=1e-9)


def test_mcnemar_exact_p():
    assert mcnemar_p(2, 7) == pytest.approx(0.1796875)  # scipy.stats.binomtest(2, 9).pvalue
    assert mcnemar_p(0, 0) == 1.0 and mcnemar_p(5, 5) == 1.0
    assert mcnemar_p(0, 10) == pytest.approx(2 / 1024)


def results(method, marks, task_of=lambda i: "math" if i % 2 else "qa"):
    return [
        {
            "method": method,
            "id": str(i),
            "correct": bool(c),
            "usd": 0.01,
            "seconds": 1.0,
            "calls": 1,
            "task": task_of(i),
        }
        for i, c in enumerate(marks)
    ]


def test_accuracy_intervals_per_task_and_overall():
    rows = accuracy_intervals(results("moa", [1, 1, 0, 1, 0, 1, 1, 1, 1, 1]))
    overall, *per_task = rows
    assert overall["task"] == "all" and overall["n"] == 10 and overall["correct"] == 8
    assert (overall["ci_low"], overall["ci_high"]) == pytest.approx(wilson_interval(8, 10))
    assert [(r["task"], r["n"], r["correct"]) for r in per_task] == [("math", 5, 5), ("qa", 5, 3)]
    single_task = accuracy_intervals(results("moa", [1, 0], task_of=lambda i: "gsm8k"))
    assert [r["task"] for r in single_task] == ["all"]  # one task: no repeated per-task row
    untagged = [{k: v for k, v in r.items() if k != "task"} for r in results("moa", [1, 0, 1])]
    assert accuracy_intervals(untagged)[0]["n"] == 3  # old cached rows without a task count once


def test_paired_differences_twenty_questions_are_not_evidence():
    a = [1] * 12 + [0] * 8
    b = [1] * 10 + [0] * 10
    pair = paired_differences(results("routemoa", a) + results("moa", b))[0]
    assert (pair["a"], pair["b"], pair["n"]) == ("routemoa", "moa", 20)
    assert pair["difference"] == pytest.approx(0.1)
    assert pair["only_a_correct"] == 2 and pair["only_b_correct"] == 0
    low, high = clopper_pearson(2, 2)
    assert (pair["ci_low"], pair["ci_high"]) == pytest.approx((2 / 20 * (2 * low - 1), 2 / 20 * (2 * high - 1)))
    assert pair["ci_low"] < 0.0 < pair["difference"] <= pair["ci_high"]
    assert pair["mcnemar_p"] == pytest.approx(0.5)


def test_paired_interval_agrees_with_the_mcnemar_p_value():
    for only_a, only_b in [(11, 3), (12, 3), (9, 1), (10, 1), (30, 15), (31, 15), (4, 4)]:
        a = [1] * only_a + [0] * only_b + [1] * 10
        b = [0] * only_a + [1] * only_b + [1] * 10
        pair = paired_differences(results("x", a) + results("y", b))[0]
        assert (pair["mcnemar_p"] < 0.05) == (pair["ci_low"] > 0 or pair["ci_high"] < 0), (only_a, only_b)


def test_paired_differences_large_gap_excludes_zero_and_pairs_by_id():
    a = results("x", [1] * 200)
    b = results("y", [1] * 100 + [0] * 100)
    pair = paired_differences(a + b[::-1])[0]
    assert pair["difference"] == pytest.approx(0.5) and pair["ci_low"] > 0.4
    assert pair["mcnemar_p"] < 1e-20
    same = paired_differences(results("x", [1, 0, 1]) + results("y", [1, 0, 1]))[0]
    assert (same["difference"], same["ci_low"], same["ci_high"], same["mcnemar_p"]) == (0.0, 0.0, 0.0, 1.0)


def test_report_shows_intervals_in_markdown_json_and_png(tmp_path):
    rows = results("routemoa", [1, 1, 0, 1]) + results("moa", [1, 0, 0, 1])
    paths = write_report(rows, tmp_path)
    report = json.loads(paths[0].read_text())
    assert {r["task"] for r in report["accuracy"]} == {"all", "math", "qa"}
    assert report["paired"][0]["a"] == "routemoa" and report["methods"][0]["method"] == "routemoa"
    md = paths[1].read_text()
    low, high = wilson_interval(3, 4)
    assert f"| routemoa | all | 4 | 3 | 75.0 % | [{100 * low:.1f}, {100 * high:.1f}] % |" in md
    assert "| routemoa | moa | 4 | +25.0 pts |" in md
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[2].stat().st_size > 10_000
    assert markdown(summarize(rows)).count("\n") == 4  # without intervals: the plain table only
