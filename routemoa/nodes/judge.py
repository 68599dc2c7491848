"""judge (SMoA): one call keeps the best answers of the layer and, as moderator, may stop early."""

from __future__ import annotations

from dataclasses import replace

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from routemoa import prompts
from routemoa.assessment import layer_records
from routemoa.calls import call_model, settings_for
from routemoa.candidates import candidate_blocks
from routemoa.context import Context
from routemoa.decision import EARLY_EXIT, NEXT_LAYER
from routemoa.layer_end import close_layer, decide_layer
from routemoa.method_context import run_context
from routemoa.parsing import find_object
from routemoa.run_pool import run_model
from routemoa.state import AgentRecord, State


def read_verdict(text: str, count: int, keep: int) -> tuple[list[int], bool] | None:
    """(kept indices, stop) from the judge's reply; None when it is unreadable."""
    verdict = find_object(text)
    if verdict is None or not isinstance(verdict.get("keep"), list):
        return None
    indices = []
    for value in verdict["keep"]:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < count and value not in indices:
            indices.append(value)
    return (indices[:keep], verdict.get("stop") is True) if indices else None


async def judge(state: State, runtime: Runtime[Context]) -> dict:
    """Keep `judge_keep` answers for the next layer; stop when the moderator says so."""
    ctx = await run_context(runtime, state["method"])
    layer = state["layer"]
    answered = [r for r in layer_records(state["records"], layer) if not r["error"]]
    answered.sort(key=lambda r: -state["fused"][r["model"]])
    decision, reason = decide_layer(state, state["fused"], replace(ctx, early_exit=False))
    kept = [r["model"] for r in answered]
    records: list[AgentRecord] = []
    if len(answered) > ctx.judge_keep:
        spec = run_model(ctx.pool, ctx.aggregator or answered[0]["model"])
        text = prompts.JUDGE.format(
            candidates=candidate_blocks([r["answer"] for r in answered]),
            question=state["question"],
            keep=ctx.judge_keep,
        )
        result = await call_model(spec, [HumanMessage(content=text)], settings_for(spec, ctx, 0.0))
        verdict = None if result.error else read_verdict(result.text, len(answered), ctx.judge_keep)
        records.append(result.record(role="judge", layer=layer, model=spec.name))
        if verdict is None:
            kept, note = kept[: ctx.judge_keep], "judge reply unreadable; kept the best-ranked answers"
        else:
            kept, note = [answered[i]["model"] for i in verdict[0]], "kept by the judge"
            if verdict[1] and ctx.early_exit and decision == NEXT_LAYER:
                decision, reason = EARLY_EXIT, "the moderator stopped: the kept answers agree"
        reason = f"{reason}; {note}" if decision != EARLY_EXIT else reason
    assessors = [r["model"] for r in records]
    trace = close_layer(state, runtime, decision, reason, scores={}, assessors=assessors, kept=kept)
    return {"kept": kept, "decision": decision, "records": records, "trace": trace}
