"""The first request after `routemoa serve` starts vs a warm request.

    python benchmarks/first_request.py [--delay-ms 200] [--warm 10] [--starts 3]

Starts `routemoa serve` on the stub pool (as benchmarks/server_throughput.py
does), sends one OpenAI-endpoint request as soon as `/ok` answers (the server
accepts requests only after its start-up, which warms the scorer, the default
pool and the provider clients), then `--warm` more, one at a time. Prints the
first request's time, the warm median and their ratio per start, and the time
from launch to ready. `--starts` fresh servers are measured in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from orchestration import start_stub
from server_throughput import chat_completion, start_server, stop


async def timed_requests(url: str, warm: int) -> tuple[float, list[float]]:
    """(seconds of the first request, seconds of each following one)."""
    async with httpx.AsyncClient(timeout=600) as client:
        times = []
        for _ in range(warm + 1):
            start = time.perf_counter()
            await chat_completion(client, url)
            times.append(time.perf_counter() - start)
    return times[0], times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay-ms", type=float, default=200.0, help="stub delay per call")
    parser.add_argument("--warm", type=int, default=10, help="warm requests after the first")
    parser.add_argument("--starts", type=int, default=3, help="fresh servers to measure")
    args = parser.parse_args()
    print("command: python benchmarks/first_request.py " + " ".join(sys.argv[1:]), flush=True)
    stub, stub_url = start_stub(args.delay_ms)
    ratios = []
    try:
        for i in range(args.starts):
            with tempfile.TemporaryDirectory() as tmp:
                launched = time.perf_counter()
                server, url = start_server(Path(tmp), stub_url, None, Path(tmp) / "serve.log")
                ready = time.perf_counter() - launched
                try:
                    first, warm = asyncio.run(timed_requests(url, args.warm))
                finally:
                    stop(server)
            median = statistics.median(warm)
            ratios.append(first / median)
            print(
                f"  start {i + 1}: ready after {ready:.1f} s; first request {first * 1000:.0f} ms,"
                f" warm median of {len(warm)} {median * 1000:.0f} ms, first/warm x{first / median:.2f}",
                flush=True,
            )
    finally:
        stub.kill()
    print(
        f"stub delay {args.delay_ms:g} ms: first request / warm request, median of {args.starts} starts: x{statistics.median(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
