"""Outputs of a replay evaluation: JSON, a Markdown table and an accuracy-vs-cost plot."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from routemoa.eval.replay_eval import Point


def to_jsonable(result: dict) -> dict:
    """The result of `evaluate_replay` with every Point turned into a plain dict."""

    def convert(value):
        if isinstance(value, Point):
            return {"label": value.label(), **asdict(value)}
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value

    return convert(result)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _row(point: Point, note: str = "") -> str:
    return (
        f"| {point.label()}{note} | {_pct(point.any_correct)} | {_pct(point.first_pick_accuracy)} "
        f"| {_pct(point.cost_ratio)} | ${point.usd_per_query:.5f} | {point.models_per_query:.2f} |"
    )


def markdown(result: dict) -> str:
    """Markdown: baselines, RouteMoA defaults, operating points and both frontiers."""
    head = (
        "| method | any correct | first pick right | cost ratio | $ / query | models / query |\n"
        "|---|---|---|---|---|---|"
    )
    lines = [
        f"Replay evaluation: {result['queries']} queries, {len(result['models'])} models, "
        f"all models ${result['all_model_usd']:.2f}; prior: {result.get('prior', '?')} on the {result.get('query', '?')}; "
        f"single best chosen on {result['single_best']['chosen_on']}.",
        "",
        head,
        *(_row(p) for p in result["baselines"]),
        _row(result["routemoa_default"], " (defaults)"),
    ]
    for metric, entry in result["operating_points"].items():
        point = entry["point"]
        note = f" (best {metric} at cost ratio ≤ {entry['max_cost_ratio']})"
        lines.append(_row(point, note) if point else f"| none{note} | | | | | |")
    for metric, frontier in result["frontier"].items():
        lines += ["", f"RouteMoA frontier, {metric} against cost ratio:", "", head, *(_row(p) for p in frontier)]
    return "\n".join(lines) + "\n"


def plot(result: dict, path: Path) -> None:
    """PNG: any-correct and first-pick accuracy against cost ratio (log scale), every method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharex=True, sharey=True)
    for ax, metric in zip(axes, ("any_correct", "first_pick_accuracy")):
        sweep = result["routemoa_sweep"]
        ax.scatter(
            [p.cost_ratio for p in sweep],
            [getattr(p, metric) for p in sweep],
            s=10,
            alpha=0.3,
            color="tab:blue",
            label="RouteMoA settings",
        )
        frontier = result["frontier"][metric]
        ax.plot(
            [p.cost_ratio for p in frontier],
            [getattr(p, metric) for p in frontier],
            "-o",
            ms=4,
            color="tab:blue",
            label="RouteMoA frontier",
        )
        markers = {
            "moa": ("s", "tab:red"),
            "single-best": ("D", "tab:green"),
            "oracle": ("*", "gold"),
            "random": ("x", "gray"),
        }
        for point in result["baselines"] + [result["routemoa_default"]]:
            value = getattr(point, metric)
            if value is None:
                continue
            marker, color = markers.get(point.method, ("P", "tab:purple"))
            ax.scatter([point.cost_ratio], [value], marker=marker, color=color, s=60, zorder=3)
            label = "RouteMoA defaults" if point.method == "routemoa" else point.label().replace(" seed=", ", seed ")
            ax.annotate(label, (point.cost_ratio, value), fontsize=7, xytext=(4, -8), textcoords="offset points")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("cost ratio (selected models' dollars / all models' dollars)")
        ax.set_title(metric.replace("_", " "))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy")
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Replay: {result['queries']} queries, prior {result.get('prior', '?')}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_outputs(result: dict, out_dir: Path) -> list[Path]:
    """Write replay.json, replay.md and replay.png into `out_dir`; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "replay.json", out_dir / "replay.md", out_dir / "replay.png"]
    paths[0].write_text(json.dumps(to_jsonable(result), indent=2) + "\n")
    paths[1].write_text(markdown(result))
    plot(result, paths[2])
    return paths
