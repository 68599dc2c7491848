"""rerank: fuse prior, self and cross scores; decide whether to stop; record the layer's trace."""

from __future__ import annotations

from langgraph.runtime import Runtime

from routemoa.assessment import capped, exit_support, layer_records, scored_layer, self_scores, unscored
from routemoa.context import Context
from routemoa.contracts import ModelScores, RunDecision
from routemoa.fusion import LayerScores, fuse
from routemoa.layer_end import close_layer, decide_layer
from routemoa.method_context import run_context
from routemoa.state import State


def _rounded(value: float | None) -> float | None:
    """A score as the trace shows it: 4 decimals, None kept."""
    return None if value is None else round(value, 4)


async def rerank(state: State, runtime: Runtime[Context]) -> dict:
    """New fused scores, the decision, and one trace entry for this layer."""
    ctx = await run_context(runtime, state["method"])
    layer, records = state["layer"], state["records"]
    caps = state.get("self_caps") or {}
    now = layer_records(records, layer)
    failed = [r["model"] for r in now if r["error"]]
    answered = [r["model"] for r in now if not r["error"]]
    previous = [r["model"] for r in layer_records(records, layer - 1)]
    fused = fuse(
        LayerScores(
            layer=layer,
            prior=state["prior"],
            fused=state["fused"],
            self_now=capped(state["self_scores"], caps),
            self_previous=capped(self_scores(records, layer - 1), caps),
            cross=state["cross_scores"],
            ran_now=[r["model"] for r in now],
            ran_previous=previous,
            failed_now=failed,
            unscored_now=unscored(records, layer) if scored_layer(ctx, layer) and ctx.self_assessment else [],
        ),
        ctx,
    )
    # Without cross-assessment (an ablation) nobody can back an answer: the paper's exit rule applies.
    supported = exit_support(records, state["cross_scores"], layer, ctx.neutral_score) if ctx.cross_assessment else None
    decision, reason = decide_layer(state, fused, ctx, supported)
    involved = [p["name"] for p in state["selected"]] + [m for m in previous if m not in answered + failed]
    scores = {
        m: ModelScores(
            prior=_rounded(state["prior"][m]),
            prior_source=state["prior_source"][m],
            self=_rounded(state["self_scores"].get(m)),
            self_cap=_rounded(caps.get(m)),
            cross=_rounded(state["cross_scores"].get(m)),
            fused=_rounded(fused[m]),
        )
        for m in involved
    }
    trace = close_layer(state, runtime, decision, reason, scores=scores, assessors=state.get("assessors") or [])
    backed = sorted(answered if supported is None else supported)
    return {"fused": fused, "decision": decision, "trace": trace, "backed": backed}


async def next_step(state: State) -> RunDecision | None:
    """Conditional edge: the layer's decision (next_layer -> select; anything else -> aggregate).
    Async, like every node: LangGraph runs a sync edge function of an async run in a worker thread."""
    return state["decision"]
