"""A model added by description only: does routing with it beat routing without it? (RouterBench replay)

    python benchmarks/scorer_new_model.py /work/shared/data [--work DIR] [--cache DIR] [--models a,b]

For every RouterBench model M: train a scorer (CLI defaults, frozen encoder) on the
train files with M's results removed, then replay the test files (573 queries,
recorded answers and dollars) with two pools: the 10 trained models ("without"),
and the same plus M scored by `cold_start.cold_start_scores` from its description
and price tier ("with"; description gain 1, and 0 = price tier only, as shipped). The
first row, "(none)", is the scorer trained on all 11 models: the replay figures of
the shipped configuration.

Per pool: first-pick accuracy of the top-ranked model (top_k 1, cost weight 0),
any-correct of the top 3 (cost weight 0), RouteMoA's defaults (k 3, tol 0.2, cw
0.05), and the operating points of `routemoa eval replay` (best first pick at cost
<= 20 %, best any-correct at cost <= 10 %, over the same knob sweep). Frozen
all-MiniLM-L6-v2 vectors come from the on-disk cache (benchmarks/scorer_common.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from scorer_common import EmbeddingCache, datasets

from routemoa.eval.replay_data import load_replay
from routemoa.eval.replay_eval import evaluate_replay
from routemoa.eval.replay_pool import replay_pool
from routemoa.scorer.cold_start import cold_start_scores
from routemoa.scorer.data import Record
from routemoa.scorer.serve import get_scorer
from routemoa.scorer.train import TrainConfig, train_scorer

TASKS = ("arc_challenge", "mbpp")
GAINS = (1.0, 0.0)
"""Description gains compared (0.0 is the shipped DESCRIPTION_GAIN)."""


def without(records: list[Record], model: str) -> list[Record]:
    """The records with `model`'s results (and costs) removed."""
    return [
        Record(
            r.query,
            {m: v for m, v in r.scores.items() if m != model},
            r.task,
            {m: c for m, c in r.costs.items() if m != model},
        )
        for r in records
    ]


def figures(data, pool, scores, train) -> dict:
    """The replay figures of one pool and its per-query scores."""
    result = evaluate_replay(data, pool, scores, train=train, progress=False)
    by_knobs = {tuple(p.params.values()): p for p in result["routemoa_sweep"]}
    first = by_knobs[(1, 1.0, 0.0)]
    top3 = by_knobs[(3, 1.0, 0.0)]
    default = result["routemoa_default"]
    ops = result["operating_points"]
    fp, ac = ops["first_pick_accuracy"]["point"], ops["any_correct"]["point"]
    return {
        "first_pick": round(first.first_pick_accuracy, 4),
        "top3_any": round(top3.any_correct, 4),
        "default": [round(default.any_correct, 4), round(default.first_pick_accuracy, 4), round(default.cost_ratio, 4)],
        "first_pick_at_20pct": [round(fp.first_pick_accuracy, 4), round(fp.cost_ratio, 4), fp.label()] if fp else None,
        "any_correct_at_10pct": [round(ac.any_correct, 4), round(ac.cost_ratio, 4), ac.label()] if ac else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the shared data folder (with routerbench/)")
    parser.add_argument("--work", default="/tmp/routemoa-scorer-new-model", help="where checkpoints go")
    parser.add_argument("--cache", default="/work/notes/cache", help="embedding cache folder")
    parser.add_argument("--models", help="comma-separated subset of models to hold out (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cache, work, folder = EmbeddingCache(Path(args.cache)), Path(args.work), Path(args.data) / "routerbench"
    print("command: python " + " ".join(sys.argv), flush=True)
    train_records, _test_records = datasets(Path(args.data), "routerbench")["routerbench"]
    test_files = [str(folder / f"{t}_test.csv") for t in TASKS]
    data = load_replay(test_files)
    train_data = load_replay([str(folder / f"{t}_train.csv") for t in TASKS])
    full_pool = replay_pool(test_files)
    specs = {m.name: m for m in full_pool.models}
    prompts = [r.prompt for r in data.records]
    held_out = args.models.split(",") if args.models else [None, *specs]
    rows = {}
    for model in held_out:
        started = time.perf_counter()
        out = work / f"without-{model or 'none'}".replace("/", "_")
        train_scorer(
            without(train_records, model) if model else train_records,
            out,
            TrainConfig(seed=args.seed),
            "cpu",
            cache,
            progress=False,
        )
        scorer = get_scorer(out, "cpu")
        texts = scorer.encoder_inputs(prompts)
        trained = scorer.score_embeddings(cache(texts))
        known = [m for m in scorer.models if m in specs]
        pool = replay_pool(test_files, models=known)
        scores = [dict(zip(scorer.models, map(float, row))) for row in trained]
        row = {"without": figures(data, pool, scores, train_data)}
        if model:
            price = lambda m: specs[m].input_price + specs[m].output_price  # noqa: E731
            described = np.clip((cache(texts) @ cache([specs[m].description for m in [*known, model]]).T + 1) / 2, 0, 1)
            base = dict(zip(scorer.models, scorer.base_rates.tolist()))
            for gain in GAINS:
                cold = cold_start_scores(
                    trained[:, [scorer.models.index(m) for m in known]],
                    np.array([base[m] for m in known]),
                    np.array([price(m) for m in known]),
                    described[:, :-1],
                    np.array([price(model)]),
                    described[:, -1:],
                    gain=gain,
                )[:, 0]
                with_scores = [{**s, model: float(c)} for s, c in zip(scores, cold)]
                row[f"with (gain {gain:g})"] = figures(data, full_pool, with_scores, train_data)
        rows[model or "(none)"] = row
        print(
            json.dumps({"held_out": model or "(none)", "seconds": round(time.perf_counter() - started, 1), **row}),
            flush=True,
        )
    print(
        "\n| held-out model | pool | first pick | top-3 any | defaults any / first / cost | first pick at <= 20 % | any correct at <= 10 % |"
    )
    print("|---|---|---|---|---|---|---|")
    for model, row in rows.items():
        for name, f in row.items():
            d = " / ".join(f"{v:.3f}" for v in f["default"])
            fp = (
                f"{f['first_pick_at_20pct'][0]:.3f} at {f['first_pick_at_20pct'][1]:.3f}"
                if f["first_pick_at_20pct"]
                else "none"
            )
            ac = (
                f"{f['any_correct_at_10pct'][0]:.3f} at {f['any_correct_at_10pct'][1]:.3f}"
                if f["any_correct_at_10pct"]
                else "none"
            )
            print(f"| {model} | {name} | {f['first_pick']:.3f} | {f['top3_any']:.3f} | {d} | {fp} | {ac} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
