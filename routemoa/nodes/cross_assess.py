"""cross_assess: every model of this layer scores the previous layer's answers; the medians are the cross scores."""

from __future__ import annotations

from langgraph.runtime import Runtime

from routemoa.assessment import peer_consensus, self_scores, update_self_caps
from routemoa.context import Context
from routemoa.method_context import run_context
from routemoa.state import State


async def cross_assess(state: State, runtime: Runtime[Context]) -> dict:
    """Peer consensus per previous-layer model, who gave it, and the run's caps on self scores."""
    ctx = await run_context(runtime, state["method"])
    layer = state["layer"]
    caps = {} if layer == 1 else dict(state.get("self_caps") or {})
    if not ctx.cross_assessment:
        return {"assessors": [], "cross_scores": {}, "self_caps": caps}
    shown = [item["model"] for item in state.get("shown") or []]
    found = peer_consensus(state["records"], layer, shown)
    caps = update_self_caps(caps, self_scores(state["records"], layer - 1), found.consensus, ctx.self_trust_margin)
    return {"assessors": found.assessors, "cross_scores": found.consensus, "self_caps": caps}
