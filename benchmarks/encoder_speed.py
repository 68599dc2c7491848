"""The serving encoder's speed (numpy `LeanEncoder`): one query, and micro-batches as concurrent runs make them.

    python benchmarks/encoder_speed.py [--rounds 40] [--baseline TREE]

Texts: a short chat question (8 tokens), a longer one (26 tokens), and micro-batches of 64
queries, the short one alone and both alternating (what the encoder's micro-batcher passes when 64 runs start
at once). BLAS on one thread, as served. With `--baseline TREE` (a checkout of another
commit, e.g. `git worktree add /tmp/base <commit>`) that tree's lean_encoder.py is loaded
from its file and the two are timed alternately in one process, so a busy machine slows
both alike; the largest difference between their embeddings is printed too.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from routemoa.scorer import lean_encoder
from routemoa.scorer.encoder import resolve_encoder_path

SHORT = "What is 2 + 2?"
LONG = "Explain the difference between a list and a tuple in Python, with an example of when each is the better choice."
CASES = {
    "1 query, 8 tokens": [SHORT],
    "1 query, 26 tokens": [LONG],
    "64 queries, 8 tokens": [SHORT] * 64,
    "64 queries, 8-26 tokens (one pass, padded to 26)": [SHORT, LONG] * 32,
}


def load_module(tree: str):
    """`routemoa/scorer/lean_encoder.py` of another checkout, as its own module."""
    path = Path(tree, "routemoa", "scorer", "lean_encoder.py")
    spec = importlib.util.spec_from_file_location("baseline_lean_encoder", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise SystemExit(f"error: no {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=40, help="timed encodes per case and encoder (64 queries: a fifth)"
    )
    parser.add_argument("--baseline", help="another checkout whose lean_encoder.py to time alternately")
    args = parser.parse_args()
    print("command: python benchmarks/encoder_speed.py " + " ".join(sys.argv[1:]), flush=True)
    folder = resolve_encoder_path(None)
    encoders = {"this tree": lean_encoder.LeanEncoder(folder)}
    if args.baseline:
        encoders["baseline"] = load_module(args.baseline).LeanEncoder(folder)
    threadpool_limits(1, user_api="blas")
    for case, texts in CASES.items():
        vectors = {name: encoder.encode(texts) for name, encoder in encoders.items()}  # warm-up
        times: dict[str, list[float]] = {name: [] for name in encoders}
        for _ in range(max(3, args.rounds // 5) if len(texts) > 1 else args.rounds):
            for name, encoder in encoders.items():
                started = time.process_time()
                encoder.encode(texts)
                times[name].append((time.process_time() - started) * 1000)
        medians = {name: statistics.median(values) for name, values in times.items()}
        line = ", ".join(f"{name} {ms:.2f} ms" for name, ms in medians.items())
        if args.baseline:
            difference = float(np.abs(vectors["this tree"] - vectors["baseline"]).max())
            line += f", ratio x{medians['this tree'] / medians['baseline']:.2f}, largest difference {difference:.1e}"
        print(f"  {case} (CPU, median of {len(times['this tree'])}): {line}", flush=True)


if __name__ == "__main__":
    main()
