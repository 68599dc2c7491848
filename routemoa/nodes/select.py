"""select: pick this layer's models (which may include models that have not run yet); fan out."""

from __future__ import annotations

from dataclasses import asdict

from langgraph.runtime import Runtime
from langgraph.types import Send

from routemoa import prompts
from routemoa.assessment import layer_records
from routemoa.context import Context, run_context
from routemoa.conversation import history_before_query
from routemoa.pool import load_pool
from routemoa.selection import choose_models
from routemoa.state import AgentTask, State


def layer_answers(state: State, layer: int) -> list[dict[str, str]]:
    """Successful answers of `layer` as {model, answer}, in pick order, limited to the
    judge's `kept` models when set (SMoA); shown to the next layer as ANSWER_i."""
    by_model = {r["model"]: r for r in layer_records(state.get("records") or [], layer) if not r["error"]}
    kept = state.get("kept")
    picks = [p["name"] for p in state.get("selected") or [] if kept is None or p["name"] in kept]
    return [{"model": n, "answer": by_model[n]["answer"]} for n in picks if n in by_model]


async def select(state: State, runtime: Runtime[Context]) -> dict:
    """Choose the next layer's models; models that just failed sit this layer out."""
    ctx = await run_context(runtime, state["method"])
    pool = load_pool(ctx.pool)
    layer = state["layer"] + 1
    just_failed = {r["model"] for r in layer_records(state["records"], layer - 1) if r["error"]}
    picks = choose_models(ctx, state["fused"], pool.models, just_failed, f"{state['question']}#{layer}")
    selected = [asdict(p) for p in picks]
    runtime.stream_writer({"event": "layer_start", "layer": layer, "models": selected})
    return {"layer": layer, "selected": selected, "shown": layer_answers(state, layer - 1), "kept": None}


async def fan_out(state: State, runtime: Runtime[Context]) -> list[Send]:
    """One Send per selected model (rerank guarantees there is at least one candidate)."""
    ctx = await run_context(runtime, state["method"])
    pool = load_pool(ctx.pool)
    layer = state["layer"]
    plain = not ctx.scored_replies or (layer == ctx.max_layers and layer > 1)
    history = history_before_query(state["messages"])
    tasks = []
    for index, pick in enumerate(state["selected"]):
        role = pool.get(pick["name"]).system_prompt
        if role is None and ctx.role_prompts:
            role = prompts.ROLES[index % len(prompts.ROLES)]
        tasks.append(
            AgentTask(
                method=state["method"],
                model=pick["name"],
                layer=layer,
                question=state["question"],
                history=history,
                previous_answers=[item["answer"] for item in state["shown"]],
                plain=plain,
                system_prompt=role,
            )
        )
    return [Send("agent", task) for task in tasks]
