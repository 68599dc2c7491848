"""Report of a live evaluation: per method accuracy, dollars, latency and calls, with 95 % intervals,
as JSON, Markdown and a plot.

Input: per-item results `{method, id, correct, usd, seconds, calls}`, optionally `task` (report group)
and `score`. Accuracy intervals are Wilson score intervals, per task and overall; each pair of methods
gets the paired difference in accuracy on the items both answered, with the exact (conditional)
McNemar interval and p-value, which always agree: p < 0.05 exactly when the interval excludes 0.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

Z95 = 1.959963984540054
ALPHA = 0.05
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


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (no underflow for large n)."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    logs = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * math.log(p) + (n - i) * math.log1p(-p)
        for i in range(k + 1)
    ]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(x - top) for x in logs))


def _bisect(increasing: Callable[[float], float]) -> float:
    """The p in [0, 1] where an increasing function crosses 0 (60 halvings)."""
    low, high = 0.0, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if increasing(mid) < 0 else (low, mid)
    return (low + high) / 2


def clopper_pearson(k: int, n: int, alpha: float = ALPHA) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a binomial proportion; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    low = 0.0 if k == 0 else _bisect(lambda p: (1 - _binomial_cdf(k - 1, n, p)) - alpha / 2)
    high = 1.0 if k == n else _bisect(lambda p: alpha / 2 - _binomial_cdf(k, n, p))
    return low, high


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
        rows.append(
            {"method": method, "task": task, "n": n, "correct": k, "accuracy": k / n, "ci_low": low, "ci_high": high}
        )
    overall = [r for r in rows if r["task"] == ALL_TASKS]
    return overall + sorted((r for r in rows if r["task"] != ALL_TASKS), key=lambda r: str(r["task"]))


def paired_differences(results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each pair of methods (first-seen order), on the N items both answered: accuracy of a minus b,
    the discordant counts (only a right: b10, only b right: b01), the exact McNemar p-value, and the
    exact conditional 95 % interval of the difference: with n = b10 + b01 discordant items and
    [lo, hi] the Clopper-Pearson interval of b10 / n, the difference lies in n / N × [2 lo − 1, 2 hi − 1]."""
    marks: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in results:
        marks[r["method"]][r["id"]] = bool(r["correct"])
    rows = []
    for a, b in itertools.combinations(marks, 2):
        ids = [i for i in marks[a] if i in marks[b]]
        if not ids:
            continue
        only_a = sum(marks[a][i] and not marks[b][i] for i in ids)
        only_b = sum(marks[b][i] and not marks[a][i] for i in ids)
        discordant, n = only_a + only_b, len(ids)
        low, high = clopper_pearson(only_a, discordant) if discordant else (0.5, 0.5)
        rows.append(
            {
                "a": a,
                "b": b,
                "n": n,
                "difference": (only_a - only_b) / n,
                "ci_low": discordant / n * (2 * low - 1),
                "ci_high": discordant / n * (2 * high - 1),
                "only_a_correct": only_a,
                "only_b_correct": only_b,
                "mcnemar_p": mcnemar_p(only_a, only_b),
            }
        )
    return rows


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def markdown(
    rows: Sequence[dict[str, Any]], intervals: Sequence[dict[str, Any]] = (), pairs: Sequence[dict[str, Any]] = ()
) -> str:
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
        lines += [
            "",
            "Accuracy with 95 % Wilson intervals, overall (`all`) and per task:",
            "",
            "| method | task | n | correct | accuracy | 95 % interval |",
            "|---|---|---|---|---|---|",
        ]
        for r in intervals:
            lines.append(
                f"| {r['method']} | {r['task']} | {r['n']} | {r['correct']} | {_pct(r['accuracy'])} % "
                f"| [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}] % |"
            )
    if pairs:
        lines += [
            "",
            "Paired differences in accuracy (a − b) on the items both answered, exact McNemar 95 % "
            "interval and p-value; an interval that contains 0 is no evidence of a difference:",
            "",
            "| a | b | n | a − b | 95 % interval | only a right | only b right | McNemar p |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in pairs:
            lines.append(
                f"| {r['a']} | {r['b']} | {r['n']} | {100 * r['difference']:+.1f} pts "
                f"| [{100 * r['ci_low']:+.1f}, {100 * r['ci_high']:+.1f}] | {r['only_a_correct']} "
                f"| {r['only_b_correct']} | {r['mcnemar_p']:.3g} |"
            )
    return "\n".join(lines) + "\n"


def plot(
    rows: Sequence[dict[str, Any]],
    path: Path,
    intervals: Sequence[dict[str, Any]] = (),
    pairs: Sequence[dict[str, Any]] = (),
) -> None:
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
        ax.annotate(
            r["method"], (r["usd_per_query"], r["accuracy"]), fontsize=8, xytext=(4, 4), textcoords="offset points"
        )
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
        ax.set_xlabel("accuracy difference a − b (exact McNemar 95 % interval)")
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
