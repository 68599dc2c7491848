"""The run's wall time without the time it was paused: the union of its nodes' running spans.

Every node of the graph is wrapped by `timed`, which adds the wall-clock span it ran,
`[start, end]`, to the state's `active` list. A run paused at an interrupt (or stopped and
resumed later) is idle between two spans, so `active_seconds` — the length of the union of
the spans since the run's `score` started, plus the running node's own span so far —
leaves the pause out; parallel calls of one layer overlap and count once.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from contextvars import ContextVar

MAX_SPANS = 4096
"""Spans kept in state (a thread's earlier runs are dropped first)."""

_NODE_STARTED: ContextVar[float | None] = ContextVar("routemoa_node_started", default=None)


def add_spans(left: list | None, right: list | None) -> list:
    """Reducer of `active`: append the new spans, keep the latest MAX_SPANS."""
    return ((left or []) + (right or []))[-MAX_SPANS:]


def timed(node):
    """`node` (an async graph node taking the state, and the runtime if it names one) with its running
    span added to its update. The wrapper always takes the runtime, so LangGraph always passes it."""
    takes_runtime = "runtime" in inspect.signature(node).parameters

    async def run(state, runtime):
        start = time.time()
        token = _NODE_STARTED.set(start)
        try:
            update = await (node(state, runtime) if takes_runtime else node(state))
        finally:
            _NODE_STARTED.reset(token)
        return {**update, "active": [[start, time.time()]]}

    run.__name__, run.__qualname__, run.__doc__ = node.__name__, node.__qualname__, node.__doc__
    return run


def active_seconds(spans: Sequence[Sequence[float]] | None, since: float, now: float | None = None) -> float:
    """Seconds covered by `spans` (and the running node's span up to `now`) after `since`."""
    now = time.time() if now is None else now
    intervals = [(max(a, since), b) for a, b in (spans or []) if b > since]
    running = _NODE_STARTED.get()
    if running is not None:
        intervals.append((max(running, since), now))
    total, reach = 0.0, since
    for start, end in sorted(intervals):
        start = max(start, reach)
        if end > start:
            total += end - start
            reach = end
    return total
