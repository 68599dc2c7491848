"""Orchestration overhead and throughput: RouteMoA's graph vs the same calls in bare asyncio.

    python benchmarks/orchestration.py [--runs 35] [--delays 0,200] [--concurrency 1,8,32,64] [--rounds 3] [--split]

A three-model pool on an OpenAI-compatible stub server (benchmarks/stub_server.py,
its own process, fixed delay per call). RouteMoA runs 3 layers x 3 models + the
aggregator (10 calls; the stub's self scores are low, so no early exit). "bare"
makes the same 10 requests (same prompts, the same JSON-schema response_format for
the agents of layers 1 and 2 and free text in layer 3, same settings) with the same LangChain client (routemoa.providers)
in plain asyncio: three concurrent calls per layer, then one aggregation call.
Variants are interleaved in one process; medians and ratios are printed: wall
time per run, and this process's CPU time per run (robust on a loaded machine:
with the stub at 0 ms a run is CPU-bound, so CPU per run is what caps
throughput).

`--split` adds two variants to the single runs, to say where RouteMoA's extra CPU goes:
"fixed prior" (the same run with the scorer replaced by equal priors: the rest is
the scorer's) and "empty graph" (a LangGraph graph of the same shape, node names and
edges, 3 layers of 3 Sends, whose nodes do nothing and call no model: LangGraph's own
work for this topology).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from typing_extensions import TypedDict

import routemoa.nodes.score as score_node
from routemoa import prompts
from routemoa.calls import settings_for
from routemoa.candidates import agent_messages, candidate_blocks
from routemoa.context import Context
from routemoa.layer_plan import layer_tasks
from routemoa.pool import load_pool
from routemoa.providers import chat_model
from routemoa.reply_schema import scored_response_format
from routemoa.runner import run_query
from routemoa.scorer import Prior

MODELS = ("alpha", "beta", "gamma")
QUESTION = "What is 2 + 2?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stub(delay_ms: float) -> tuple[subprocess.Popen, str]:
    """benchmarks/stub_server.py in its own process; returns it and its base URL once it answers."""
    port = free_port()
    script = Path(__file__).with_name("stub_server.py")
    proc = subprocess.Popen([sys.executable, str(script), "--port", str(port), "--delay-ms", str(delay_ms)])
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(600):
        try:
            httpx.post(f"{url}/chat/completions", json={"model": "x", "messages": []}, timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("stub server did not start")


def write_pool(folder: Path, url: str) -> str:
    models = [
        {
            "name": m,
            "provider": "openai",
            "base_url": url,
            "model": m,
            "description": f"general model {m}",
            "input_price": 1.0,
            "output_price": 2.0,
        }
        for m in MODELS
    ]
    path = folder / "pool.yaml"
    path.write_text(yaml.safe_dump({"models": models}))
    return str(path)


async def routemoa_run(ctx: Context) -> None:
    out = await run_query(QUESTION, ctx)
    assert out["bill"]["calls"] == 10 and not out["error"], (out["bill"], out["error"])


async def bare_run(ctx: Context) -> None:
    """RouteMoA's ten requests by hand: three layers of three calls (tasks and messages built by RouteMoA's
    own `layer_tasks` and `agent_messages`: scored in JSON in layers 1-2, free text in the last), then the
    aggregator's messages as aggregate.py builds them."""
    pool = load_pool(ctx.pool)
    state = {"messages": [HumanMessage(content=QUESTION)], "method": "routemoa", "question": QUESTION}
    shown: list[dict] = []  # the previous layer's answers, as select.layer_answers gives them
    for layer in range(1, 4):
        tasks = layer_tasks(state, ctx, pool, layer, list(pool.names), shown)
        replies = await asyncio.gather(
            *(
                chat_model(s, settings_for(s, ctx)).ainvoke(
                    agent_messages(task, task["system_prompt"]),
                    **({} if task["plain"] else {"response_format": scored_response_format(s, len(shown))}),
                )
                for s, task in zip(pool.models, tasks, strict=True)
            )
        )
        shown = [
            {"model": task["model"], "answer": r.text if task["plain"] else json.loads(r.text)["answer"]}
            for r, task in zip(replies, tasks, strict=True)
        ]
    candidates = prompts.AGGREGATE_CANDIDATES.format(candidates=candidate_blocks([a["answer"] for a in shown]))
    messages = [
        SystemMessage(content=prompts.AGGREGATE_SYSTEM),
        HumanMessage(content=candidates),
        HumanMessage(content=QUESTION),
    ]
    spec = pool.models[0]
    await chat_model(spec, settings_for(spec, ctx, ctx.temperature / 2)).ainvoke(messages)


async def fixed_prior_run(ctx: Context) -> None:
    """A RouteMoA run whose scorer gives every model the same prior (no encoder pass)."""
    real = score_node.pool_prior
    score_node.pool_prior = lambda query, pool: Prior(
        dict.fromkeys(pool.names, 0.5), dict.fromkeys(pool.names, "fixed")
    )
    try:
        await routemoa_run(ctx)
    finally:
        score_node.pool_prior = real


class EmptyState(TypedDict, total=False):
    layer: int


def empty_graph():
    """RouteMoA's topology with nodes that do nothing: score -> select -Send x3-> agent -> assess -> select
    (3 layers) | aggregate."""

    async def nothing(state) -> dict:
        return {}

    async def select(state: EmptyState) -> dict:
        return {"layer": state.get("layer", 0) + 1}

    async def fan_out(state: EmptyState) -> list[Send]:
        return [Send("agent", {"model": m}) for m in MODELS]

    async def next_step(state: EmptyState) -> str:
        return "select" if state["layer"] < 3 else "aggregate"

    builder = StateGraph(EmptyState)
    for name in ("score", "agent", "assess", "aggregate"):
        builder.add_node(name, nothing)
    builder.add_node("select", select)
    builder.add_edge(START, "score")
    builder.add_edge("score", "select")
    builder.add_conditional_edges("select", fan_out, ["agent"])
    builder.add_edge("agent", "assess")
    builder.add_conditional_edges("assess", next_step, ["select", "aggregate"])
    builder.add_edge("aggregate", END)
    return builder.compile()


EMPTY_GRAPH = empty_graph()


async def empty_graph_run(ctx: Context) -> None:
    async for _ in EMPTY_GRAPH.astream({"layer": 0}, stream_mode=["values"]):  # as runner.run_query streams
        pass


async def timed(fn, ctx: Context, concurrent: int = 1) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) of `concurrent` runs of `fn` at once."""
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(fn(ctx) for _ in range(concurrent)))
    return time.perf_counter() - wall, time.process_time() - cpu


async def measure(ctx: Context, runs: int, concurrency: list[int], split: bool, rounds: int = 3) -> None:
    variants = {"routemoa": routemoa_run, "bare": bare_run}
    singles = {**variants, "fixed prior": fixed_prior_run, "empty graph": empty_graph_run} if split else variants
    for _ in range(2):  # warm: encoder, pool, clients
        for fn in singles.values():
            await timed(fn, ctx)
    wall: dict[str, list[float]] = {name: [] for name in singles}
    cpu: dict[str, list[float]] = {name: [] for name in singles}
    for _ in range(runs):
        for name, fn in singles.items():
            w, c = await timed(fn, ctx)
            wall[name].append(w)
            cpu[name].append(c)
    mw = {name: statistics.median(v) for name, v in wall.items()}
    mc = {name: statistics.median(v) for name, v in cpu.items()}
    print(
        f"  single run, median of {runs}: wall routemoa {mw['routemoa'] * 1000:.1f} ms, bare {mw['bare'] * 1000:.1f} ms,"
        f" overhead x{mw['routemoa'] / mw['bare']:.2f}; CPU routemoa {mc['routemoa'] * 1000:.1f} ms,"
        f" bare {mc['bare'] * 1000:.1f} ms, x{mc['routemoa'] / mc['bare']:.2f}",
        flush=True,
    )
    if split:
        extra = mc["routemoa"] - mc["bare"]
        scorer = mc["routemoa"] - mc["fixed prior"]
        graph = mc["empty graph"]
        print(
            f"  CPU beyond bare {extra * 1000:.1f} ms: scorer {scorer * 1000:.1f} ms (routemoa - fixed prior),"
            f" LangGraph alone {graph * 1000:.1f} ms (empty graph), the rest {(extra - scorer - graph) * 1000:.1f} ms"
            f" (RouteMoA's nodes and calls)",
            flush=True,
        )
    for n in concurrency:
        rates: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, fn in variants.items():
                rates[name].append(n / (await timed(fn, ctx, n))[0])
        rate = {name: statistics.median(v) for name, v in rates.items()}
        print(
            f"  {n:>3} concurrent runs (median of {rounds} rounds): routemoa {rate['routemoa']:.2f} runs/s,"
            f" bare {rate['bare']:.2f} runs/s, ratio {rate['routemoa'] / rate['bare']:.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=35)
    parser.add_argument("--delays", default="0,200", help="stub delays in ms, comma-separated")
    parser.add_argument("--concurrency", default="1,8,32,64")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of concurrent runs per variant (interleaved)")
    parser.add_argument("--split", action="store_true", help="also split the single runs' extra CPU (see above)")
    args = parser.parse_args()
    print("command: python benchmarks/orchestration.py " + " ".join(sys.argv[1:]), flush=True)
    concurrency = [int(c) for c in args.concurrency.split(",") if c]
    with tempfile.TemporaryDirectory() as tmp:
        for delay in [float(d) for d in args.delays.split(",")]:
            proc, url = start_stub(delay)
            try:
                ctx = Context(pool=write_pool(Path(tmp), url), top_k=3, max_layers=3, threshold=1.0)
                print(f"stub delay {delay:g} ms:", flush=True)
                asyncio.run(measure(ctx, args.runs, concurrency, args.split, args.rounds))
            finally:
                proc.kill()


if __name__ == "__main__":
    main()
