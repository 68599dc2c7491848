"""agent: one model, one call. Answer and self score in the same generation; peer scores from layer 2."""

from __future__ import annotations

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from routemoa import prompts
from routemoa.calls import call_model, settings_for
from langgraph.runtime import Runtime

from routemoa.context import Context, run_context
from routemoa.parsing import parse_reply
from routemoa.pool import load_pool
from routemoa.state import AgentTask


def references(answers: list[str]) -> str:
    """The ANSWER_0..n block shown to a later layer or the aggregator."""
    return "\n\n".join(prompts.REFERENCE_ITEM.format(index=i, answer=a) for i, a in enumerate(answers))


def agent_messages(task: AgentTask, system_prompt: str | None) -> list[BaseMessage]:
    """History plus the question wrapped in the layer's instructions."""
    answers = task["previous_answers"]
    if task["plain"] and answers:
        text = prompts.ANSWER_PLAIN_WITH_REFERENCES.format(references=references(answers), question=task["question"])
    elif task["plain"]:
        text = prompts.ANSWER_PLAIN.format(question=task["question"])
    elif answers:
        text = prompts.ANSWER_WITH_PEER_SCORES.format(references=references(answers), question=task["question"])
    else:
        text = prompts.ANSWER_WITH_SELF_SCORE.format(question=task["question"])
    system = [SystemMessage(content=system_prompt)] if system_prompt else []
    return system + list(task["history"]) + [HumanMessage(content=text)]


async def agent(task: dict, runtime: Runtime[Context]) -> dict:
    """Call one model (`task` is an AgentTask); a failure or timeout becomes an error record, never an exception."""
    ctx = await run_context(runtime, task["method"])
    spec = load_pool(ctx.pool).get(task["model"])
    result = await call_model(spec, agent_messages(task, task["system_prompt"]), settings_for(spec, ctx))
    parsed = parse_reply(result.text, expected_peers=len(task["previous_answers"]))
    answer = parsed.answer  # a plain-mode reply in JSON anyway still yields its answer
    self_score, peers = (None, None) if task["plain"] else (parsed.self_score, parsed.peer_scores)
    record = result.record(
        role="agent", layer=task["layer"], model=spec.name, answer=answer, self_score=self_score, peer_scores=peers
    )
    return {"records": [record]}
