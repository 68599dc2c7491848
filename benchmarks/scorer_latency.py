"""Scorer serving speed: one query at a time (median ms after warm-up) and batched (queries/s).

    python benchmarks/scorer_latency.py /work/shared/data --checkpoint DIR [--device cpu|cuda]

Queries are the routerdc7 test questions (real lengths, ~57 tokens on average) and,
for chat-style traffic, the first 12 words of each (batched throughput is roughly
linear in tokens on a CPU). The checkpoint is any
trained scorer, e.g. the one `benchmarks/scorer_quality.py` writes to
/tmp/routemoa-scorer-bench/routerdc7/checkpoint.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from routemoa.scorer.data import import_files
from routemoa.scorer.encoder import load_encoder, pick_device
from routemoa.scorer.serve import get_scorer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the shared data folder (queries from routerdc7/*test.json)")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--device", default=None)
    parser.add_argument("--single", type=int, default=200, help="queries scored one by one")
    parser.add_argument("--batched", type=int, default=1024, help="queries scored in batches")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    device = args.device or pick_device()
    queries = [r.query for r in import_files("routerdc", sorted(Path(args.data, "routerdc7").glob("*test.json")))]
    scorer = get_scorer(args.checkpoint, device)
    for query in queries[:20]:
        scorer.score([query])
    single = []
    for query in queries[20 : 20 + args.single]:
        started = time.perf_counter()
        scorer.score([query])
        single.append((time.perf_counter() - started) * 1000)
    batch = queries[: args.batched]
    short = [" ".join(q.split()[:12]) for q in batch]
    rates = {}
    for name, texts in (("batched_queries_per_s", batch), ("batched_short_queries_per_s", short)):
        started = time.perf_counter()
        scorer.score(texts, batch_size=args.batch_size)
        rates[name] = round(len(texts) / (time.perf_counter() - started), 1)
    tokenizer = load_encoder(scorer.encoder, device).tokenizer
    print("command: python " + " ".join(sys.argv))
    report = {
        "device": device,
        "single_ms_median": round(statistics.median(single), 2),
        "single_ms_p90": round(sorted(single)[int(0.9 * len(single))], 2),
        **rates,
        "mean_tokens": round(statistics.mean(len(tokenizer(q)["input_ids"]) for q in batch), 1),
        "mean_tokens_short": round(statistics.mean(len(tokenizer(q)["input_ids"]) for q in short), 1),
        "batch_size": args.batch_size,
        "n_single": len(single),
        "n_batched": len(batch),
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
