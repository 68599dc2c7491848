"""Mathematical equivalence with math-verify, safe from any thread and never hanging.

math-verify bounds its own parsing and comparison time with `signal.alarm`, which
only works in a process's main thread. From the main thread it is called directly;
from any other thread the comparison runs in a one-process worker pool (whose
tasks run in the worker's main thread, with the same alarms), behind a wall-clock
limit that terminates the worker if even that fails.
"""

from __future__ import annotations

import multiprocessing
import threading

PARSE_TIMEOUT_S = 5
VERIFY_TIMEOUT_S = 5
WALL_TIMEOUT_S = 30.0
MAX_CHARS = 2000
"""Longer expressions are not compared (math answers are short; this bounds parsing work)."""

_lock = threading.Lock()
_worker = None


def _boxed(expr: str) -> str:
    return "\\boxed{" + expr + "}"


def _compare(reference: str, answer: str) -> bool:
    """math-verify on both expressions, each read as the content of a `\\boxed{}`; main thread only."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    try:
        gold = parse(_boxed(reference), extraction_config=config, parsing_timeout=PARSE_TIMEOUT_S)
        got = parse(_boxed(answer), extraction_config=config, parsing_timeout=PARSE_TIMEOUT_S)
        return bool(gold and got and verify(gold, got, timeout_seconds=VERIFY_TIMEOUT_S))
    except Exception:  # a malformed or pathological expression is simply not equivalent
        return False


def _pool():
    global _worker
    with _lock:
        if _worker is None:
            _worker = multiprocessing.get_context("spawn").Pool(1)
        return _worker


def _drop_pool() -> None:
    global _worker
    with _lock:
        if _worker is not None:
            _worker.terminate()
            _worker = None


def equivalent(reference: str, answer: str) -> bool:
    """Whether two math expressions (LaTeX or plain) are equal per math-verify; False on any failure."""
    if len(reference) > MAX_CHARS or len(answer) > MAX_CHARS:
        return False
    if threading.current_thread() is threading.main_thread():
        return _compare(reference, answer)
    try:
        return bool(_pool().apply_async(_compare, (reference, answer)).get(WALL_TIMEOUT_S))
    except multiprocessing.TimeoutError:
        _drop_pool()
        return False
