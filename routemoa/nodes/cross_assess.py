"""cross_assess: the most self-confident model of this layer scores the previous layer's answers."""

from __future__ import annotations


from routemoa.assessment import cross_scores
from langgraph.runtime import Runtime

from routemoa.context import Context, run_context
from routemoa.state import State


async def cross_assess(state: State, runtime: Runtime[Context]) -> dict:
    """Pick the assessor and map its peer scores onto the previous layer's models."""
    ctx = await run_context(runtime, state["method"])
    if not ctx.cross_assessment:
        return {"assessor": None, "cross_scores": {}}
    shown = [item["model"] for item in state.get("shown") or []]
    assessor, scores = cross_scores(state["records"], state["layer"], shown, ctx.neutral_score)
    return {"assessor": assessor, "cross_scores": scores}
