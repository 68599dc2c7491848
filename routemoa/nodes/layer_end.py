"""What rerank (RouteMoA) and judge (SMoA) share at the end of a layer: the decision and the trace entry."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from routemoa.assessment import layer_records
from routemoa.context import Context
from routemoa.decision import decide
from routemoa.state import State


def decide_layer(state: State, fused: dict[str, float], ctx: Context, supported: set[str] | None = None) -> tuple[str, str]:
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


def close_layer(state: State, runtime: Runtime[Context], decision: str, reason: str, **details: Any) -> list[dict]:
    """Emit the layer_done event and return the trace with this layer's entry appended."""
    entry = {
        "layer": state["layer"],
        "models": [{"name": p["name"], "reason": p["reason"]} for p in state["selected"]],
        **details,
        "errors": {r["model"]: r["error"] for r in layer_records(state["records"], state["layer"]) if r["error"]},
        "decision": decision,
        "reason": reason,
    }
    runtime.stream_writer({"event": "layer_done", **entry})
    return [*state.get("trace", []), entry]
