"""Embedded pool speed: cold-process `routemoa ask` wall time, and llama.cpp decoding with 1 vs 3 slots.

    python benchmarks/embedded_ask.py [--asks 3] [--rounds 5] [--question "What is 12 + 7?"] [--baseline TREE]

1. `routemoa ask QUESTION --json` in a fresh process, `--asks` times (everything
   counted: imports, scorer, model load, every layer and the aggregator): median
   wall seconds, the process's CPU seconds (user + system: what a shared, loaded
   machine inflates least; on an idle machine wall time cannot go below CPU
   seconds / CPUs), calls, prompt and output tokens, output tokens per wall second.
   With `--baseline TREE` (another checkout, e.g. a `git worktree` of an older commit) its
   `routemoa ask` runs alternate with this tree's, and the wall-time ratio is printed.
2. In one process, a layer of three concurrent calls (agent-style prompt,
   max_tokens 128) on an engine with 1 slot (calls queue) and on one with 3
   slots (calls decode at once), interleaved for `--rounds` rounds; and one call
   alone with all CPU threads, with one, and with the engine's default (one
   decoding thread, every CPU for the prompt); the 3-slot layer and the lone default call also on
   engines given the F16 file as `model_path`, which then decode with it too (the engine before
   replies were decoded with the packaged Q4_1 weights). Per variant: median wall, aggregate decode
   tokens/s, the 3-slot / 1-slot throughput ratio and the Q4_1 / F16 decoding ratios. Also the slot load time.
3. JSON-constrained decoding of a layer-2 agent's scored reply (answer, self score, three
   peer scores), CPU of the calling thread (one thread, so load on other cores barely moves
   it), interleaved for `--rounds` rounds: llama-cpp-python's `generate` (the grammar filters
   the whole vocabulary at every token), `routemoa.local_sampling.decode` drawing every token
   (the grammar checks the drawn token, and filters the vocabulary only when it rejects it),
   and `decode` as served (the keys and punctuation the grammar forces are evaluated in
   batches), for four questions each round. Per way: median CPU ms per reply, mean tokens and
   model evaluations per reply, CPU ms per token (all CPU over all tokens).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time

from routemoa import prompts
from routemoa.candidates import candidate_blocks
from routemoa.local_engine import LocalEngine, Request, cpu_count, grammar_for, prompt_tokens, serving_gguf
from routemoa.local_sampling import decode
from routemoa.reply_schema import reply_schema

LAYER_PROMPTS = [
    "Explain why the sky is blue to a ten-year-old.",
    "Describe how a bicycle works, part by part.",
    "Write a short story about a lighthouse keeper.",
]
SYSTEM = "You are a careful assistant. Answer in full sentences."


def cold_ask(question: str, tree: str | None = None) -> dict:
    """One `routemoa ask --json` in a new process (`tree`: a checkout of routemoa to run instead of the
    installed one): wall seconds and the run's bill."""
    env = {**os.environ, "PYTHONPATH": tree} if tree else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "routemoa.cli", "ask", question, "--json"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=tree,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"routemoa ask failed ({done.returncode}): {done.stderr[-2000:]}")
    out = json.loads(done.stdout)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "calls": out["bill"]["calls"],
        "input_tokens": out["bill"]["input_tokens"],
        "output_tokens": out["bill"]["output_tokens"],
        "layers": len(out["trace"]),
        "decision": out["trace"][-1]["decision"] if out["trace"] else None,
    }


def layer(engine: LocalEngine, prompts: list[str], max_tokens: int = 128) -> tuple[float, int]:
    """Submit the prompts at once; wall seconds until all are done and the output tokens."""
    requests = [
        Request(
            messages=({"role": "system", "content": SYSTEM}, {"role": "user", "content": p}),
            temperature=0.7,
            max_tokens=max_tokens,
        )
        for p in prompts
    ]
    started = time.perf_counter()
    futures = [engine.submit(r, threading.Event()) for r in requests]
    outcomes = [f.result() for f in futures]
    return time.perf_counter() - started, sum(o.output_tokens for o in outcomes)


REPLY_FORMAT = json.dumps(
    {"type": "json_schema", "json_schema": {"name": "scored_reply", "schema": reply_schema(3), "strict": True}}
)
"""A layer-2 agent's reply: answer, self score and three peer scores (what RouteMoA's agents are asked for)."""
SCORED_QUESTIONS = (
    "What is 12 + 7?",
    "What is the capital of France?",
    "Is 91 a prime number?",
    "Why is the sky blue?",
)
CANDIDATES = ("12 + 7 = 19.", "The answer is 21.", "Nineteen.")


def json_reply_cpu(rounds: int) -> dict:
    """CPU ms and model evaluations per JSON-constrained reply, interleaved: llama-cpp-python's `generate`
    (the grammar filters the vocabulary at every token), `decode` drawing every token (the grammar checks
    the drawn one), and `decode` as served (what the grammar forces is evaluated in batches)."""
    engine = LocalEngine(slots=1)
    engine.warm()
    slot = engine._acquire()
    llm, grammar = slot.llm, grammar_for(REPLY_FORMAT, 160)
    evaluations = [0]
    evaluate = llm.eval

    def counted(tokens):
        evaluations[0] += 1
        return evaluate(tokens)

    llm.eval = counted
    ways = {
        "grammar_every_token": lambda p: llm.generate(p, grammar=grammar, temp=0.7, top_p=0.9, top_k=40, min_p=0.05),
        "grammar_on_drawn_token": lambda p: decode(llm, p, 0.7, grammar, forward_forced=False),
        "forced_text_forwarded": lambda p: decode(llm, p, 0.7, grammar),
    }
    samples: dict[str, list[tuple[float, int, int]]] = {name: [] for name in ways}
    for _ in range(rounds):
        for question in SCORED_QUESTIONS:
            text = prompts.ANSWER_WITH_PEER_SCORES.format(
                question=question, count=len(CANDIDATES), candidates=candidate_blocks(CANDIDATES)
            )
            prompt = prompt_tokens(
                llm, slot.chat, ({"role": "system", "content": SYSTEM}, {"role": "user", "content": text})
            )
            for name, tokens in ways.items():
                evaluate(prompt)  # the prompt is cached: each way times its reply only
                started, generated, evaluations[0] = time.thread_time(), [], 0
                for token in tokens(prompt):
                    if llm.token_eos() == token or len(generated) >= 160:
                        break
                    generated.append(token)
                samples[name].append(((time.thread_time() - started) * 1000, len(generated), evaluations[0]))
    llm.eval = evaluate
    engine._release(slot)
    engine.close()
    out = {
        name: {
            "replies": len(runs),
            "cpu_ms_per_reply_median": round(statistics.median(ms for ms, _, _ in runs), 1),
            "tokens_per_reply_mean": round(statistics.mean(n for _, n, _ in runs), 1),
            "evaluations_per_reply_mean": round(statistics.mean(e for _, _, e in runs), 1),
            "cpu_ms_per_token": round(sum(ms for ms, _, _ in runs) / max(1, sum(n for _, n, _ in runs)), 1),
        }
        for name, runs in samples.items()
    }
    per_token = {name: v["cpu_ms_per_token"] for name, v in out.items()}
    return {
        **out,
        "per_token_ratio_drawn_vs_every": round(
            per_token["grammar_on_drawn_token"] / per_token["grammar_every_token"], 2
        ),
        "per_token_ratio_forwarded_vs_drawn": round(
            per_token["forced_text_forwarded"] / per_token["grammar_on_drawn_token"], 2
        ),
    }


def ask_summary(question: str, asks: list[dict]) -> dict:
    """Medians and every run's figures of cold asks."""
    walls = [a["wall_s"] for a in asks]
    return {
        "question": question,
        "runs": len(asks),
        "wall_s_median": round(statistics.median(walls), 2),
        "wall_s_all": [round(w, 2) for w in walls],
        "cpu_s_median": round(statistics.median(a["cpu_s"] for a in asks), 2),
        "cpu_s_all": [round(a["cpu_s"], 2) for a in asks],
        "input_tokens": [a["input_tokens"] for a in asks],
        "calls": [a["calls"] for a in asks],
        "layers": [a["layers"] for a in asks],
        "decisions": [a["decision"] for a in asks],
        "output_tokens": [a["output_tokens"] for a in asks],
        "output_tokens_per_wall_s_median": round(statistics.median(a["output_tokens"] / a["wall_s"] for a in asks), 1),
    }


def summarise(samples: list[tuple[float, int]]) -> dict:
    walls = [w for w, _ in samples]
    rates = [t / w for w, t in samples]
    return {
        "wall_s_median": round(statistics.median(walls), 3),
        "tokens_per_s_median": round(statistics.median(rates), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=int, default=3, help="cold-process `routemoa ask` runs (0: none)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the slot comparison")
    parser.add_argument("--question", default="What is 12 + 7?")
    parser.add_argument(
        "--baseline",
        metavar="TREE",
        help="also time `routemoa ask` from this checkout (e.g. `git worktree add /tmp/base HEAD~1`), alternating",
    )
    args = parser.parse_args()

    one, three = LocalEngine(slots=1, threads=cpu_count()), LocalEngine(slots=3, threads=cpu_count())
    one_thread, default = LocalEngine(slots=1, threads=1, batch_threads=1), LocalEngine(slots=1)
    three_f16 = LocalEngine(slots=3, threads=cpu_count(), model_path=serving_gguf())
    default_f16 = LocalEngine(slots=1, model_path=serving_gguf())
    load_s = [LocalEngine(slots=1).warm() for _ in range(3)]
    for engine in (three, three_f16):
        layer(engine, LAYER_PROMPTS, max_tokens=4)  # loads the three slots
    for engine in (one_thread, default, default_f16):
        layer(engine, LAYER_PROMPTS[:1], max_tokens=4)
    variants: dict[str, list[tuple[float, int]]] = {
        "layer_1_slot": [],
        "layer_3_slots": [],
        "single_call_all_threads": [],
        "single_call_1_thread": [],
        "single_call_default_threads": [],
        "layer_3_slots_f16_decoding": [],
        "single_call_default_threads_f16_decoding": [],
    }
    for _ in range(args.rounds):
        variants["layer_1_slot"].append(layer(one, LAYER_PROMPTS))
        variants["layer_3_slots"].append(layer(three, LAYER_PROMPTS))
        variants["single_call_all_threads"].append(layer(three, LAYER_PROMPTS[:1]))
        variants["single_call_1_thread"].append(layer(one_thread, LAYER_PROMPTS[:1]))
        variants["single_call_default_threads"].append(layer(default, LAYER_PROMPTS[:1]))
        variants["layer_3_slots_f16_decoding"].append(layer(three_f16, LAYER_PROMPTS))
        variants["single_call_default_threads_f16_decoding"].append(layer(default_f16, LAYER_PROMPTS[:1]))
    engines = {name: summarise(samples) for name, samples in variants.items()}
    rate = lambda name: engines[name]["tokens_per_s_median"]  # noqa: E731
    for engine in (one, three, one_thread, default, three_f16, default_f16):
        engine.close()

    json_replies = json_reply_cpu(args.rounds)
    trees = {"ask": None, **({"ask_baseline": args.baseline} if args.baseline else {})}
    asks: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.asks):
        for name, tree in trees.items():
            asks[name].append(cold_ask(args.question, tree))
    report = {
        "cpus": cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "slot_load_s_median": round(statistics.median(load_s), 3),
        **engines,
        "layer_throughput_3_vs_1_slots": round(rate("layer_3_slots") / rate("layer_1_slot"), 2),
        "layer_throughput_q4_1_vs_f16_decoding": round(rate("layer_3_slots") / rate("layer_3_slots_f16_decoding"), 2),
        "single_call_q4_1_vs_f16_decoding": round(
            rate("single_call_default_threads") / rate("single_call_default_threads_f16_decoding"), 2
        ),
        "json_reply_cpu": json_replies,
        **{name: ask_summary(args.question, runs) for name, runs in asks.items() if runs},
    }
    if args.baseline and args.asks:
        report["ask_baseline"]["tree"] = args.baseline
        report["ask_wall_ratio_vs_baseline"] = round(
            report["ask"]["wall_s_median"] / report["ask_baseline"]["wall_s_median"], 2
        )
    print("command: python " + " ".join(sys.argv))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
