"""agent: one model, one call. Answer and self score in the same generation; peer scores from layer 2."""

from __future__ import annotations

from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.runtime import Runtime

from routemoa import prompts
from routemoa.calls import call_model, settings_for
from routemoa.candidates import candidate_blocks, with_system
from routemoa.context import Context, run_context
from routemoa.garbage import screen
from routemoa.parsing import parse_reply
from routemoa.pool import load_pool
from routemoa.reply_schema import scored_response_format
from routemoa.state import AgentTask


def agent_messages(task: AgentTask, system_prompt: str | None) -> list[BaseMessage]:
    """The caller's instructions and `system_prompt` as the one system message, the history, and the
    question in the layer's instructions; earlier answers only as untrusted blocks in the user turn."""
    answers, question = task["previous_answers"], task["question"]
    if answers:
        candidates = candidate_blocks(answers)
        template = prompts.ANSWER_PLAIN_WITH_REFERENCES if task["plain"] else prompts.ANSWER_WITH_PEER_SCORES
        text = template.format(candidates=candidates, count=len(answers), question=question)
    else:
        text = (prompts.ANSWER_PLAIN if task["plain"] else prompts.ANSWER_WITH_SELF_SCORE).format(question=question)
    return with_system(task["history"], system_prompt) + [HumanMessage(content=text)]


async def agent(task: dict, runtime: Runtime[Context]) -> dict:
    """Call one model (`task` is an AgentTask); a failure, a timeout or a garbage reply becomes an error record."""
    ctx = await run_context(runtime, task["method"])
    spec = load_pool(ctx.pool).get(task["model"])
    peers = len(task["previous_answers"])
    settings = settings_for(spec, ctx)
    response_format = None if task["plain"] else scored_response_format(spec, peers)
    options = {"response_format": response_format} if response_format else {}
    result = await call_model(spec, agent_messages(task, task["system_prompt"]), settings, **options)
    parsed = parse_reply(result.text, expected_peers=peers)
    answer = parsed.answer  # a plain-mode reply in JSON anyway still yields its answer
    self_score, peer_scores = (None, None) if task["plain"] else (parsed.self_score, parsed.peer_scores)
    record = result.record(
        role="agent", layer=task["layer"], model=spec.name, answer=answer, self_score=self_score, peer_scores=peer_scores
    )
    return {"records": [screen(record, result.text, settings.max_tokens)]}
