"""Replay evaluation: which models would each method call first, and would one of them be right?

Uses recorded results only (no LLM call). Per method, over every query of the data,
the first layer's selection is scored:

- any_correct: some selected model was right;
- first_pick_accuracy: the top-ranked selected model was right;
- cost_ratio: recorded dollars of the selected models / dollars of every model, summed over queries;
- models_per_query: selected models per query.

A recorded "no result" counts as wrong. RouteMoA's selection is `rank_models` over
the prior (zero-shot, or the trained scorer of `Pool.scorer`), swept over top_k,
tolerance and cost_weight to trace the accuracy–cost frontier.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from routemoa.errors import UserError
from routemoa.eval.replay_data import ReplayData, ReplayRecord, load_replay
from routemoa.eval.replay_pool import replay_pool
from routemoa.ranking import rank_models
from routemoa.spec import Pool

TOP_KS = (1, 2, 3, 4, 5)
TOLERANCES = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
COST_WEIGHTS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
DEFAULT_KNOBS = {"top_k": 3, "tolerance": 0.2, "cost_weight": 0.05}
"""The run-time defaults of `routemoa.context.Context` (latency is not recorded, so latency_weight is 0)."""
RANDOM_KS = (1, 2, 3, 4, 5)
QUERY_TEXTS = ("prompt", "question")
"""What the prior reads: the whole recorded prompt (what the graph would get), or its last paragraph."""
TARGETS = {"any_correct": 0.10, "first_pick_accuracy": 0.20}
"""Operating points reported: the best value of each metric at cost_ratio at most this."""


@dataclass(frozen=True)
class Point:
    """One method (with its knobs) evaluated on the data."""

    method: str
    params: dict
    any_correct: float
    first_pick_accuracy: float | None
    cost_ratio: float
    usd_per_query: float
    models_per_query: float

    def label(self) -> str:
        """Method name with its knobs, e.g. `routemoa k=3 tol=0.2 cw=0.05`."""
        parts = [self.method]
        for key, value in self.params.items():
            parts.append(str(value) if key == "model" else f"{_SHORT.get(key, key)}={value}")
        return " ".join(parts)


_SHORT = {"top_k": "k", "tolerance": "tol", "cost_weight": "cw"}


def _right(record: ReplayRecord, model: str) -> bool:
    return record.correct.get(model) == 1.0


def score_selections(
    method: str, params: dict, records: Sequence[ReplayRecord], selections: Sequence[Sequence[str]], ranked: bool = True
) -> Point:
    """Metrics of one selection (ordered model names, best first) per record; `ranked=False` omits first pick."""
    all_usd = sum(sum(r.cost.values()) for r in records)
    usd = sum(r.cost[m] for r, sel in zip(records, selections) for m in sel)
    n = len(records)
    return Point(
        method=method,
        params=params,
        any_correct=sum(any(_right(r, m) for m in sel) for r, sel in zip(records, selections)) / n,
        first_pick_accuracy=(sum(bool(sel) and _right(r, sel[0]) for r, sel in zip(records, selections)) / n)
        if ranked
        else None,
        cost_ratio=usd / all_usd if all_usd > 0 else 0.0,
        usd_per_query=usd / n,
        models_per_query=sum(len(sel) for sel in selections) / n,
    )


def best_single_model(data: ReplayData, models: Sequence[str]) -> str:
    """The model right most often on `data` (ties: the cheaper in total)."""

    def key(m: str) -> tuple[float, float]:
        return (-sum(_right(r, m) for r in data.records), sum(r.cost[m] for r in data.records))

    return min(models, key=key)


def oracle_selection(record: ReplayRecord, models: Sequence[str]) -> list[str]:
    """The cheapest model that was right; the cheapest model when none was."""
    right = [m for m in models if _right(record, m)]
    return [min(right or models, key=lambda m: record.cost[m])]


def random_selections(records: Sequence[ReplayRecord], models: Sequence[str], k: int, seed: int) -> list[list[str]]:
    """k models drawn uniformly per query, reproducible from `seed`."""
    rng = random.Random(seed)
    return [rng.sample(list(models), min(k, len(models))) for _ in records]


PRIOR_BATCH = 64
"""Queries encoded per step of the prior's progress bar."""


def _batched(queries: Sequence[str], score, progress: bool):
    """Rows of `score(batch)` over `queries`, PRIOR_BATCH at a time, with a progress bar."""
    rows = []
    with tqdm(total=len(queries), desc="prior", unit="query", disable=not progress) as bar:
        for start in range(0, len(queries), PRIOR_BATCH):
            batch = list(queries[start : start + PRIOR_BATCH])
            rows.extend(score(batch))
            bar.update(len(batch))
    return rows


def prior_scores(queries: Sequence[str], pool: Pool, progress: bool = True) -> tuple[list[dict[str, float]], str]:
    """Prior scores per query, and the source(s) used ('trained', 'zero-shot').

    Same values as `routemoa.scorer.pool_prior` query by query, computed in batches:
    the zero-shot prior with `description_prior`, a checkpoint that knows every pool
    model with its `Scorer.score`; a partly cold-started pool goes query by query.
    """
    names = pool.names
    if pool.scorer is None:
        from routemoa.scorer.zero_shot import description_prior

        descriptions = [m.description for m in pool.models]
        rows = _batched(queries, lambda batch: description_prior(batch, descriptions), progress)
        return [dict(zip(names, map(float, row))) for row in rows], "zero-shot"
    from routemoa.scorer import pool_prior
    from routemoa.scorer.serve import get_scorer

    scorer = get_scorer(pool.scorer)
    if set(names) <= set(scorer.models):
        columns = [scorer.models.index(name) for name in names]
        rows = _batched(queries, scorer.score, progress)
        return [{name: float(row[c]) for name, c in zip(names, columns)} for row in rows], "trained"
    scores: list[dict[str, float]] = []
    sources: set[str] = set()
    for query in tqdm(queries, desc="prior", unit="query", disable=not progress):
        prior = pool_prior(query, pool)
        scores.append(prior.scores)
        sources.update(prior.source.values())
    return scores, "+".join(sorted(sources))


def routemoa_selection(
    scores: Mapping[str, float], pool: Pool, top_k: int, tolerance: float, cost_weight: float
) -> list[str]:
    """The first layer RouteMoA would call for one query."""
    picks = rank_models(
        scores, pool.models, top_k=top_k, tolerance=tolerance, cost_weight=cost_weight, latency_weight=0.0
    )
    return [p.name for p in picks]


def knob_grid() -> list[dict]:
    """Every swept (top_k, tolerance, cost_weight); tolerance is moot for top_k = 1."""
    grid = []
    for k, tol, cw in itertools.product(TOP_KS, TOLERANCES, COST_WEIGHTS):
        if k == 1 and tol != TOLERANCES[-1]:
            continue
        grid.append({"top_k": k, "tolerance": tol, "cost_weight": cw})
    if DEFAULT_KNOBS not in grid:
        grid.append(dict(DEFAULT_KNOBS))
    return grid


def pareto(points: Sequence[Point], metric: str) -> list[Point]:
    """Points no other point beats on both `metric` (higher) and cost_ratio (lower), cheapest first."""
    frontier: list[Point] = []
    for p in sorted(points, key=lambda p: (p.cost_ratio, -getattr(p, metric))):
        if not frontier or getattr(p, metric) > getattr(frontier[-1], metric):
            frontier.append(p)
    return frontier


def evaluate_replay(
    data: ReplayData,
    pool: Pool,
    scores: Sequence[Mapping[str, float]],
    train: ReplayData | None = None,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Every method on `data`; `scores` holds the prior per record (same order as data.records)."""
    records, models = data.records, [m.name for m in pool.models]
    single = best_single_model(train or data, models)
    baselines = [
        score_selections("moa", {}, records, [models] * len(records), ranked=False),
        score_selections("single-best", {"model": single}, records, [[single]] * len(records)),
        score_selections("oracle", {}, records, [oracle_selection(r, models) for r in records]),
    ]
    baselines += [
        score_selections("random", {"k": k, "seed": seed}, records, random_selections(records, models, k, seed))
        for k in RANDOM_KS
    ]
    sweep = []
    for knobs in tqdm(knob_grid(), desc="sweep", unit="setting", disable=not progress):
        selections = [routemoa_selection(s, pool, **knobs) for s in scores]
        sweep.append(score_selections("routemoa", knobs, records, selections))
    default = next(p for p in sweep if p.params == DEFAULT_KNOBS)
    operating = {}
    for metric, budget in TARGETS.items():
        affordable = [p for p in sweep if p.cost_ratio <= budget]
        best = max(affordable, key=lambda p: (getattr(p, metric), -p.cost_ratio), default=None)
        operating[metric] = {"max_cost_ratio": budget, "point": best}
    return {
        "queries": len(records),
        "models": models,
        "all_model_usd": sum(sum(r.cost.values()) for r in records),
        "single_best": {"model": single, "chosen_on": "train" if train is not None else "test (in-sample)"},
        "baselines": baselines,
        "routemoa_default": default,
        "routemoa_sweep": sweep,
        "frontier": {metric: pareto(sweep, metric) for metric in TARGETS},
        "operating_points": operating,
    }


def load_data_and_pool(data_paths: Sequence[str], scorer: str | None):
    """(replay data, replay pool with `scorer` as its checkpoint) of the data files."""
    data = load_replay(list(data_paths))
    pool = replay_pool(list(data_paths))
    if scorer is not None:
        if not Path(scorer).is_dir():
            raise UserError(f"--scorer: checkpoint directory {scorer} does not exist")
        pool = dataclasses.replace(pool, scorer=str(Path(scorer).resolve()))
    return data, pool


def run_replay(
    data_paths: Sequence[str],
    train_paths: Sequence[str] = (),
    scorer: str | None = None,
    seed: int = 0,
    query: str = "prompt",
    progress: bool = True,
) -> dict:
    """Load the data, build the replay pool (with `scorer` as its checkpoint), score every query, evaluate."""
    data, pool = load_data_and_pool(data_paths, scorer)
    train = load_replay(list(train_paths)) if train_paths else None
    if query not in QUERY_TEXTS:
        raise UserError(f"--query must be one of {', '.join(QUERY_TEXTS)}, got {query!r}")
    texts = [r.prompt if query == "prompt" else r.question for r in data.records]
    scores, source = prior_scores(texts, pool, progress)
    result = evaluate_replay(data, pool, scores, train=train, seed=seed, progress=progress)
    result.update(
        prior=source,
        scorer=pool.scorer,
        data=[str(p) for p in data_paths],
        train=[str(p) for p in train_paths],
        seed=seed,
        query=query,
    )
    return result
