"""From a cost budget to knobs: the `top_k`, `tolerance` and `cost_weight` that give the most accurate
first layer within a cost ratio (or the cheapest that reach a target accuracy), on recorded results.

Like RouteLLM's `calibrate_threshold`, but for RouteMoA's selection. It reuses the replay
evaluation (routemoa.eval.replay_eval): the prior per query, the same knob grid and the same
metrics, where the cost ratio is the selected models' recorded dollars over every model's
(MoA's first layer = 1.0). The knobs are chosen on `--train` when given and then measured on
`--data` (held out); without `--train` they are chosen and measured on `--data` (in-sample).
Only the first layer is replayed: later layers and aggregation add cost the ratio does not see.
"""

from __future__ import annotations

from collections.abc import Sequence

from routemoa.errors import UserError
from routemoa.eval.replay_data import ReplayData, load_replay
from routemoa.eval.replay_eval import (
    DEFAULT_KNOBS,
    QUERY_TEXTS,
    Point,
    knob_grid,
    load_data_and_pool,
    prior_scores,
    routemoa_selection,
    score_selections,
)
from routemoa.spec import Pool

METRICS = ("any_correct", "first_pick_accuracy")
"""What "accuracy" means: some first-layer model right, or the top-ranked one right."""


def sweep(data: ReplayData, pool: Pool, scores: Sequence[dict[str, float]]) -> list[Point]:
    """RouteMoA's first layer on `data` for every knob setting of the grid."""
    return [
        score_selections("routemoa", knobs, data.records, [routemoa_selection(s, pool, **knobs) for s in scores])
        for knobs in knob_grid()
    ]


def choose(points: Sequence[Point], metric: str, budget: float | None, target: float | None) -> Point | None:
    """With `target`: the cheapest point whose `metric` reaches it (within `budget` if given; ties: the
    more accurate). Else the most accurate point within `budget` (ties: the cheaper). None if none fits."""
    affordable = [p for p in points if budget is None or p.cost_ratio <= budget + 1e-12]
    if target is not None:
        reached = [p for p in affordable if getattr(p, metric) >= target - 1e-12]
        return min(reached, key=lambda p: (p.cost_ratio, -getattr(p, metric), p.models_per_query), default=None)
    return max(affordable, key=lambda p: (getattr(p, metric), -p.cost_ratio, -p.models_per_query), default=None)


def _texts(data: ReplayData, query: str) -> list[str]:
    return [r.prompt if query == "prompt" else r.question for r in data.records]


def _check(budget: float | None, target: float | None, metric: str, query: str) -> None:
    if budget is None and target is None:
        raise UserError("give --budget RATIO (a cost ratio, e.g. 0.3 = 30% of calling every model) and/or --target ACC")
    if budget is not None and not budget > 0:
        raise UserError(f"--budget must be a cost ratio above 0 (1.0 = every model's cost), got {budget}")
    if target is not None and not 0 < target <= 1:
        raise UserError(f"--target must be an accuracy in (0, 1], got {target}")
    if metric not in METRICS:
        raise UserError(f"--metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if query not in QUERY_TEXTS:
        raise UserError(f"--query must be one of {', '.join(QUERY_TEXTS)}, got {query!r}")


def calibrate(
    data_paths: Sequence[str],
    train_paths: Sequence[str] = (),
    *,
    scorer: str | None = None,
    budget: float | None = None,
    target: float | None = None,
    metric: str = "any_correct",
    query: str = "prompt",
    progress: bool = True,
) -> dict:
    """Choose the knobs; returns them with the measured points (see the module docstring)."""
    _check(budget, target, metric, query)
    data, pool = load_data_and_pool(data_paths, scorer)
    fit = data
    if train_paths:
        fit = load_replay(list(train_paths))
        missing = sorted(set(pool.names) - set(fit.models))
        if missing:
            raise UserError(f"--train has no recorded results for {', '.join(missing)} (models of --data)")
    fit_scores, source = prior_scores(_texts(fit, query), pool, progress)
    fit_points = sweep(fit, pool, fit_scores)
    chosen = choose(fit_points, metric, budget, target)
    measured = None
    if chosen is not None and train_paths:
        scores, _ = prior_scores(_texts(data, query), pool, progress)
        selections = [routemoa_selection(s, pool, **chosen.params) for s in scores]
        measured = score_selections("routemoa", chosen.params, data.records, selections)
    elif chosen is not None:
        measured = chosen
    default = next(p for p in fit_points if p.params == DEFAULT_KNOBS)
    return {
        "knobs": dict(chosen.params) if chosen else None,
        "metric": metric,
        "budget": budget,
        "target": target,
        "chosen_on": [str(p) for p in train_paths] or [str(p) for p in data_paths],
        "in_sample": not train_paths,
        "fit": chosen,
        "measured": measured,
        "default": default,
        "closest": None if chosen else max(fit_points, key=lambda p: (getattr(p, metric), -p.cost_ratio)),
        "queries": {"fit": len(fit.records), "data": len(data.records)},
        "prior": source,
    }


def _describe(point: Point, metric: str) -> str:
    return f"{metric} {getattr(point, metric):.3f}, cost ratio {point.cost_ratio:.3f}, {point.models_per_query:.2f} models/query"


def report(result: dict) -> str:
    """The result for the terminal: the goal, the knobs and what they measured."""
    metric = result["metric"]
    goal = (
        f"the cheapest knobs with {metric} >= {result['target']}"
        if result["target"] is not None
        else f"the highest {metric}"
    ) + (f" at cost ratio <= {result['budget']}" if result["budget"] is not None else "")
    lines = [
        f"calibrate: {goal}, chosen on {', '.join(result['chosen_on'])} ({result['queries']['fit']} queries, prior: {result['prior']})"
    ]
    if result["knobs"] is None:
        closest = result["closest"]
        lines.append(
            f"no knob setting fits; the most accurate setting is {closest.label()}: {_describe(closest, metric)}"
        )
        return "\n".join(lines) + "\n"
    lines.append(f"knobs: {result['fit'].label()}")
    lines.append(f"on the data they were chosen on: {_describe(result['fit'], metric)}")
    if not result["in_sample"]:
        lines.append(f"held out (--data, {result['queries']['data']} queries): {_describe(result['measured'], metric)}")
    lines.append(
        f"the defaults ({result['default'].label()}) on the data the knobs were chosen on: {_describe(result['default'], metric)}"
    )
    return "\n".join(lines) + "\n"


def yaml_snippet(result: dict) -> str:
    """The chosen knobs as YAML, with how they were measured in comments."""
    metric, fit, measured = result["metric"], result["fit"], result["measured"]
    lines = [
        "# RouteMoA knobs from `routemoa calibrate` (first layer replayed on recorded results)",
        f"# chosen on {', '.join(result['chosen_on'])}: {_describe(fit, metric)}",
    ]
    if not result["in_sample"]:
        lines.append(f"# held out: {_describe(measured, metric)}")
    lines += [f"{name}: {value}" for name, value in result["knobs"].items()]
    return "\n".join(lines) + "\n"
