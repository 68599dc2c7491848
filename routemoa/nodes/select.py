"""select: pick this layer's models (which may include models that have not run yet), within the budget; fan out."""

from __future__ import annotations

from dataclasses import asdict

from langgraph.runtime import Runtime
from langgraph.types import Send

from routemoa import prompts
from routemoa.assessment import layer_records
from routemoa.budget import CHARS_PER_TOKEN, OVER_BUDGET, BudgetCheck, check_budget, expected_call_usd, messages_chars, spent_usd
from routemoa.calls import settings_for
from routemoa.context import Context, run_context
from routemoa.conversation import history_before_query
from routemoa.nodes.agent import agent_messages
from routemoa.pool import Pool, load_pool
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
    """Choose the next layer's models; models that just failed sit this layer out.
    A layer whose expected cost would take the run past `max_usd` does not start (see budget_stop)."""
    ctx = await run_context(runtime, state["method"])
    pool = load_pool(ctx.pool)
    layer = state["layer"] + 1
    just_failed = {r["model"] for r in layer_records(state["records"], layer - 1) if r["error"]}
    picks = choose_models(ctx, state["fused"], pool.models, just_failed, f"{state['question']}#{layer}")
    selected = [asdict(p) for p in picks]
    shown = layer_answers(state, layer - 1)
    if ctx.max_usd > 0:
        expected = layer_expected_usd(layer_tasks(state, ctx, pool, layer, selected, shown), pool, ctx)
        check = check_budget(ctx.max_usd, spent_usd(state["records"]), expected)
        if not check.fits:
            return budget_stop(state, runtime, layer, selected, check)
    runtime.stream_writer({"event": "layer_start", "layer": layer, "models": selected})
    return {"layer": layer, "selected": selected, "shown": shown, "kept": None}


def layer_expected_usd(tasks: list[AgentTask], pool: Pool, ctx: Context) -> float:
    """Expected dollars of a layer's calls: each agent's prompt and max_tokens at its prices, plus the
    SMoA judge's call when it will have answers to drop (priced as the dearest model that may judge,
    shown every answer at full length)."""
    total = 0.0
    for task in tasks:
        spec = pool.get(task["model"])
        prompt = messages_chars(agent_messages(task, task["system_prompt"]))
        total += expected_call_usd(spec, prompt, settings_for(spec, ctx).max_tokens)
    if tasks and tasks[0]["method"] == "smoa" and len(tasks) > ctx.judge_keep:
        judges = [pool.get(ctx.aggregator)] if ctx.aggregator else [pool.get(t["model"]) for t in tasks]
        max_tokens = max(settings_for(spec, ctx).max_tokens for spec in judges)
        prompt = len(prompts.JUDGE) + len(tasks[0]["question"]) + len(tasks) * max_tokens * CHARS_PER_TOKEN
        total += max(expected_call_usd(spec, prompt, max_tokens) for spec in judges)
    return total


def budget_stop(state: State, runtime: Runtime[Context], layer: int, selected: list[dict], check: BudgetCheck) -> dict:
    """The update when the budget stops `layer` before it starts: no models selected (fan_out goes to
    aggregate), decision OVER_BUDGET, and a trace entry for the layer with the models it would have called."""
    reason = check.reason(f"layer {layer} ({', '.join(p['name'] for p in selected)})")
    entry = {
        "layer": layer,
        "models": [],
        "scores": {},
        "errors": {},
        "decision": OVER_BUDGET,
        "reason": reason,
        "budget": {**check.details(), "models": [p["name"] for p in selected]},
    }
    runtime.stream_writer({"event": "layer_done", **entry})
    return {"selected": [], "decision": OVER_BUDGET, "trace": [*state.get("trace", []), entry]}


def layer_tasks(
    state: State, ctx: Context, pool: Pool, layer: int, selected: list[dict], shown: list[dict[str, str]]
) -> list[AgentTask]:
    """One AgentTask per selected model of `layer`."""
    plain = not ctx.scored_replies or (layer == ctx.max_layers and layer > 1)
    history = history_before_query(state["messages"])
    tasks = []
    for index, pick in enumerate(selected):
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
                previous_answers=[item["answer"] for item in shown],
                plain=plain,
                system_prompt=role,
            )
        )
    return tasks


async def fan_out(state: State, runtime: Runtime[Context]) -> list[Send] | str:
    """One Send per selected model (rerank guarantees there is at least one candidate);
    straight to aggregate when the budget stopped the layer (nothing selected)."""
    if not state["selected"]:
        return "aggregate"
    ctx = await run_context(runtime, state["method"])
    pool = load_pool(ctx.pool)
    tasks = layer_tasks(state, ctx, pool, state["layer"], state["selected"], state["shown"])
    return [Send("agent", task) for task in tasks]
