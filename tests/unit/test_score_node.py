"""The score node: concurrent runs' queries reach the scorer together, so they can share an encoder pass."""

from __future__ import annotations

import asyncio
import threading

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from routemoa.context import Context
from routemoa.nodes.score import make_score
from routemoa.scorer import Prior
from routemoa.scorer.encoder import MICRO_BATCH_MAX


async def test_a_full_encoder_batch_of_concurrent_runs_is_scored_at_once(fake_pool, monkeypatch):
    """MICRO_BATCH_MAX runs started together all wait in the scorer at the same time (one encoder pass's worth):
    the barrier breaks, and the test fails, if fewer of them can be in the scorer at once."""
    pool = fake_pool(["a", "b"])
    inside = threading.Barrier(MICRO_BATCH_MAX, timeout=10)

    def prior(query, pool):
        inside.wait()
        return Prior(scores={m: 0.5 for m in pool.names}, source={m: "fixed" for m in pool.names})

    monkeypatch.setattr("routemoa.nodes.score.pool_prior", prior)
    score = make_score()
    runtime = Runtime(context=Context(pool=pool))
    updates = await asyncio.gather(
        *(score({"messages": [HumanMessage(content=f"q{i}")]}, runtime) for i in range(MICRO_BATCH_MAX))
    )
    assert [u["question"] for u in updates] == [f"q{i}" for i in range(MICRO_BATCH_MAX)]
    assert all(u["prior"] == {"a": 0.5, "b": 0.5} for u in updates)
