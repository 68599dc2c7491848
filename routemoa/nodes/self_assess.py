"""self_assess: sanitised self scores of this layer's models."""

from __future__ import annotations

from langgraph.runtime import Runtime

from routemoa.assessment import self_scores
from routemoa.context import Context, resolve_context
from routemoa.state import State


async def self_assess(state: State, runtime: Runtime[Context]) -> dict:
    """Self score per successful model of the layer (missing -> the neutral score)."""
    ctx = resolve_context(runtime.context)
    return {"self_scores": self_scores(state["records"], state["layer"], ctx.neutral_score)}
