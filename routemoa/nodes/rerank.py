"""rerank: fuse prior, self and cross scores; decide whether to stop; record the layer's trace."""

from __future__ import annotations

from langgraph.runtime import Runtime

from routemoa.assessment import layer_records, self_scores
from routemoa.context import Context, run_context
from routemoa.fusion import LayerScores, fuse
from routemoa.nodes.layer_end import close_layer, decide_layer
from routemoa.state import State


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


async def rerank(state: State, runtime: Runtime[Context]) -> dict:
    """New fused scores, the decision, and one trace entry for this layer."""
    ctx = await run_context(runtime, state["method"])
    layer, records = state["layer"], state["records"]
    now = layer_records(records, layer)
    failed = [r["model"] for r in now if r["error"]]
    answered = [r["model"] for r in now if not r["error"]]
    previous = [r["model"] for r in layer_records(records, layer - 1)]
    fused = fuse(
        LayerScores(
            layer=layer,
            prior=state["prior"],
            fused=state["fused"],
            self_now=state["self_scores"],
            self_previous=self_scores(records, layer - 1, ctx.neutral_score),
            cross=state["cross_scores"],
            ran_now=[r["model"] for r in now],
            ran_previous=previous,
            failed_now=failed,
        ),
        ctx,
    )
    decision, reason = decide_layer(state, fused, ctx)
    involved = [p["name"] for p in state["selected"]] + [m for m in previous if m not in answered + failed]
    scores = {
        m: {
            "prior": _rounded(state["prior"][m]),
            "prior_source": state["prior_source"][m],
            "self": _rounded(state["self_scores"].get(m)),
            "cross": _rounded(state["cross_scores"].get(m)),
            "fused": _rounded(fused[m]),
        }
            for m in involved
        }
    trace = close_layer(state, runtime, decision, reason, scores=scores, assessor=state.get("assessor"))
    return {"fused": fused, "decision": decision, "trace": trace}


def next_step(state: State) -> str:
    """Conditional edge: the layer's decision (next_layer -> select; anything else -> aggregate)."""
    return state["decision"]
