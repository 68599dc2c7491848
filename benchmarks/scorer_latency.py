"""Scorer serving speed: one query at a time (median ms after warm-up) and batched (queries/s).

    python benchmarks/scorer_latency.py /work/shared/data --checkpoint DIR [DIR ...] [--device cpu|cuda]

Queries are the routerdc7 test questions (real lengths, ~57 tokens on average) and,
for chat-style traffic, the first 12 words of each (batched throughput is roughly
linear in tokens on a CPU). The checkpoint is any
trained scorer, e.g. the one `benchmarks/scorer_quality.py` writes to
/tmp/routemoa-scorer-bench/routerdc7/checkpoint. With several checkpoints (e.g. two
encoders) the single queries are interleaved (each query scored by every checkpoint
in turn), so a busy machine slows them alike; besides wall-clock ms, the process
CPU ms per query is reported (on a CPU it is the serving cost a request adds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from routemoa.scorer.data import import_files
from routemoa.scorer.encoder import pick_device, serving_encoder
from routemoa.scorer.serve import get_scorer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the shared data folder (queries from routerdc7/*test.json)")
    parser.add_argument("--checkpoint", required=True, nargs="+")
    parser.add_argument("--device", default=None)
    parser.add_argument("--single", type=int, default=200, help="queries scored one by one")
    parser.add_argument("--batched", type=int, default=1024, help="queries scored in batches")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    device = args.device or pick_device()
    queries = [r.query for r in import_files("routerdc", sorted(Path(args.data, "routerdc7").glob("*test.json")))]
    scorers = [get_scorer(checkpoint, device) for checkpoint in args.checkpoint]
    for query in queries[:20]:
        for scorer in scorers:
            scorer.score([query])
    wall: list[list[float]] = [[] for _ in scorers]
    cpu: list[list[float]] = [[] for _ in scorers]
    for query in queries[20 : 20 + args.single]:
        for i, scorer in enumerate(scorers):
            started, started_cpu = time.perf_counter(), time.process_time()
            scorer.score([query])
            wall[i].append((time.perf_counter() - started) * 1000)
            cpu[i].append((time.process_time() - started_cpu) * 1000)
    batch = queries[: args.batched]
    short = [" ".join(q.split()[:12]) for q in batch]
    print("command: python " + " ".join(sys.argv))
    for i, (checkpoint, scorer) in enumerate(zip(args.checkpoint, scorers)):
        rates = {}
        for name, texts in (("batched_queries_per_s", batch), ("batched_short_queries_per_s", short)):
            started = time.perf_counter()
            scorer.score(texts, batch_size=args.batch_size)
            rates[name] = round(len(texts) / (time.perf_counter() - started), 1)
        encoder = serving_encoder(scorer.encoder, device)
        report = {
            "checkpoint": checkpoint,
            "encoder": scorer.encoder,
            "serving_path": type(encoder).__name__,
            "device": device,
            "single_ms_median": round(statistics.median(wall[i]), 2),
            "single_ms_p90": round(sorted(wall[i])[int(0.9 * len(wall[i]))], 2),
            "single_cpu_ms_median": round(statistics.median(cpu[i]), 2),
            **rates,
            "mean_tokens": round(statistics.mean(len(encoder.tokenizer(q)["input_ids"]) for q in batch), 1),
            "mean_tokens_short": round(statistics.mean(len(encoder.tokenizer(q)["input_ids"]) for q in short), 1),
            "batch_size": args.batch_size,
            "n_single": len(wall[i]),
            "n_batched": len(batch),
        }
        print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
