"""Report of a live evaluation: per method accuracy, dollars, latency and calls, as JSON, Markdown and a plot.

Input: per-item results `{method, id, correct, usd, seconds, calls}`.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


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


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of `summarize` rows."""
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
    return "\n".join(lines) + "\n"


def plot(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """PNG: accuracy against dollars per query, one labelled point per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for r in rows:
        ax.scatter([r["usd_per_query"]], [r["accuracy"]], s=50)
        ax.annotate(r["method"], (r["usd_per_query"], r["accuracy"]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("$ per query")
    ax.set_ylabel("accuracy")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(results: Iterable[dict[str, Any]], out_dir: str | Path) -> list[Path]:
    """Write report.json, report.md and report.png into `out_dir`; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = summarize(results)
    paths = [out / "report.json", out / "report.md", out / "report.png"]
    paths[0].write_text(json.dumps({"methods": rows}, indent=2) + "\n")
    paths[1].write_text(markdown(rows))
    plot(rows, paths[2])
    return paths
