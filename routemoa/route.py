"""Where a query would go, without running it: the scorer's prior per model and the first layer's picks.

No LLM is called. Like RouteLLM's `Controller.route`, but for a layer of models:
`route(question, context)` returns each pool model's prior, the models the
method's first layer would call with the reason for each, and what that layer is
expected to cost (the prompt's estimated tokens plus `max_tokens` answer tokens
per call, at the pool's prices: the most it can cost) and take (the slowest
pick's `latency_s`; a layer's calls run in parallel). Later layers depend on the
answers, so they are not predicted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AnyMessage

from routemoa.budget import expected_call_usd, messages_chars
from routemoa.calls import settings_for
from routemoa.candidates import agent_messages
from routemoa.conversation import last_question
from routemoa.layer_plan import layer_tasks
from routemoa.method_context import context_for
from routemoa.pool import load_pool
from routemoa.runner import as_messages
from routemoa.scorer import pool_prior
from routemoa.selection import choose_models


def route(query: str | Sequence[AnyMessage], context: Any = None, *, method: str = "routemoa") -> dict[str, Any]:
    """The routing plan of `query` under `method` and `context` (None, a Context or a mapping of knobs)."""
    ctx = context_for(method, context)
    messages = as_messages(query)
    question = last_question(messages)
    pool = load_pool(ctx.pool)
    prior = pool_prior(question, pool)
    picks = choose_models(ctx, prior.scores, pool.models, set(), f"{question}#1")
    state = {"messages": messages, "method": method, "question": question}
    tasks = layer_tasks(state, ctx, pool, 1, [p.name for p in picks], [])
    layer: list[dict[str, Any]] = []
    for pick, task in zip(picks, tasks):
        spec = pool.get(pick.name)
        prompt_chars = messages_chars(agent_messages(task, task["system_prompt"]))
        layer.append(
            {
                "model": pick.name,
                "score": round(pick.score, 4),
                "rank_score": round(pick.rank_score, 4),
                "reason": pick.reason,
                "expected_usd": round(expected_call_usd(spec, prompt_chars, settings_for(spec, ctx).max_tokens), 10),
                "expected_s": spec.latency_s,
            }
        )
    ranked = sorted(pool.models, key=lambda m: -prior.scores[m.name])
    return {
        "method": method,
        "pool": pool.source,
        "question": question,
        "prior": [
            {"model": m.name, "score": round(prior.scores[m.name], 4), "source": prior.source[m.name]} for m in ranked
        ],
        "first_layer": layer,
        "expected_usd": round(sum(p["expected_usd"] for p in layer), 10),
        "expected_s": max((p["expected_s"] for p in layer), default=0.0),
    }


def format_route(plan: dict[str, Any]) -> str:
    """The plan as a short text table for the terminal."""
    picked = {p["model"] for p in plan["first_layer"]}
    lines = [
        f"{plan['method']} on {plan['pool']}: first layer calls {len(picked)} model(s), "
        f"expected at most ${plan['expected_usd']:.6f} and ~{plan['expected_s']:g}s",
        "",
        f"{'model':<28} {'prior':>7}  source      first layer",
    ]
    reasons = {p["model"]: p for p in plan["first_layer"]}
    for row in plan["prior"]:
        pick = reasons.get(row["model"])
        detail = f"{pick['reason']}; ${pick['expected_usd']:.6f}" if pick else "-"
        lines.append(f"{row['model']:<28} {row['score']:>7.3f}  {row['source']:<10}  {detail}")
    return "\n".join(lines) + "\n"
