"""Can one liar buy the answer? Three honest models and one liar on a real loopback OpenAI-compatible server.

    python benchmarks/liar_pool.py [--questions 60] [--prior zero-shot|VALUE]

The models (tests/liar_models.py) answer "What is A + B?": the honest ones right
(self_score 0.8, peers 0.9 if right else 0.1), the liar wrong (self_score 1.0, its
own answer 1.0, every other answer 0.0). Identical descriptions and prices, so the
prior is the same for every model: the zero-shot prior of the description by default
(the real encoder), or a fixed VALUE. Context: top_k 4, every other knob at its default.

Per pool (liar pool, then the honest pool alone) it prints: runs, correct finals,
finals that are the liar's answer, early exits and those the liar's score triggered
(the exit reason names it), runs the liar aggregated, calls (total and per run).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shlex
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routemoa.context import Context
from routemoa.runner import run_query
from tests.liar_models import HONEST, LIAR, correct_sum, is_correct, loopback_pool, questions, write_pool


def exit_author(entry: dict) -> str | None:
    """The model whose score passed the threshold, as the early-exit reason names it."""
    found = re.match(r"(\S+) fused", entry.get("reason", ""))
    return found.group(1) if entry.get("decision") == "early_exit" and found else None


async def measure(pool: str, items: list[str], prior: str) -> dict:
    """Run every question once on `pool`; counts of what happened."""
    if prior != "zero-shot":
        import routemoa.nodes.score as score_node
        from routemoa.scorer import Prior

        value = float(prior)
        score_node.pool_prior = lambda query, p: Prior({m: value for m in p.names}, {m: "fixed" for m in p.names})
    counts = dict(runs=0, correct=0, liar_final=0, early_exits=0, liar_exits=0, liar_aggregated=0, calls=0, errors=0)
    per_run_calls = []
    for question in items:
        out = await run_query(question, Context(pool=pool, top_k=4))
        counts["runs"] += 1
        counts["errors"] += out["error"] is not None
        counts["correct"] += is_correct(question, out["answer"])
        counts["liar_final"] += str(correct_sum(question) + 1) in out["answer"]
        exits = [e for e in out["trace"] if e["decision"] == "early_exit"]
        counts["early_exits"] += len(exits)
        counts["liar_exits"] += sum(exit_author(e) == LIAR for e in exits)
        counts["liar_aggregated"] += (out["trace"][-1].get("aggregation") or {}).get("model") == LIAR
        counts["calls"] += out["bill"]["calls"]
        per_run_calls.append(out["bill"]["calls"])
    counts["calls_per_run"] = sorted(set(per_run_calls))
    return counts


def report(name: str, c: dict) -> None:
    runs = c["runs"]
    print(
        f"{name}: {runs} runs; correct finals {c['correct']}/{runs} ({c['correct'] / runs:.0%}); "
        f"liar's answer final {c['liar_final']}/{runs} ({c['liar_final'] / runs:.0%}); "
        f"early exits {c['early_exits']}, triggered by the liar {c['liar_exits']}; "
        f"liar aggregated {c['liar_aggregated']}/{runs}; errors {c['errors']}; "
        f"calls {c['calls']} ({c['calls'] / runs:.2f}/run, per-run values {c['calls_per_run']})"
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--prior", default="zero-shot", help="'zero-shot' (the real encoder) or a fixed prior value")
    args = parser.parse_args()
    items = questions(args.questions)
    with loopback_pool() as server, tempfile.TemporaryDirectory() as folder:
        liar_pool = write_pool(Path(folder) / "liar.yaml", server.url, [*HONEST, LIAR])
        honest_pool = write_pool(Path(folder) / "honest.yaml", server.url, list(HONEST))
        report("liar pool (3 honest + 1 liar)", await measure(liar_pool, items, args.prior))
        report("honest pool (3 honest)", await measure(honest_pool, items, args.prior))
        print(f"HTTP requests served: {len(server.bodies)}")
    print("command: python " + " ".join(shlex.quote(a) for a in ["benchmarks/liar_pool.py", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
