"""select: pick this layer's models (which may include models that have not run yet), within the budget; fan out."""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import Send

from routemoa.assessment import layer_records
from routemoa.budget import OVER_BUDGET, BudgetCheck, check_budget, spent_usd
from routemoa.context import Context
from routemoa.contracts import LayerDone, LayerStart, SelectedModel, ShownAnswer, TraceEntry
from routemoa.layer_plan import layer_expected_usd, layer_tasks
from routemoa.method_context import run_context
from routemoa.run_pool import run_models, run_pool
from routemoa.selection import choose_models
from routemoa.state import State


def layer_answers(state: State, layer: int) -> list[ShownAnswer]:
    """Successful answers of `layer` as {model, answer}, in pick order, limited to the
    judge's `kept` models when set (SMoA); shown to the next layer as ANSWER_i."""
    by_model = {r["model"]: r for r in layer_records(state.get("records") or [], layer) if not r["error"]}
    kept = state.get("kept")
    picks = [p["name"] for p in state.get("selected") or [] if kept is None or p["name"] in kept]
    return [ShownAnswer(model=n, answer=by_model[n]["answer"]) for n in picks if n in by_model]


async def select(state: State, runtime: Runtime[Context]) -> dict:
    """Choose the next layer's models; models that just failed sit this layer out.
    A layer whose expected cost would take the run past `max_usd` does not start (see budget_stop)."""
    ctx = await run_context(runtime, state["method"])
    pool = run_pool(ctx.pool)
    layer = state["layer"] + 1
    just_failed = {r["model"] for r in layer_records(state["records"], layer - 1) if r["error"]}
    picks = choose_models(ctx, state["fused"], pool.models, just_failed, f"{state['question']}#{layer}")
    selected = [p.as_selected() for p in picks]
    shown = layer_answers(state, layer - 1)
    if ctx.max_usd > 0:
        names = [p.name for p in picks]
        # Priced as the run knows them: a configured aggregator (SMoA's judge) removed mid-run keeps its settings.
        priced = run_models(ctx.pool, [*names, ctx.aggregator] if ctx.aggregator else names)
        expected = layer_expected_usd(layer_tasks(state, ctx, priced, layer, names, shown), priced, ctx)
        check = check_budget(ctx.max_usd, spent_usd(state["records"]), expected)
        if not check.fits:
            return budget_stop(state, runtime, layer, selected, check)
    event: LayerStart = {"event": "layer_start", "layer": layer, "models": selected}
    runtime.stream_writer(event)
    return {"layer": layer, "selected": selected, "shown": shown, "kept": None}


def budget_stop(
    state: State, runtime: Runtime[Context], layer: int, selected: list[SelectedModel], check: BudgetCheck
) -> dict:
    """The update when the budget stops `layer` before it starts: no models selected (fan_out goes to
    aggregate), decision OVER_BUDGET, and a trace entry for the layer with the models it would have called."""
    reason = check.reason(f"layer {layer} ({', '.join(p['name'] for p in selected)})")
    entry: TraceEntry = {
        "layer": layer,
        "models": [],
        "scores": {},
        "errors": {},
        "decision": OVER_BUDGET,
        "reason": reason,
        "budget": {**check.details(), "models": [p["name"] for p in selected]},
    }
    event: LayerDone = {"event": "layer_done", **entry}
    runtime.stream_writer(event)
    return {"selected": [], "decision": OVER_BUDGET, "trace": [*state.get("trace", []), entry]}


async def fan_out(state: State, runtime: Runtime[Context]) -> list[Send] | str:
    """One Send per selected model (assess guarantees there is at least one candidate);
    straight to aggregate when the budget stopped the layer (nothing selected)."""
    if not state["selected"]:
        return "aggregate"
    ctx = await run_context(runtime, state["method"])
    names = [p["name"] for p in state["selected"]]
    tasks = layer_tasks(state, ctx, run_models(ctx.pool, names), state["layer"], names, state["shown"])
    return [Send("agent", task) for task in tasks]
