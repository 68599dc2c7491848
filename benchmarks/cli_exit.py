"""How long a cold `routemoa ask` takes to exit after printing its answer: the `routemoa` command
(`cli.run`: the heap frozen before exit) vs `cli.main` called bare, interleaved.

    python benchmarks/cli_exit.py [--asks 9]

Each ask is a fresh process answering one question over a three-model pool on the loopback stub
(benchmarks/stub_server.py, 0 ms), with `--json`; its output is unbuffered, so the last line's arrival
is when the answer was printed. Printed per variant: median wall of the whole process, and median
time from the answer to the process's end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestration import QUESTION, start_stub, write_pool

VARIANTS = {
    "routemoa (cli.run)": [sys.executable, "-m", "routemoa.cli"],
    "cli.main bare": [sys.executable, "-c", "import sys; from routemoa.cli import main; sys.exit(main())"],
}


def ask(command: list[str], pool: str) -> tuple[float, float]:
    """(wall seconds of the process, seconds from its last output line to its end)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*command, "ask", QUESTION, "--pool", pool, "--json", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None
    last = started
    for _line in proc.stdout:
        last = time.perf_counter()
    code = proc.wait()
    ended = time.perf_counter()
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} ask exited {code}")
    return ended - started, ended - last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--asks", type=int, default=9, help="asks per variant (interleaved)")
    args = parser.parse_args()
    print("command: python benchmarks/cli_exit.py " + " ".join(sys.argv[1:]), flush=True)
    proc, url = start_stub(0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            pool = write_pool(Path(tmp), url)
            results: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
            for _ in range(args.asks):
                for name, command in VARIANTS.items():
                    results[name].append(ask(command, pool))
    finally:
        proc.kill()
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        tail = statistics.median(t for _, t in runs)
        print(f"  {name}: wall {wall:.2f} s, answer to exit {tail * 1000:.0f} ms (median of {args.asks})")


if __name__ == "__main__":
    main()
