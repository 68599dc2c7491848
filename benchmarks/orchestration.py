"""Orchestration overhead and throughput: RouteMoA's graph vs the same calls in bare asyncio.

    python benchmarks/orchestration.py [--runs 35] [--delays 0,200] [--concurrency 1,8,32,64]

A three-model pool on an OpenAI-compatible stub server (benchmarks/stub_server.py,
its own process, fixed delay per call). RouteMoA runs 3 layers x 3 models + the
aggregator (10 calls; the stub's self scores are low, so no early exit). "bare"
makes the same 10 calls with the same LangChain client (routemoa.providers) in
plain asyncio: three concurrent calls per layer, then one aggregation call.
Variants are interleaved in one process; medians and ratios are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from langchain_core.messages import HumanMessage

from routemoa.calls import settings_for
from routemoa.context import Context
from routemoa.pool import load_pool
from routemoa.providers import chat_model
from routemoa.runner import run_query

MODELS = ("alpha", "beta", "gamma")
QUESTION = "What is 2 + 2?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stub(delay_ms: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    script = Path(__file__).with_name("stub_server.py")
    proc = subprocess.Popen([sys.executable, str(script), "--port", str(port), "--delay-ms", str(delay_ms)])
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(300):
        try:
            httpx.post(f"{url}/chat/completions", json={"model": "x", "messages": []}, timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("stub server did not start")


def write_pool(folder: Path, url: str) -> str:
    models = [{"name": m, "provider": "openai", "base_url": url, "model": m, "description": f"general model {m}",
               "input_price": 1.0, "output_price": 2.0} for m in MODELS]
    path = folder / "pool.yaml"
    path.write_text(yaml.safe_dump({"models": models}))
    return str(path)


async def routemoa_run(ctx: Context) -> None:
    out = await run_query(QUESTION, ctx)
    assert out["bill"]["calls"] == 10 and not out["error"], (out["bill"], out["error"])


async def bare_run(ctx: Context) -> None:
    pool = load_pool(ctx.pool)
    specs = pool.models
    prompt = f'Answer the question below.\nReply with ONLY a JSON object: {{"answer": ..., "self_score": ...}}\n\nQuestion:\n{QUESTION}'
    for _layer in range(3):
        replies = await asyncio.gather(
            *(chat_model(s, settings_for(s, ctx)).ainvoke([HumanMessage(content=prompt)]) for s in specs)
        )
        prompt = "\n\n".join(f"ANSWER_{i}:\n{r.text}" for i, r in enumerate(replies)) + f"\n\n{QUESTION}"
    await chat_model(specs[0], settings_for(specs[0], ctx)).ainvoke([HumanMessage(content=prompt)])


async def timed(fn, ctx: Context, concurrent: int = 1) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(fn(ctx) for _ in range(concurrent)))
    return time.perf_counter() - start


async def measure(ctx: Context, runs: int, concurrency: list[int]) -> None:
    variants = {"routemoa": routemoa_run, "bare": bare_run}
    for fn in variants.values():  # warm: encoder, pool, clients
        await timed(fn, ctx)
    single: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, fn in variants.items():
            single[name].append(await timed(fn, ctx))
    med = {name: statistics.median(values) for name, values in single.items()}
    print(f"  single run, median of {runs}: routemoa {med['routemoa'] * 1000:.1f} ms, bare {med['bare'] * 1000:.1f} ms,"
          f" overhead x{med['routemoa'] / med['bare']:.2f}")
    for n in concurrency:
        rounds = {name: [] for name in variants}
        for _ in range(3):
            for name, fn in variants.items():
                rounds[name].append(n / await timed(fn, ctx, n))
        rate = {name: statistics.median(values) for name, values in rounds.items()}
        print(f"  {n:>3} concurrent runs: routemoa {rate['routemoa']:.1f} runs/s, bare {rate['bare']:.1f} runs/s,"
              f" ratio {rate['routemoa'] / rate['bare']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=35)
    parser.add_argument("--delays", default="0,200", help="stub delays in ms, comma-separated")
    parser.add_argument("--concurrency", default="1,8,32,64")
    args = parser.parse_args()
    print("command: python benchmarks/orchestration.py " + " ".join(sys.argv[1:]))
    concurrency = [int(c) for c in args.concurrency.split(",") if c]
    with tempfile.TemporaryDirectory() as tmp:
        for delay in [float(d) for d in args.delays.split(",")]:
            proc, url = start_stub(delay)
            try:
                ctx = Context(pool=write_pool(Path(tmp), url), top_k=3, max_layers=3, threshold=1.0)
                print(f"stub delay {delay:g} ms:")
                asyncio.run(measure(ctx, args.runs, concurrency))
            finally:
                proc.kill()


if __name__ == "__main__":
    main()
