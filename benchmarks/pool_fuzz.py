"""Fuzz the pool loader: N generated pool files, counted by outcome.

    python benchmarks/pool_fuzz.py [N]        # default 10000

Files come from the hypothesis strategies of tests/unit/test_pool_fuzz.py
(pool structures with odd field values, mutated valid pools, YAML token soup,
random bytes, alias bombs, deep nesting, files at the 1 MiB cap, non-UTF-8).
Each is written to a new file and loaded with `load_pool`. Outcomes:

- ok: a Pool whose every field has its documented type and range
- PoolError: one printable line of at most 300 characters that starts with the file name
- unhandled: any other exception, or a PoolError that breaks that contract
- hang>1s: the load took more than a second (a load is abandoned after 10 s)

Target: 0 unhandled, 0 hangs.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.*

from routemoa.pool import load_pool
from tests.unit.test_pool_fuzz import check_load, pool_files

HANG_S = 1.0
ABANDON_S = 10


class _Abandoned(Exception):
    pass


def _alarm(_signum, _frame):
    raise _Abandoned()


def fuzz(n: int, folder: Path) -> tuple[Counter, list[str], list[float]]:
    """Outcome counts, the first unhandled examples and every load's seconds."""
    counts: Counter = Counter()
    problems: list[str] = []
    seconds: list[float] = []
    index = iter(range(10**9))

    @settings(
        max_examples=n, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
    )
    @given(data=pool_files)
    def one(data: bytes) -> None:
        path = folder / f"pool-{next(index)}.yaml"
        path.write_bytes(data)
        signal.alarm(ABANDON_S)
        started = time.perf_counter()
        try:
            outcome = check_load(path)
        except _Abandoned:
            outcome = "hang>1s"
        except Exception as exc:  # AssertionError (contract broken) or anything uncaught
            outcome = "unhandled"
            if len(problems) < 10:
                problems.append(f"{type(exc).__name__}: {str(exc)[:200]!r} on {data[:80]!r}")
        finally:
            signal.alarm(0)
        took = time.perf_counter() - started
        seconds.append(took)
        if took > HANG_S and outcome != "unhandled":
            outcome = "hang>1s"
            if len(problems) < 10:
                problems.append(f"slow ({took:.2f} s): {len(data)} bytes {data[:80]!r}")
        counts[outcome] += 1
        path.unlink()

    signal.signal(signal.SIGALRM, _alarm)
    one()
    return counts, problems, seconds


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 10_000
    load_pool()  # import the providers once, outside the timed loads
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pool-fuzz-") as tmp:
        counts, problems, seconds = fuzz(n, Path(tmp))
    total = sum(counts.values())
    seconds.sort()
    print(f"command: python benchmarks/pool_fuzz.py {n}")
    print(f"files: {total} (asked {n})  wall: {time.perf_counter() - started:.0f} s")
    for outcome in ("ok", "PoolError", "unhandled", "hang>1s"):
        print(f"  {outcome:10s} {counts[outcome]:6d}  ({100 * counts[outcome] / max(total, 1):.1f} %)")
    if seconds:
        print(
            f"load seconds: median {seconds[len(seconds) // 2]:.4f}  p99 {seconds[int(len(seconds) * 0.99)]:.3f}  max {seconds[-1]:.3f}"
        )
    for problem in problems:
        print("  " + problem)
    return 0 if counts["unhandled"] == 0 and counts["hang>1s"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
