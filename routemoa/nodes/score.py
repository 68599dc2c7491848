"""score: the scorer's prior for every pool model, before any LLM call; fixes the run's knobs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict

from langgraph.runtime import Runtime

from routemoa.context import Context, resolve_context
from routemoa.conversation import last_question
from routemoa.errors import UserError
from routemoa.pool import load_pool
from routemoa.scorer import pool_prior
from routemoa.state import State


def make_score(defaults: type[Context] = Context):
    """The score node of a graph whose context defaults are `defaults` (a method's Context)."""

    async def score(state: State, runtime: Runtime[Context]) -> dict:
        """Compute the prior and reset the per-run state (a thread may hold an earlier run)."""
        ctx = resolve_context(runtime.context, defaults)
        pool = load_pool(ctx.pool)
        for field in ("aggregator", "model"):
            name = getattr(ctx, field)
            if name and name not in pool.names:
                raise UserError(f"context field '{field}': '{name}' is not in pool {pool.source}")
        question = last_question(state.get("messages") or [])
        prior = await asyncio.to_thread(pool_prior, question, pool)
        return {
            "knobs": asdict(ctx),
            "question": question,
            "started_at": time.time(),
            "prior": prior.scores,
            "prior_source": prior.source,
            "fused": dict(prior.scores),
            "layer": 0,
            "selected": [],
            "kept": None,
            "records": None,
            "self_scores": {},
            "cross_scores": {},
            "assessor": None,
            "decision": "",
            "trace": [],
            "answer": "",
            "bill": {},
            "error": None,
        }

    return score
