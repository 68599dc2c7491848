"""A layer before it runs: one AgentTask per picked model, and what those calls are expected to cost."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from routemoa import prompts
from routemoa.budget import CHARS_PER_TOKEN, expected_call_usd, messages_chars
from routemoa.calls import settings_for
from routemoa.candidates import agent_messages
from routemoa.context import Context
from routemoa.contracts import ShownAnswer
from routemoa.conversation import history_before_query
from routemoa.methods import METHODS
from routemoa.spec import Pool
from routemoa.state import AgentTask


def layer_tasks(
    state: Mapping[str, Any], ctx: Context, pool: Pool, layer: int, models: Sequence[str], shown: Sequence[ShownAnswer]
) -> list[AgentTask]:
    """One AgentTask per model of `layer`, in pick order (`state` needs messages, method and question)."""
    plain = not ctx.scored_replies or (layer == ctx.max_layers and layer > 1)
    history = history_before_query(state["messages"])
    tasks = []
    for index, name in enumerate(models):
        role = pool.get(name).system_prompt
        if role is None and ctx.role_prompts:
            role = prompts.ROLES[index % len(prompts.ROLES)]
        tasks.append(
            AgentTask(
                method=state["method"],
                model=name,
                layer=layer,
                question=state["question"],
                history=history,
                previous_answers=[item["answer"] for item in shown],
                plain=plain,
                system_prompt=role,
            )
        )
    return tasks


def layer_expected_usd(tasks: list[AgentTask], pool: Pool, ctx: Context) -> float:
    """Expected dollars of a layer's calls: each agent's prompt and max_tokens at its prices, plus the
    SMoA judge's call when it will have answers to drop (priced as the dearest model that may judge,
    shown every answer at full length)."""
    total = 0.0
    for task in tasks:
        spec = pool.get(task["model"])
        prompt = messages_chars(agent_messages(task, task["system_prompt"]))
        total += expected_call_usd(spec, prompt, settings_for(spec, ctx).max_tokens)
    if tasks and METHODS[tasks[0]["method"]].judged and len(tasks) > ctx.judge_keep:
        judges = [pool.get(ctx.aggregator)] if ctx.aggregator else [pool.get(t["model"]) for t in tasks]
        max_tokens = max(settings_for(spec, ctx).max_tokens for spec in judges)
        prompt = len(prompts.JUDGE) + len(tasks[0]["question"]) + len(tasks) * max_tokens * CHARS_PER_TOKEN
        total += max(expected_call_usd(spec, prompt, max_tokens) for spec in judges)
    return total
