"""Scorer quality on the shared routing data: hit rates against baselines, and training time.

    python benchmarks/scorer_quality.py /work/shared/data [--work DIR] [--only routerdc7|routerbench]

routerdc7: RouterDC's mixed-task protocol (train: union of train files, <= 1000 per
task, plus a seeded half of MATH_prealgebra and mbpp; test: test files, <= 500 per
task, plus the other halves). routerbench: arc_challenge + mbpp, train files ->
test files. Both train a frozen-encoder scorer (the validation split comes from the
training data only) and evaluate with the baselines of `routemoa scorer eval`.
Query embeddings are cached in the work folder, keyed by content hash; training
time is reported with and without the embedding step.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from routemoa.scorer.data import import_files, mixed_protocol, write_jsonl
from routemoa.scorer.encoder import embed
from routemoa.scorer.evaluate import evaluate
from routemoa.scorer.train import TrainConfig, train_scorer


def cached_embeddings(records, work: Path) -> tuple[np.ndarray, float]:
    """Default-encoder embeddings of the queries (from the cache when present) and seconds spent."""
    digest = hashlib.sha256("\n\x00".join(r.query for r in records).encode()).hexdigest()[:16]
    path = work / f"emb-{digest}.npy"
    if path.exists():
        return np.load(path), 0.0
    started = time.perf_counter()
    vectors = embed([r.query for r in records], None, "cpu")
    np.save(path, vectors)
    return vectors, time.perf_counter() - started


def run(name: str, train, test, work: Path, config: TrainConfig) -> dict:
    """Train on `train`, evaluate on `test`; the JSONL files and checkpoint land in `work/name`."""
    folder = work / name
    write_jsonl(train, folder / "train.jsonl")
    write_jsonl(test, folder / "test.jsonl")
    train_emb, embed_s = cached_embeddings(train, work)
    test_emb, _ = cached_embeddings(test, work)
    started = time.perf_counter()
    summary = train_scorer(train, folder / "checkpoint", config, device="cpu", embeddings=train_emb)
    train_s = time.perf_counter() - started
    result = evaluate(test, folder / "checkpoint", device="cpu", embeddings=test_emb)
    return {
        "dataset": name,
        "n_train": len(train),
        "n_test": len(test),
        "train_seconds_head": round(train_s, 1),
        "train_seconds_embedding": round(embed_s, 1) if embed_s else "cached",
        "best_epoch": summary["best_epoch"],
        "scorer": {k: round(result[k], 4) for k in ("top1_hit", "top3_hit", "first_pick_accuracy")},
        "baselines": {b: {k: round(v, 4) for k, v in row.items()} for b, row in result["baselines"].items()},
        "per_task": {t: {k: round(row[k], 4) for k in ("top1_hit", "top3_hit", "n")} for t, row in result["per_task"].items()},
        "commands": [
            f"routemoa scorer train {folder}/train.jsonl --out {folder}/checkpoint --freeze-encoder",
            f"routemoa scorer eval {folder}/test.jsonl --checkpoint {folder}/checkpoint --json",
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the shared data folder (with routerdc7/ and routerbench/)")
    parser.add_argument("--work", default="/tmp/routemoa-scorer-bench", help="where JSONL, caches and checkpoints go")
    parser.add_argument("--only", choices=["routerdc7", "routerbench"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data, work = Path(args.data), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    config = TrainConfig(freeze_encoder=True, seed=args.seed)
    print("command: python " + " ".join(sys.argv), flush=True)
    if args.only in (None, "routerdc7"):
        dc = data / "routerdc7"
        report = run("routerdc7", mixed_protocol(dc, "mixed-train"), mixed_protocol(dc, "mixed-test"), work, config)
        print(json.dumps(report, indent=1), flush=True)
    if args.only in (None, "routerbench"):
        rb = data / "routerbench"
        train = import_files("routerbench", sorted(rb.glob("*_train.csv")))
        test = import_files("routerbench", sorted(rb.glob("*_test.csv")))
        print(json.dumps(run("routerbench", train, test, work, config), indent=1), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
