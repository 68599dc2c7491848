"""Self scores on the embedded pool: how often SmolLM2's scored replies yield a readable self score, and exits.

    python benchmarks/embedded_self_scores.py [--questions 8] [--max-layers 3] [--timeout 300]

Runs the real embedded pool (three SmolLM2-135M roles on llama.cpp, constrained to the
reply schema) over a fixed list of short questions with the default knobs, in one process.
Prints: layer-1 agent replies with a parsed self score (not the fallback), the same over every
scored layer, decisions per run (early exits and at which layer), calls
and wall seconds per run, and the command.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shlex
import sys
import time

from routemoa.context import Context
from routemoa.runner import run_query

QUESTIONS = [
    "What is 2 + 2?",
    "What is the capital of France?",
    "What is 12 + 7?",
    "Name the largest planet in the solar system.",
    "What colour is the sky on a clear day?",
    "How many days are in a week?",
    "What is 9 times 3?",
    "Who wrote Romeo and Juliet?",
    "What is the boiling point of water in Celsius?",
    "What is the opposite of hot?",
    "How many legs does a spider have?",
    "What gas do plants take in from the air?",
]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--max-layers", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0, help="call_timeout_s (CPU-bound machines need more)")
    args = parser.parse_args()
    ctx = Context(pool="embedded", max_layers=args.max_layers, call_timeout_s=args.timeout)
    first = first_parsed = scored = scored_parsed = failed = 0
    decisions: collections.Counter = collections.Counter()
    calls, walls = [], []
    for question in QUESTIONS[: args.questions]:
        started = time.perf_counter()
        out = await run_query(question, ctx)
        walls.append(time.perf_counter() - started)
        calls.append(out["bill"]["calls"])
        last = out["trace"][-1]
        decisions[f"{last['decision']}@{last['layer']}"] += 1
        for entry in out["trace"]:
            for model, score in entry["scores"].items():
                if model in entry["errors"] or model not in {m["name"] for m in entry["models"]}:
                    continue
                if entry["layer"] == args.max_layers and entry["layer"] > 1:
                    continue  # the plain last layer has no scores
                scored += 1
                scored_parsed += score["self"] is not None
                if entry["layer"] == 1:
                    first += 1
                    first_parsed += score["self"] is not None
            failed += len(entry["errors"])
        print(
            f"{question!r}: {last['decision']} after layer {last['layer']} ({last['reason']}), {out['bill']['calls']} calls, "
            f"{walls[-1]:.0f} s; so far layer-1 self scores parsed {first_parsed}/{first}, all scored {scored_parsed}/{scored}; "
            f"answer {out['answer'][:60]!r}",
            file=sys.stderr,
            flush=True,
        )
    n = len(walls)
    print(
        f"layer-1 agent replies with a parsed self score: {first_parsed}/{first} ({first_parsed / max(first, 1):.0%})"
    )
    print(f"all scored layers: {scored_parsed}/{scored} ({scored_parsed / max(scored, 1):.0%}); failed calls {failed}")
    print(
        f"decisions: {dict(decisions)}; calls per run {sorted(calls)}; wall s per run median {sorted(walls)[n // 2]:.0f}"
    )
    print("command: python " + " ".join(shlex.quote(a) for a in ["benchmarks/embedded_self_scores.py", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
