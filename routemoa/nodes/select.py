"""select: rank the pool by fused score, price and latency; pick this layer's models; fan out."""

from __future__ import annotations

from dataclasses import asdict

from langgraph.runtime import Runtime
from langgraph.types import Send

from routemoa.assessment import layer_records
from routemoa.context import Context, resolve_context
from routemoa.conversation import history_before_query
from routemoa.pool import load_pool
from routemoa.ranking import rank_models
from routemoa.state import AgentTask, State


def layer_answers(state: State, layer: int) -> list[dict[str, str]]:
    """Successful answers of `layer` as {model, answer}, in pick order (shown next as ANSWER_i)."""
    by_model = {r["model"]: r for r in layer_records(state.get("records") or [], layer)}
    picks = [p["name"] for p in state.get("selected") or []]
    return [{"model": n, "answer": by_model[n]["answer"]} for n in picks if n in by_model and not by_model[n]["error"]]


async def select(state: State, runtime: Runtime[Context]) -> dict:
    """Choose the next layer's models (which may include models that have not run yet)."""
    ctx = resolve_context(runtime.context)
    pool = load_pool(ctx.pool)
    layer = state.get("layer", 0) + 1
    just_failed = {r["model"] for r in layer_records(state.get("records") or [], layer - 1) if r["error"]}
    picks = rank_models(
        {m: s for m, s in state["fused"].items() if m not in just_failed},
        pool.models,
        top_k=ctx.top_k,
        tolerance=ctx.tolerance,
        cost_weight=ctx.cost_weight,
        latency_weight=ctx.latency_weight,
    )
    selected = [asdict(p) for p in picks]
    runtime.stream_writer({"event": "layer_start", "layer": layer, "models": selected})
    return {
        "layer": layer,
        "selected": selected,
        "shown": layer_answers(state, layer - 1),
    }


def fan_out(state: State, runtime: Runtime[Context]) -> list[Send]:
    """One Send per selected model (rerank guarantees there is at least one candidate)."""
    ctx = resolve_context(runtime.context)
    layer = state["layer"]
    history = history_before_query(state["messages"])
    tasks = [
        AgentTask(
            model=pick["name"],
            layer=layer,
            question=state["question"],
            history=history,
            previous_answers=[item["answer"] for item in state.get("shown") or []],
            final_layer=layer == ctx.max_layers and layer > 1,
        )
        for pick in state["selected"]
    ]
    return [Send("agent", task) for task in tasks]
