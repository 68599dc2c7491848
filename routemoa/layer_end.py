"""What assess (RouteMoA) and judge (SMoA) share at the end of a layer: the decision, the trace entry and the
edge that follows it."""

from __future__ import annotations

from langgraph.runtime import Runtime

from routemoa.assessment import layer_records
from routemoa.context import Context
from routemoa.contracts import Decision, LayerDone, ModelScores, RunDecision, TraceEntry
from routemoa.decision import decide
from routemoa.state import State


def decide_layer(
    state: State, fused: dict[str, float], ctx: Context, supported: set[str] | None = None
) -> tuple[Decision, str]:
    """(decision, reason) after the current layer, from its records and the fused scores;
    `supported`: the models an early exit may rest on (None = any)."""
    now = layer_records(state["records"], state["layer"])
    failed = [r["model"] for r in now if r["error"]]
    return decide(
        layer=state["layer"],
        fused=fused,
        answered_now=[r["model"] for r in now if not r["error"]],
        answered_ever=any(not r["error"] for r in state["records"] if r["role"] == "agent"),
        candidates_left=any(m not in failed for m in fused),
        ctx=ctx,
        supported=supported,
    )


def close_layer(
    state: State,
    runtime: Runtime[Context],
    decision: Decision,
    reason: str,
    *,
    scores: dict[str, ModelScores],
    assessors: list[str],
    kept: list[str] | None = None,
) -> list[TraceEntry]:
    """Emit the layer_done event and return the trace with this layer's entry appended
    (`kept`: SMoA's judge kept these models' answers)."""
    entry: TraceEntry = {
        "layer": state["layer"],
        "models": [{"name": p["name"], "reason": p["reason"]} for p in state["selected"]],
        "scores": scores,
        "assessors": assessors,
        "errors": {r["model"]: r["error"] for r in layer_records(state["records"], state["layer"]) if r["error"]},
        "decision": decision,
        "reason": reason,
    }
    if kept is not None:
        entry["kept"] = kept
    event: LayerDone = {"event": "layer_done", **entry}
    runtime.stream_writer(event)
    return [*state.get("trace", []), entry]


async def next_step(state: State) -> RunDecision | None:
    """Conditional edge after assess or judge: the layer's decision (next_layer -> select; anything else ->
    aggregate). Async, like every node: LangGraph runs a sync edge function of an async run in a worker thread."""
    return state["decision"]
