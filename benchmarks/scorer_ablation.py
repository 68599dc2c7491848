"""Scorer ablations on the shared routing data: richer frozen features and a head + k-NN ensemble.

    python benchmarks/scorer_ablation.py /work/shared/data [--work DIR] [--only routerdc7|routerbench] [--seeds 0,1,2]

Same splits as benchmarks/scorer_quality.py. For each dataset:

- features: the frozen all-MiniLM-L6-v2 token states pooled four ways — `mean`
  (the shipped scorer's input), `meanmax` (mean ⊕ max pool of the last layer),
  `mean2` (mean pools of the last two layers) and `all` (the three), each block
  L2-normalised, then the whole vector; one frozen-encoder head per seed;
- knn: the shipped (`mean`, seed 0) head's probabilities blended with the k-NN
  vote, (1 − w)·head + w·knn, for k in {10, 20, 50, 100} and w in [0, 0.7]; on the
  validation split the vote uses the other training queries only.

Validation figures come from the trainer's held-out split; test figures are
reported for the record and were not used to choose anything. Pooled features are
cached in the work folder, keyed by content hash.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch

from routemoa.scorer.checkpoint import load_checkpoint
from routemoa.scorer.data import import_files, label_matrix, mixed_protocol
from routemoa.scorer.encoder import load_encoder
from routemoa.scorer.metrics import hit_rates, knn_scores
from routemoa.scorer.train import TrainConfig, split, train_scorer

VARIANTS = {"mean": (0,), "meanmax": (0, 1), "mean2": (0, 2), "all": (0, 1, 2)}


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of each text's hidden states over its real tokens (mask 1)."""
    return (hidden * mask).sum(1) / mask.sum(1)


def pooled(records, work: Path) -> np.ndarray:
    """(n, 3·384): last-layer mean pool, last-layer max pool, second-to-last-layer mean pool (cached)."""
    digest = hashlib.sha256("\n\x00".join(r.query for r in records).encode()).hexdigest()[:16]
    path = work / f"pooled-{digest}.npy"
    if path.exists():
        return np.load(path)
    model = load_encoder(None, "cpu")
    tokenizer, transformer = model.tokenizer, model[0].auto_model
    texts, parts = [r.query for r in records], []
    for start in range(0, len(texts), 32):
        batch = tokenizer(
            texts[start : start + 32],
            padding=True,
            truncation=True,
            max_length=model.max_seq_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            states = transformer(**batch, output_hidden_states=True).hidden_states
        mask = batch["attention_mask"].unsqueeze(-1).float()
        top = states[-1].masked_fill(mask == 0, -1e4).max(1).values
        parts.append(torch.cat([masked_mean(states[-1], mask), top, masked_mean(states[-2], mask)], 1).numpy())
    vectors = np.concatenate(parts).astype(np.float32)
    np.save(path, vectors)
    return vectors


def features(raw: np.ndarray, variant: str) -> np.ndarray:
    unit = lambda x: x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)  # noqa: E731
    dim = raw.shape[1] // 3
    return unit(np.concatenate([unit(raw[:, b * dim : (b + 1) * dim]) for b in VARIANTS[variant]], 1)).astype(
        np.float32
    )


def rates(scores, labels) -> list[float]:
    r = hit_rates(scores, labels)
    return [round(r["top1_hit"], 4), round(r["top3_hit"], 4)]


def run(name: str, train, test, work: Path, seeds: list[int]) -> dict:
    raw_train, raw_test = pooled(train, work), pooled(test, work)
    rows, shipped = [], None
    for variant in VARIANTS:
        x_train, x_test = features(raw_train, variant), features(raw_test, variant)
        for seed in seeds:
            # the features are of the raw queries: the 2026-11-29 configuration (no input rule, no shrinkage)
            config = TrainConfig(freeze_encoder=True, seed=seed, strip_prefixes=False, head_tokens=-1, shrinkage=False)
            out = work / name / f"ablation-{variant}"
            summary = train_scorer(train, out, config, device="cpu", embed_fn=lambda texts, x=x_train: x)
            ckpt = load_checkpoint(out)
            labels, test_labels = label_matrix(train, ckpt.models), label_matrix(test, ckpt.models)
            train_idx, val_idx = split(len(train), config.val_fraction, seed)
            with torch.no_grad():
                p_val = torch.sigmoid(ckpt.net(torch.as_tensor(x_train[val_idx]))).numpy()
                p_test = torch.sigmoid(ckpt.net(torch.as_tensor(x_test))).numpy()
            rows.append(
                {
                    "variant": variant,
                    "seed": seed,
                    "val": rates(p_val, labels[val_idx]),
                    "test": rates(p_test, test_labels),
                    "best_epoch": summary["best_epoch"],
                }
            )
            print(json.dumps({"dataset": name, **rows[-1]}), file=sys.stderr, flush=True)
            if variant == "mean" and seed == seeds[0]:
                shipped = (x_train, x_test, labels, test_labels, train_idx, val_idx, p_val, p_test)
    x_train, x_test, labels, test_labels, train_idx, val_idx, p_val, p_test = shipped
    knn = []
    for k in (10, 20, 50, 100):
        k_val = knn_scores(x_train[train_idx], labels[train_idx], x_train[val_idx], k)
        k_test = knn_scores(x_train, labels, x_test, k)
        for w in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7):
            knn.append(
                {
                    "k": k,
                    "w": w,
                    "val": rates((1 - w) * p_val + w * k_val, labels[val_idx]),
                    "test": rates((1 - w) * p_test + w * k_test, test_labels),
                }
            )
    return {"dataset": name, "features": rows, "knn_ensemble": knn}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the shared data folder (with routerdc7/ and routerbench/)")
    parser.add_argument("--work", default="/tmp/routemoa-scorer-bench", help="where caches and checkpoints go")
    parser.add_argument("--only", choices=["routerdc7", "routerbench"])
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    data, work = Path(args.data), Path(args.work)
    seeds = [int(s) for s in args.seeds.split(",")]
    print("command: python " + " ".join(sys.argv), flush=True)
    if args.only in (None, "routerdc7"):
        dc = data / "routerdc7"
        (work / "routerdc7").mkdir(parents=True, exist_ok=True)
        print(
            json.dumps(
                run("routerdc7", mixed_protocol(dc, "mixed-train"), mixed_protocol(dc, "mixed-test"), work, seeds)
            ),
            flush=True,
        )
    if args.only in (None, "routerbench"):
        rb = data / "routerbench"
        (work / "routerbench").mkdir(parents=True, exist_ok=True)
        train = import_files("routerbench", sorted(rb.glob("*_train.csv")))
        test = import_files("routerbench", sorted(rb.glob("*_test.csv")))
        print(json.dumps(run("routerbench", train, test, work, seeds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
