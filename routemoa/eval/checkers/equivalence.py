"""Mathematical equivalence with math-verify, safe from any thread and never hanging.

math-verify bounds its own parsing and comparison time with `signal.alarm`, which
only works in a process's main thread. From the main thread it is called directly;
from any other thread the comparison is sent to a worker process
(`python -m routemoa.eval.checkers.equivalence`, one JSON line per request, run
in the worker's main thread with the same alarms), behind a wall-clock limit that
kills the worker if even that fails.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import threading

PARSE_TIMEOUT_S = 5
VERIFY_TIMEOUT_S = 5
WALL_TIMEOUT_S = 60.0
"""Worker start (imports sympy) plus two parses and a comparison; only reached when something is wrong."""
MAX_CHARS = 2000
"""Longer expressions are not compared (math answers are short; this bounds parsing work)."""

_lock = threading.Lock()
_worker: subprocess.Popen | None = None


def _compare(reference: str, answer: str, answer_is_text: bool) -> bool:
    """math-verify: the reference read as the content of a `\\boxed{}`; the answer too, or, when
    `answer_is_text`, the final answer math-verify itself extracts from it. Main thread only."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    try:
        gold = parse("\\boxed{" + reference + "}", extraction_config=config, parsing_timeout=PARSE_TIMEOUT_S)
        got = parse(
            answer if answer_is_text else "\\boxed{" + answer + "}",
            extraction_config=config,
            parsing_timeout=PARSE_TIMEOUT_S,
        )
        return bool(gold and got and verify(gold, got, timeout_seconds=VERIFY_TIMEOUT_S))
    except Exception:  # a malformed or pathological expression is simply not equivalent
        return False


def _ask_worker(request: list) -> bool:
    """Send one request to the worker process (started on first use); False after a wall timeout."""
    global _worker
    with _lock:
        if _worker is None or _worker.poll() is not None:
            _worker = subprocess.Popen(
                [sys.executable, "-m", "routemoa.eval.checkers.equivalence"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        stdin, stdout = _worker.stdin, _worker.stdout
        assert stdin is not None and stdout is not None  # both are pipes
        try:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
            ready, _, _ = select.select([stdout], [], [], WALL_TIMEOUT_S)
            line = stdout.readline() if ready else ""
            if line:
                return bool(json.loads(line))
        except (OSError, ValueError):
            pass
        _worker.kill()
        _worker.wait()
        _worker = None
        return False


def equivalent(reference: str, answer: str, answer_is_text: bool = False) -> bool:
    """Whether the answer equals the reference per math-verify (see `_compare`); False on any failure."""
    if len(reference) > MAX_CHARS or len(answer) > MAX_CHARS:
        return False
    if threading.current_thread() is threading.main_thread():
        return _compare(reference, answer, answer_is_text)
    return _ask_worker([reference, answer, answer_is_text])


def _serve() -> None:
    """Worker loop: one JSON request per stdin line, one JSON boolean per stdout line."""
    for line in sys.stdin:
        reference, answer, answer_is_text = json.loads(line)
        print(json.dumps(_compare(reference, answer, answer_is_text)), flush=True)


if __name__ == "__main__":
    _serve()
