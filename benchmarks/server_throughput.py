"""Serving throughput: runs per second through `routemoa serve` at 1, 8 and 32 concurrent requests.

    python benchmarks/server_throughput.py [--delay-ms 200] [--concurrency 1,8,32] [--rounds 3] [--n-jobs-per-worker N]

`routemoa serve` (langgraph dev, in-memory) serves a three-model pool on the
OpenAI-compatible stub (benchmarks/stub_server.py, its own process, fixed delay
per call). Each request is a full RouteMoA run: 3 layers x 3 models + the
aggregator (10 calls). Two endpoints, interleaved round by round: the LangGraph
API's stateless `POST /runs/wait` and the OpenAI endpoint `POST
/v1/chat/completions`. Per endpoint and concurrency: the median throughput of
the rounds and its ratio to the single-request throughput measured in the same
run. `--n-jobs-per-worker` is passed to `routemoa serve` (default: its own).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from orchestration import QUESTION, free_port, start_stub, write_pool

KNOBS = {"top_k": 3, "max_layers": 3, "threshold": 1.0}
"""Every run makes all ten calls (the stub's self scores are low: no early exit)."""


def start_server(folder: Path, stub_url: str, jobs: int | None, log: Path) -> tuple[subprocess.Popen, str]:
    """`routemoa serve` with the stub pool as the operator's only pool (`bench`); returns it and its URL
    once `/ok` answers (the server accepts requests only after its start-up, warm-up included)."""
    pools = folder / "pools"
    pools.mkdir(exist_ok=True)
    write_pool(pools, stub_url)
    (pools / "pool.yaml").rename(pools / "bench.yaml")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "routemoa.cli",
        "serve",
        "--port",
        str(port),
        "--pools",
        str(pools),
        "--pool",
        "bench",
    ]
    if jobs:
        command += ["--n-jobs-per-worker", str(jobs)]
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    proc = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"routemoa serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("routemoa serve did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


async def runs_wait(client: httpx.AsyncClient, url: str) -> None:
    """One stateless LangGraph API run."""
    body = {
        "assistant_id": "routemoa",
        "input": {"messages": [{"role": "user", "content": QUESTION}]},
        "context": KNOBS,
    }
    reply = await client.post(f"{url}/runs/wait", json=body)
    out = reply.json()
    assert reply.status_code == 200 and out["bill"]["calls"] == 10 and not out["error"], str(out)[:500]


async def chat_completion(client: httpx.AsyncClient, url: str) -> None:
    """One OpenAI-endpoint request."""
    body = {"model": "routemoa", "messages": [{"role": "user", "content": QUESTION}], "routemoa": KNOBS}
    reply = await client.post(f"{url}/v1/chat/completions", json=body)
    out = reply.json()
    assert reply.status_code == 200 and out["choices"][0]["message"]["content"], str(out)[:500]


ENDPOINTS = {"/runs/wait": runs_wait, "/v1/chat/completions": chat_completion}


async def throughput(request, client: httpx.AsyncClient, url: str, n: int) -> float:
    """Requests per second of `n` concurrent requests."""
    start = time.perf_counter()
    await asyncio.gather(*(request(client, url) for _ in range(n)))
    return n / (time.perf_counter() - start)


async def measure(url: str, concurrency: list[int], rounds: int) -> dict[str, dict[int, float]]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        for request in ENDPOINTS.values():  # the first requests after start are first_request.py's subject
            await request(client, url)
        rates: dict[str, dict[int, list[float]]] = {name: {n: [] for n in concurrency} for name in ENDPOINTS}
        for _ in range(rounds):
            for n in concurrency:
                for name, request in ENDPOINTS.items():
                    rates[name][n].append(await throughput(request, client, url, n))
    return {name: {n: statistics.median(v) for n, v in per.items()} for name, per in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay-ms", type=float, default=200.0, help="stub delay per call")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n-jobs-per-worker", type=int, default=None)
    args = parser.parse_args()
    print("command: python benchmarks/server_throughput.py " + " ".join(sys.argv[1:]), flush=True)
    concurrency = [int(c) for c in args.concurrency.split(",") if c]
    if 1 not in concurrency:
        concurrency.insert(0, 1)
    stub, stub_url = start_stub(args.delay_ms)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "serve.log"
            server, url = start_server(Path(tmp), stub_url, args.n_jobs_per_worker, log)
            try:
                rates = asyncio.run(measure(url, concurrency, args.rounds))
            finally:
                stop(server)
    finally:
        stub.kill()
    print(
        f"stub delay {args.delay_ms:g} ms, n-jobs-per-worker {args.n_jobs_per_worker or 'routemoa serve default'},"
        f" median of {args.rounds} rounds:"
    )
    for name, per in rates.items():
        for n, rate in per.items():
            print(f"  {name:<22} {n:>3} concurrent: {rate:6.2f} runs/s, x{rate / per[1]:.2f} single-request throughput")


if __name__ == "__main__":
    main()
