"""Accuracy–cost frontier of RouteMoA's first-layer selection on RouterBench replay data.

    python benchmarks/replay_frontier.py DATA_DIR [--scorer DIR] [--query prompt|question] [--out DIR]

DATA_DIR holds arc_challenge_{train,test}.csv and mbpp_{train,test}.csv. Evaluates on
the two test files (the train files choose the single-best baseline) and prints the
baselines, RouteMoA's operating points against the targets, the frontier, and the
command that measured them.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from routemoa.errors import UserError
from routemoa.eval.replay_eval import run_replay
from routemoa.eval.replay_report import markdown, write_outputs

TARGETS = {"any_correct": 0.92, "first_pick_accuracy": 0.887}
"""Wanted values at the cost budgets of `replay_eval.TARGETS` (0.10 and 0.20 of the all-model cost)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="folder with the RouterBench CSVs")
    parser.add_argument("--scorer", help="trained scorer checkpoint (default: zero-shot prior)")
    parser.add_argument("--query", choices=("prompt", "question"), default="prompt", help="text the prior reads")
    parser.add_argument("--out", help="also write replay.json/.md/.png here")
    args = parser.parse_args(argv)
    folder = Path(args.data_dir)
    test = [str(folder / f"{task}_test.csv") for task in ("arc_challenge", "mbpp")]
    train = [str(folder / f"{task}_train.csv") for task in ("arc_challenge", "mbpp")]
    start = time.perf_counter()
    try:
        result = run_replay(test, train, scorer=args.scorer, query=args.query)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    if args.out:
        write_outputs(result, Path(args.out))
    print(markdown(result))
    print("Targets:")
    for metric, wanted in TARGETS.items():
        entry = result["operating_points"][metric]
        point = entry["point"]
        got = "none" if point is None else f"{getattr(point, metric):.4f} at cost ratio {point.cost_ratio:.4f} ({point.label()})"
        met = point is not None and getattr(point, metric) >= wanted
        print(f"  {metric} >= {wanted} at cost ratio <= {entry['max_cost_ratio']}: {got} -> {'MET' if met else 'not met'}")
    flags = (["--scorer", args.scorer] if args.scorer else []) + ["--query", args.query]
    print(f"\nMeasured in {seconds:.1f} s by: python benchmarks/replay_frontier.py {shlex.join([args.data_dir, *flags])}")
    print(f"Same as: routemoa eval replay --data {shlex.join(test)} --train {shlex.join(train)} {shlex.join(flags)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
