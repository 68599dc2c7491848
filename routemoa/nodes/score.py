"""score: the scorer's prior for every pool model, before any LLM call; resets the per-run state."""

from __future__ import annotations

import asyncio
import time

from langgraph.runtime import Runtime

from routemoa.context import Context, run_context
from routemoa.conversation import last_question
from routemoa.errors import UserError
from routemoa.pool import load_pool
from routemoa.scorer import pool_prior
from routemoa.state import State


def make_score(method: str = "routemoa"):
    """The score node of `method`'s graph (see methods.METHODS)."""

    async def score(state: State, runtime: Runtime[Context]) -> dict:
        """Compute the prior and reset the per-run state (a thread may hold an earlier run)."""
        started_at = time.time()
        ctx = await run_context(runtime, method)
        pool = await asyncio.to_thread(load_pool, ctx.pool)
        for field in ("aggregator", "model"):
            name = getattr(ctx, field)
            if name and name not in pool.names:
                raise UserError(f"context field '{field}': '{name}' is not in pool {pool.source}")
        question = last_question(state.get("messages") or [])
        prior = await asyncio.to_thread(pool_prior, question, pool)
        return {
            "method": method,
            "question": question,
            "started_at": started_at,
            "prior": prior.scores,
            "prior_source": prior.source,
            "fused": dict(prior.scores),
            "layer": 0,
            "selected": [],
            "kept": None,
            "records": None,
            "self_scores": {},
            "cross_scores": {},
            "assessors": [],
            "self_caps": {},
            "backed": [],
            "decision": "",
            "trace": [],
            "answer": "",
            "bill": {},
            "error": None,
        }

    return score
