"""agent: one model, one call. Answer and self score in the same generation; peer scores from layer 2."""

from __future__ import annotations

from typing import Any, cast

from langgraph.runtime import Runtime

from routemoa.calls import call_model, settings_for
from routemoa.candidates import agent_messages
from routemoa.context import Context
from routemoa.garbage import screen
from routemoa.method_context import run_context
from routemoa.parsing import parse_reply
from routemoa.reply_schema import scored_response_format
from routemoa.run_pool import run_model
from routemoa.state import AgentTask


async def agent(payload: dict, runtime: Runtime[Context]) -> dict:
    """Call one model; a failure, a timeout or a garbage reply becomes an error record. `payload` is the
    Send's AgentTask, annotated `dict`: LangGraph would read an AgentTask annotation as this node's input schema."""
    task = cast(AgentTask, payload)
    ctx = await run_context(runtime, task["method"])
    spec = run_model(ctx.pool, task["model"])
    peers = len(task["previous_answers"])
    settings = settings_for(spec, ctx)
    response_format = None if task["plain"] else scored_response_format(spec, peers)
    options: dict[str, Any] = {"response_format": response_format} if response_format else {}
    result = await call_model(spec, agent_messages(task, task["system_prompt"]), settings, **options)
    parsed = parse_reply(result.text, expected_peers=peers)
    answer = parsed.answer  # a plain-mode reply in JSON anyway still yields its answer
    self_score, peer_scores = (None, None) if task["plain"] else (parsed.self_score, parsed.peer_scores)
    record = result.record(
        role="agent",
        layer=task["layer"],
        model=spec.name,
        answer=answer,
        self_score=self_score,
        peer_scores=peer_scores,
    )
    return {"records": [screen(record, result.text, settings.max_tokens)]}
