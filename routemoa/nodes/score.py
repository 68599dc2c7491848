"""score: the scorer's prior for every pool model, before any LLM call; starts the run's state (state.new_run)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from concurrent.futures import ThreadPoolExecutor

from langchain_core.messages import AnyMessage
from langgraph.runtime import Runtime

from routemoa.context import Context
from routemoa.conversation import last_question
from routemoa.errors import UserError
from routemoa.method_context import run_context
from routemoa.run_pool import pool_at_start
from routemoa.scorer import Prior, pool_prior
from routemoa.scorer.encoder import MICRO_BATCH_MAX
from routemoa.state import State, new_run

_SCORER_THREADS = ThreadPoolExecutor(max_workers=MICRO_BATCH_MAX, thread_name_prefix="routemoa-score")
"""Threads of the score nodes running at once: as many as one forward pass of the encoder takes, so that
that many concurrent queries share it (with 16 threads, 64 runs started at once queued for 8 passes)."""


def _question_and_prior(ctx: Context, messages: list[AnyMessage]) -> tuple[str, Prior]:
    """The run's question and its prior over the run's pool, once the context's model names are found in it."""
    pool = pool_at_start(ctx.pool)
    for field in ("aggregator", "model"):
        name = getattr(ctx, field)
        if name and name not in pool.names:
            raise UserError(f"context field '{field}': '{name}' is not in pool {pool.source}")
    question = last_question(messages)
    return question, pool_prior(question, pool)


def make_score(method: str = "routemoa"):
    """The score node of `method`'s graph (see methods.METHODS)."""

    async def score(state: State, runtime: Runtime[Context]) -> dict:
        """Compute the prior and reset the per-run state (a thread may hold an earlier run)."""
        started_at = time.time()
        ctx = await run_context(runtime, method)
        # File I/O and the encoder in one hand-off to a scorer thread (not the loop's default executor,
        # which LangChain's clients need for every reply while the scorer's threads wait on the encoder).
        call = functools.partial(contextvars.copy_context().run, _question_and_prior, ctx, state.get("messages") or [])
        question, prior = await asyncio.get_running_loop().run_in_executor(_SCORER_THREADS, call)
        return new_run(method, question, started_at, prior.scores, prior.source)

    return score
