"""Report of a live evaluation: per method accuracy, dollars, latency and calls, with 95 % intervals,
as JSON, Markdown and a plot.

Input: per-item results `{method, id, correct, usd, seconds, calls}`, optionally `task` (report group)
and `score`. Accuracy intervals are Wilson score intervals, per task and overall; each pair of methods
gets the paired difference in accuracy on the items both answered, with a paired-bootstrap interval and
the exact McNemar p-value.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 4000
ALL_TASKS = "all"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95 % by default); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def mcnemar_p(only_a: int, only_b: int) -> float:
    """Exact two-sided McNemar p-value from the discordant counts."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(only_a, only_b) + 1)) / 2**n
    return min(1.0, 2 * tail)


def summarize(results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per method (first-seen order): n, accuracy, usd_per_query, latency p50/p95, calls_per_query."""
    by_method: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        by_method[result["method"]].append(result)
    rows = []
    for method, items in by_method.items():
        n = len(items)
        seconds = [float(r["seconds"]) for r in items]
        rows.append(
            {
                "method": method,
                "n": n,
                "accuracy": sum(bool(r["correct"]) for r in items) / n,
                "usd_per_query": sum(float(r["usd"]) for r in items) / n,
                "latency_p50_s": percentile(seconds, 50),
                "latency_p95_s": percentile(seconds, 95),
                "calls_per_query": sum(int(r["calls"]) for r in items) / n,
            }
        )
    return rows


def accuracy_intervals(results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per method, overall (task "all") and per task when there are several: n, correct, accuracy and
    its 95 % Wilson interval. Overall rows first, in first-seen method order."""
    groups: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for r in results:
        for task in {ALL_TASKS, r.get("task") or ALL_TASKS}:
            groups[(r["method"], task)].append(bool(r["correct"]))
    several_tasks = len({task for _, task in groups} - {ALL_TASKS}) > 1
    rows = []
    for (method, task), marks in groups.items():
        if task != ALL_TASKS and not several_tasks:
            continue
        k, n = sum(marks), len(marks)
        low, high = wilson_interval(k, n)
        rows.append({"method": method, "task": task, "n": n, "correct": k, "accuracy": k / n, "ci_low": low, "ci_high": high})
    overall = [r for r in rows if r["task"] == ALL_TASKS]
    return overall + sorted((r for r in rows if r["task"] != ALL_TASKS), key=lambda r: r["task"])


def paired_differences(results: Iterable[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """For each pair of methods (first-seen order), on the items both answered: accuracy of a minus b,
    its 95 % paired-bootstrap percentile interval, the discordant counts and the exact McNemar p-value."""
    marks: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in results:
        marks[r["method"]][r["id"]] = bool(r["correct"])
    rng = np.random.default_rng(seed)
    rows = []
    for a, b in itertools.combinations(marks, 2):
        ids = [i for i in marks[a] if i in marks[b]]
        if not ids:
            continue
        diff = np.array([int(marks[a][i]) - int(marks[b][i]) for i in ids], dtype=float)
        means = diff[rng.integers(0, len(diff), size=(BOOTSTRAP_RESAMPLES, len(diff)))].mean(axis=1)
        only_a, only_b = int((diff > 0).sum()), int((diff < 0).sum())
        rows.append({
            "a": a, "b": b, "n": len(ids), "difference": float(diff.mean()),
            "ci_low": float(np.percentile(means, 2.5)), "ci_high": float(np.percentile(means, 97.5)),
            "only_a_correct": only_a, "only_b_correct": only_b, "mcnemar_p": mcnemar_p(only_a, only_b),
        })
    return rows


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def markdown(rows: Sequence[dict[str, Any]], intervals: Sequence[dict[str, Any]] = (), pairs: Sequence[dict[str, Any]] = ()) -> str:
    """A Markdown table of `summarize` rows, then (when given) accuracy intervals per task and paired differences."""
    lines = [
        "| method | n | accuracy | $ / query | $ / 10k queries | latency p50 (s) | latency p95 (s) | calls / query |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['n']} | {100 * r['accuracy']:.1f} % | ${r['usd_per_query']:.5f} "
            f"| ${1e4 * r['usd_per_query']:.2f} | {r['latency_p50_s']:.2f} | {r['latency_p95_s']:.2f} "
            f"| {r['calls_per_query']:.2f} |"
        )
    if intervals:
        lines += ["", "Accuracy with 95 % Wilson intervals, overall (`all`) and per task:", "",
                  "| method | task | n | correct | accuracy | 95 % interval |", "|---|---|---|---|---|---|"]
        for r in intervals:
            lines.append(f"| {r['method']} | {r['task']} | {r['n']} | {r['correct']} | {_pct(r['accuracy'])} % "
                         f"| [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}] % |")
    if pairs:
        lines += ["", "Paired differences in accuracy (a − b) on the items both answered, 95 % paired-bootstrap "
                  "interval; an interval that contains 0 is no evidence of a difference:", "",
                  "| a | b | n | a − b | 95 % interval | only a right | only b right | McNemar p |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in pairs:
            lines.append(f"| {r['a']} | {r['b']} | {r['n']} | {100 * r['difference']:+.1f} pts "
                         f"| [{100 * r['ci_low']:+.1f}, {100 * r['ci_high']:+.1f}] | {r['only_a_correct']} "
                         f"| {r['only_b_correct']} | {r['mcnemar_p']:.3g} |")
    return "\n".join(lines) + "\n"


def plot(rows: Sequence[dict[str, Any]], path: Path, intervals: Sequence[dict[str, Any]] = (),
         pairs: Sequence[dict[str, Any]] = ()) -> None:
    """PNG: accuracy (with its 95 % interval) against dollars per query, one labelled point per method;
    beside it, each pair's accuracy difference with its 95 % interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    overall = {r["method"]: r for r in intervals if r["task"] == ALL_TASKS}
    fig, axes = plt.subplots(1, 2 if pairs else 1, figsize=(11 if pairs else 6, 4.5), squeeze=False)
    ax = axes[0][0]
    for r in rows:
        ci = overall.get(r["method"])
        yerr = [[r["accuracy"] - ci["ci_low"]], [ci["ci_high"] - r["accuracy"]]] if ci else None
        ax.errorbar([r["usd_per_query"]], [r["accuracy"]], yerr=yerr, fmt="o", capsize=4)
        ax.annotate(r["method"], (r["usd_per_query"], r["accuracy"]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("$ per query")
    ax.set_ylabel("accuracy (95 % Wilson interval)")
    ax.grid(alpha=0.3)
    if pairs:
        ax = axes[0][1]
        ys = list(range(len(pairs)))
        diffs = [p["difference"] for p in pairs]
        xerr = [[p["difference"] - p["ci_low"] for p in pairs], [p["ci_high"] - p["difference"] for p in pairs]]
        ax.errorbar(diffs, ys, xerr=xerr, fmt="o", capsize=4)
        ax.axvline(0, color="grey", linewidth=1)
        ax.set_yticks(ys, [f"{p['a']} − {p['b']}" for p in pairs], fontsize=8)
        ax.set_xlabel("accuracy difference (95 % paired bootstrap)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(results: Iterable[dict[str, Any]], out_dir: str | Path) -> list[Path]:
    """Write report.json, report.md and report.png into `out_dir`; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = list(results)
    rows, intervals, pairs = summarize(results), accuracy_intervals(results), paired_differences(results)
    paths = [out / "report.json", out / "report.md", out / "report.png"]
    paths[0].write_text(json.dumps({"methods": rows, "accuracy": intervals, "paired": pairs}, indent=2) + "\n")
    paths[1].write_text(markdown(rows, intervals, pairs))
    plot(rows, paths[2], intervals, pairs)
    return paths
