"""The bill's wall_s: from the start of `score` to the answer, without time paused at an interrupt."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fakes_serving

from routemoa.context import Context
from routemoa.graph import build_graph
from routemoa.timing import active_seconds

PAUSE_S = 2.0


async def test_time_paused_at_an_interrupt_is_not_billed(tmp_path, fixed_prior):
    fixed_prior({"fake-0": 0.8, "fake-1": 0.9})
    pool = str(fakes_serving.write_pool(tmp_path / "pool.yaml", 2))
    graph = build_graph("routemoa", checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "paused"}}
    context = Context(pool=pool, max_layers=1)
    started = time.time()
    await graph.ainvoke(
        {"messages": [("user", "What is 6*7?")]}, config, context=context, interrupt_before=["aggregate"]
    )
    assert (await graph.aget_state(config)).next == ("aggregate",)
    await asyncio.sleep(PAUSE_S)
    out = await graph.ainvoke(None, config, context=context)
    elapsed = time.time() - started
    assert out["answer"] == "fake-1 says 42 (aggregated)"
    assert 0 < out["bill"]["wall_s"] < elapsed - PAUSE_S + 0.05  # the pause is left out; the run itself counts


def test_spans_overlap_once_and_start_at_the_run():
    spans = [[0.0, 1.0], [5.0, 6.0], [5.5, 7.0], [10.0, 10.5]]
    assert active_seconds(spans, since=5.0, now=10.5) == 2.5  # earlier runs' spans dropped, overlap counted once
    assert active_seconds([[4.0, 6.0]], since=5.0, now=6.0) == 1.0
