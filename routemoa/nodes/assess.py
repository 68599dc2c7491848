"""assess: the layer's self scores, the peers' cross scores, then fusion and the decision, in one step.

Three pure steps over the same records, in order: `self_step` (the readable self scores),
`cross_step` (every model of this layer scores the previous layer's answers; the medians
are the cross scores, and self scores far above them get capped), `rerank_step` (fuse
prior, self and cross scores; decide whether to stop; record the layer's trace). They run
as one node: each LangGraph step costs a checkpoint and a task, and these three have no
I/O between them (docs/architecture.md, "The graph").
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from routemoa.assessment import (
    capped,
    exit_support,
    layer_records,
    peer_consensus,
    scored_layer,
    self_scores,
    unscored,
    update_self_caps,
)
from routemoa.context import Context
from routemoa.contracts import ModelScores
from routemoa.fusion import LayerScores, fuse
from routemoa.layer_end import close_layer, decide_layer
from routemoa.method_context import run_context
from routemoa.state import State


def self_step(state: State) -> dict:
    """Self score per successful model of the layer that gave a readable one (fusion penalises the others)."""
    return {"self_scores": self_scores(state["records"], state["layer"])}


def cross_step(state: State, ctx: Context) -> dict:
    """Peer consensus per previous-layer model, who gave it, and the run's caps on self scores."""
    layer = state["layer"]
    caps = {} if layer == 1 else dict(state.get("self_caps") or {})
    if not ctx.cross_assessment:
        return {"assessors": [], "cross_scores": {}, "self_caps": caps}
    shown = [item["model"] for item in state.get("shown") or []]
    found = peer_consensus(state["records"], layer, shown)
    caps = update_self_caps(caps, self_scores(state["records"], layer - 1), found.consensus, ctx.self_trust_margin)
    return {"assessors": found.assessors, "cross_scores": found.consensus, "self_caps": caps}


def _rounded(value: float | None) -> float | None:
    """A score as the trace shows it: 4 decimals, None kept."""
    return None if value is None else round(value, 4)


def rerank_step(state: State, ctx: Context, runtime: Runtime[Context]) -> dict:
    """New fused scores, the decision, and one trace entry for this layer."""
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


async def assess(state: State, runtime: Runtime[Context]) -> dict:
    """The three steps in order, each reading what the one before wrote; returns all they wrote."""
    ctx = await run_context(runtime, state["method"])
    update = self_step(state)
    update |= cross_step({**state, **update}, ctx)
    update |= rerank_step({**state, **update}, ctx, runtime)
    return update
