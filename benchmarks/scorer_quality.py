"""Scorer quality on the shared routing data: hit rates against baselines, and training time.

    python benchmarks/scorer_quality.py /work/shared/data [--work DIR] [--cache DIR] [--encoder DIR]
        [--only routerdc7|routerbench]

routerdc7: RouterDC's mixed-task protocol (train: union of train files, <= 1000 per
task, plus a seeded half of MATH_prealgebra and mbpp; test: test files, <= 500 per
task, plus the other halves). routerbench: arc_challenge + mbpp, train files ->
test files. Both train a frozen-encoder scorer (the validation split comes from the
training data only) and evaluate with the baselines of `routemoa scorer eval`.
Encoder vectors come from the on-disk cache of benchmarks/scorer_common.py (default
/work/notes/cache), so the training time reported is the heads' (the final one plus
the shrinkage folds).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from scorer_common import EmbeddingCache, add_encoder_args, datasets

from routemoa.scorer.data import write_jsonl
from routemoa.scorer.evaluate import evaluate
from routemoa.scorer.train import TrainConfig, train_scorer


def run(name: str, train, test, work: Path, config: TrainConfig, cache: EmbeddingCache) -> dict:
    """Train on `train`, evaluate on `test`; the JSONL files and checkpoint land in `work/name`."""
    folder = work / name
    write_jsonl(train, folder / "train.jsonl")
    write_jsonl(test, folder / "test.jsonl")
    started = time.perf_counter()
    summary = train_scorer(train, folder / "checkpoint", config, device="cpu", embed_fn=cache)
    train_s = time.perf_counter() - started
    result = evaluate(test, folder / "checkpoint", device="cpu", embed_fn=cache)
    return {
        "dataset": name,
        "n_train": len(train),
        "n_test": len(test),
        "train_seconds_with_cached_embeddings": round(train_s, 1),
        "best_epoch": summary["best_epoch"],
        "shrinkage": summary["shrinkage"],
        "prefixes_stripped": summary["prefixes_stripped"],
        "scorer": {k: round(result[k], 4) for k in ("top1_hit", "top3_hit", "first_pick_accuracy")},
        "head_only": result.get("head_only"),
        "baselines": {b: {k: round(v, 4) for k, v in row.items()} for b, row in result["baselines"].items()},
        "per_task": {
            t: {k: round(row[k], 4) for k in ("top1_hit", "top3_hit", "n")} for t, row in result["per_task"].items()
        },
        "commands": [
            f"routemoa scorer train {folder}/train.jsonl --out {folder}/checkpoint --freeze-encoder --device cpu"
            + (f" --encoder {config.encoder}" if config.encoder else ""),
            f"routemoa scorer eval {folder}/test.jsonl --checkpoint {folder}/checkpoint --json",
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the shared data folder (with routerdc7/ and routerbench/)")
    parser.add_argument("--work", default="/tmp/routemoa-scorer-bench", help="where JSONL files and checkpoints go")
    parser.add_argument("--only", choices=["routerdc7", "routerbench"])
    parser.add_argument("--seed", type=int, default=0)
    add_encoder_args(parser)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    config = TrainConfig(freeze_encoder=True, seed=args.seed, encoder=args.encoder)
    cache = EmbeddingCache(Path(args.cache), args.encoder)
    print("command: python " + " ".join(sys.argv), flush=True)
    for name, (train, test) in datasets(Path(args.data), args.only).items():
        print(json.dumps(run(name, train, test, work, config, cache), indent=1), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
