"""Leave-one-task-out: does the scorer generalise to tasks it never saw, and beat the fixed choice?

    python benchmarks/scorer_generalisation.py /work/shared/data [--only routerdc7|routerbench]
        [--variants chosen,no-shrinkage,raw-input] [--work DIR] [--cache DIR] [--encoder DIR]

For each dataset (routerdc7's mixed-task protocol; RouterBench arc + mbpp train ->
test files) and each config variant:

- in distribution: train on the train split, evaluate on the test split;
- leave one task out, for every task: train on the train split without the task,
  evaluate on the task's test queries.

Each row gives top-1 / top-3 hit of the scorer (served scores), its head before
shrinkage, best-single (the model best on the training tasks), k-NN (k = 20,
training queries) and the zero-shot description prior; the in-distribution row
also gives the trainer's validation split. Frozen encoder vectors (all-MiniLM-L6-v2,
or `--encoder DIR`) come from an on-disk cache (benchmarks/scorer_common.py), so each fold
only trains heads. Variants: `chosen` (the CLI defaults), `no-shrinkage`,
`raw-input` (no prefix strip, plain truncation), `strip-only` (prefix strip,
plain truncation), `window-only` (head + tail window, no prefix strip),
`kmeans-contrastive` (RouterDC's sample-sample loss over 16 k-means clusters of
the embeddings instead of the task tags).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from scorer_common import EmbeddingCache, add_encoder_args, datasets

from routemoa.eval.replay_pool import MODEL_DESCRIPTIONS
from routemoa.scorer.data import label_matrix
from routemoa.scorer.evaluate import evaluate
from routemoa.scorer.metrics import hit_rates
from routemoa.scorer.serve import get_scorer
from routemoa.scorer.train import TrainConfig, train_scorer

ROUTERDC7_DESCRIPTIONS = {
    "mistralai/Mistral-7B-v0.1": "Mistral 7B base model: pretrained, not instruction-tuned; fair at general knowledge.",
    "meta-math/MetaMath-Mistral-7B": "MetaMath Mistral 7B: fine-tuned for math word problems and step-by-step arithmetic.",
    "itpossible/Chinese-Mistral-7B-v0.1": "Chinese Mistral 7B: Mistral extended for Chinese text; general knowledge.",
    "HuggingFaceH4/zephyr-7b-beta": "Zephyr 7B beta: chat assistant tuned from Mistral 7B; helpful everyday conversation.",
    "cognitivecomputations/dolphin-2.6-mistral-7b": "Dolphin 2.6 Mistral 7B: instruction model good at coding and general questions.",
    "meta-llama/Meta-Llama-3-8B": "Meta Llama 3 8B base: strong general knowledge, multiple-choice questions and code.",
    "cognitivecomputations/dolphin-2.9-llama3-8b": "Dolphin 2.9 Llama 3 8B: instruction-tuned Llama 3; good at code, math and general questions.",
}
"""Hand-written descriptions of the routerdc7 models (for the description-prior baseline only)."""

VARIANTS = {
    "chosen": {},
    "no-shrinkage": {"shrinkage": False},
    "raw-input": {"strip_prefixes": False, "head_tokens": -1},
    "strip-only": {"head_tokens": -1},
    "window-only": {"strip_prefixes": False},
    "kmeans-contrastive": {"contrastive_clusters": 16},
}
METHODS = ("scorer", "head_only", "best_single", "knn", "description")


def description_scores(scorer, records, cache: EmbeddingCache) -> np.ndarray:
    """The zero-shot prior (cosine mapped to [0, 1]) of the checkpoint's encoder inputs vs. model descriptions."""
    descriptions = [MODEL_DESCRIPTIONS.get(m) or ROUTERDC7_DESCRIPTIONS[m] for m in scorer.models]
    q = cache(scorer.encoder_inputs([r.query for r in records]))
    return np.clip((q @ cache(descriptions).T + 1) / 2, 0, 1)


def run_fold(train, test, out: Path, config: TrainConfig, cache: EmbeddingCache) -> dict:
    """Train on `train`, evaluate on `test`: {method: (top1, top3)} plus the calibration summary."""
    summary = train_scorer(train, out, config, device="cpu", embed_fn=cache, progress=False)
    result = evaluate(test, out, device="cpu", embed_fn=cache)
    scorer = get_scorer(out, "cpu")
    described = hit_rates(description_scores(scorer, test, cache), label_matrix(test, scorer.models))
    rows = {
        "scorer": result,
        "head_only": result.get("head_only", result),
        "best_single": result["baselines"]["best_single"],
        "knn": result["baselines"]["knn"],
        "description": described,
    }
    return {
        "n": len(test),
        **{m: [round(rows[m]["top1_hit"], 4), round(rows[m]["top3_hit"], 4)] for m in METHODS},
        "validation": [round(summary["validation"][k], 4) for k in ("top1_hit", "top3_hit")]
        if summary["validation"]
        else None,
        "gate": {k: summary["shrinkage"].get(k) for k in ("a", "b", "tau", "floor", "calibration")}
        if summary["shrinkage"]
        else None,
    }


def table(rows: dict[str, dict]) -> str:
    """Markdown: one row per held-out task, top-1 · top-3 per method."""
    lines = ["| held-out task (n) | " + " | ".join(METHODS) + " |", "|---" * (len(METHODS) + 1) + "|"]
    for task, row in rows.items():
        cells = " | ".join(f"{row[m][0]:.3f} · {row[m][1]:.3f}" for m in METHODS)
        lines.append(f"| {task} ({row['n']}) | {cells} |")
    return "\n".join(lines)


def verdict(rows: dict[str, dict]) -> dict:
    """Means over held-out tasks and the tasks where the scorer is below best-single."""
    mean = {m: [round(float(np.mean([r[m][i] for r in rows.values()])), 4) for i in (0, 1)] for m in METHODS}
    below = {
        t: r["scorer"]
        for t, r in rows.items()
        if r["scorer"][0] < r["best_single"][0] or r["scorer"][1] < r["best_single"][1]
    }
    return {
        "mean": mean,
        "tasks_below_best_single": below,
        "mean_top1_gain_over_best_single": round(mean["scorer"][0] - mean["best_single"][0], 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the shared data folder (with routerdc7/ and routerbench/)")
    parser.add_argument("--only", choices=["routerdc7", "routerbench"])
    parser.add_argument(
        "--variants", default="chosen,no-shrinkage,raw-input", help=f"comma-separated, of {', '.join(VARIANTS)}"
    )
    parser.add_argument("--work", default="/tmp/routemoa-scorer-generalisation", help="where checkpoints go")
    add_encoder_args(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--tasks",
        help="comma-separated held-out tasks to run, and `in-distribution` for that fold (default: every task and it)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}")
    cache, work = EmbeddingCache(Path(args.cache), args.encoder), Path(args.work)
    print("command: python " + " ".join(sys.argv), flush=True)
    for name, (train, test) in datasets(Path(args.data), args.only).items():
        tasks = (
            sorted({r.task for r in test})
            if not args.tasks
            else [t for t in args.tasks.split(",") if t in {r.task for r in test}]
        )
        for variant in variants:
            started = time.perf_counter()
            config = replace(
                TrainConfig(freeze_encoder=True, seed=args.seed, encoder=args.encoder), **VARIANTS[variant]
            )
            folder = work / name / variant
            wanted = not args.tasks or "in-distribution" in args.tasks.split(",")
            in_dist = run_fold(train, test, folder / "all", config, cache) if wanted else None
            held_out = {}
            for task in tasks:
                fold_train = [r for r in train if r.task != task]
                fold_test = [r for r in test if r.task == task]
                held_out[task] = run_fold(fold_train, fold_test, folder / f"without-{task}", config, cache)
                print(
                    json.dumps({"dataset": name, "variant": variant, "held_out": task, **held_out[task]}),
                    file=sys.stderr,
                    flush=True,
                )
            print(f"\n## {name}, variant {variant} ({time.perf_counter() - started:.0f} s)\n", flush=True)
            if in_dist is not None:
                print("In distribution (train -> test), top-1 · top-3:\n")
                print(table({"(none: all tasks)": in_dist}))
                print(f"\nvalidation top-1 · top-3: {in_dist['validation']}; gate: {json.dumps(in_dist['gate'])}\n")
            print("Leave one task out, top-1 · top-3:\n")
            print(table(held_out))
            print("\n" + json.dumps({"dataset": name, "variant": variant, **verdict(held_out)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
