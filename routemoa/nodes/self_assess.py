"""self_assess: sanitised self scores of this layer's models."""

from __future__ import annotations


from routemoa.assessment import self_scores
from langgraph.runtime import Runtime

from routemoa.context import Context, run_context
from routemoa.state import State


async def self_assess(state: State, runtime: Runtime[Context]) -> dict:
    """Self score per successful model of the layer (missing -> the neutral score)."""
    ctx = await run_context(runtime, state["method"])
    return {"self_scores": self_scores(state["records"], state["layer"], ctx.neutral_score)}
