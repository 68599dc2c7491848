"""aggregate: one synthesis call over the last answered layer; falls back to the best answer."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime

from routemoa import prompts
from routemoa.answer_format import aggregator_options, cut_at_stop, format_instruction
from routemoa.assessment import layer_records
from routemoa.billing import build_bill
from routemoa.budget import OVER_BUDGET, budget_stop, check_budget, expected_call_usd, messages_chars, spent_usd
from routemoa.calls import call_model, settings_for
from routemoa.candidates import candidate_blocks, with_system
from routemoa.context import Context
from routemoa.contracts import Aggregation, Bill
from routemoa.conversation import history_before_query
from routemoa.garbage import screen
from routemoa.method_context import run_context
from routemoa.run_pool import run_model
from routemoa.state import AgentRecord, State
from routemoa.timing import active_seconds


def _last_answers(state: State) -> list[AgentRecord]:
    """Successful records of the latest layer that has any (only the judge's kept ones in SMoA),
    best fused score first."""
    kept = state.get("kept")
    for layer in range(state.get("layer", 0), 0, -1):
        ok = [
            r for r in layer_records(state["records"], layer) if not r["error"] and (kept is None or r["model"] in kept)
        ]
        if ok:
            return sorted(ok, key=lambda r: -state["fused"][r["model"]])
    return []


def _aggregator_name(state: State, ctx: Context) -> str:
    """The configured aggregator, else the best-ranked (fused score) model of the last layer whose answer
    another model backs, else the best-ranked model that answered this run."""
    if ctx.aggregator:
        return ctx.aggregator
    answered = {r["model"] for r in state["records"] if r["role"] == "agent" and not r["error"]}
    backed = answered & set(state.get("backed") or [])
    return max(backed or answered, key=lambda m: state["fused"][m])


def _finish(
    state: State,
    answer: str,
    aggregation: Aggregation,
    records: list[AgentRecord],
    error: str | None,
    message_id: str | None = None,
) -> dict:
    """The run's output; the answer message keeps the id its streamed tokens had and carries the bill's usage."""
    trace = [entry.copy() for entry in state.get("trace", [])]
    if trace:
        trace[-1]["aggregation"] = aggregation
    bill = build_bill(
        [*state["records"], *records], active_seconds(state.get("active"), state["started_at"]), budget_stop(trace)
    )
    text = answer if not error else f"RouteMoA could not answer: {error}"
    return {
        "answer": answer,
        "error": error,
        "bill": bill,
        "trace": trace,
        "records": records,
        "messages": [AIMessage(content=text, name="routemoa", id=message_id, usage_metadata=_usage(bill))],
    }


def _usage(bill: Bill) -> dict[str, int]:
    """LangChain usage metadata from the bill: every call of the run."""
    return {
        "input_tokens": bill["input_tokens"],
        "output_tokens": bill["output_tokens"],
        "total_tokens": bill["input_tokens"] + bill["output_tokens"],
    }


async def aggregate(state: State, runtime: Runtime[Context]) -> dict:
    """Synthesise the final answer; the trace says which model did it, or why it fell back."""
    ctx = await run_context(runtime, state["method"])
    answers = _last_answers(state)
    if not answers:
        if state.get("decision") == OVER_BUDGET:  # the budget stopped the run before any answer
            return _finish(
                state,
                "",
                Aggregation(model=None, fallback=False),
                [],
                f"no answer within the budget: {state['trace'][-1]['reason']}",
            )
        failures = "; ".join(f"{r['model']}: {r['error']}" for r in state["records"]) or "no model was selected"
        return _finish(state, "", Aggregation(model=None, fallback=False), [], f"every model failed ({failures})")
    best = answers[0]
    if len(answers) == 1 and format_instruction(ctx.response_format) is None:  # a JSON format needs the aggregator
        return _finish(
            state,
            cut_at_stop(best["answer"], ctx.stop),
            Aggregation(model=None, reason=f"single answer from {best['model']}"),
            [],
            None,
        )
    spec = run_model(ctx.pool, _aggregator_name(state, ctx))
    system = prompts.AGGREGATE_SYSTEM
    if instruction := format_instruction(ctx.response_format):
        system = f"{system}\n\n{instruction}"
    # The candidates are untrusted: only in a user message, in delimited blocks (see candidates.py);
    # the user's latest message follows verbatim, so the aggregator answers it.
    candidates = prompts.AGGREGATE_CANDIDATES.format(candidates=candidate_blocks([r["answer"] for r in answers]))
    messages = [
        *with_system(history_before_query(state["messages"]), system),
        HumanMessage(content=candidates),
        HumanMessage(content=state["question"]),
    ]
    expected = expected_call_usd(spec, messages_chars(messages), settings_for(spec, ctx).max_tokens)
    check = check_budget(ctx.max_usd, spent_usd(state["records"]), expected)
    if not check.fits:
        reason = f"{check.reason(f'aggregation by {spec.name}')}; returned {best['model']}'s answer"
        over = Aggregation(model=None, fallback=True, decision=OVER_BUDGET, reason=reason, budget=check.details())
        return _finish(state, cut_at_stop(best["answer"], ctx.stop), over, [], None)
    result = await call_model(
        spec,
        messages,
        settings_for(spec, ctx, ctx.temperature / 2),
        stream_tokens=True,
        **aggregator_options(spec, ctx.response_format, ctx.stop),
    )
    record = screen(
        result.record(role="aggregator", layer=state["layer"], model=spec.name),
        result.text,
        settings_for(spec, ctx).max_tokens,
    )
    if record["error"]:
        failed = Aggregation(
            model=spec.name,
            fallback=True,
            reason=f"aggregator failed ({record['error']}); returned {best['model']}'s answer",
        )
        return _finish(state, cut_at_stop(best["answer"], ctx.stop), failed, [record], None)
    done = Aggregation(model=spec.name, fallback=False, inputs=[r["model"] for r in answers])
    return _finish(state, record["answer"], done, [record], None, result.message_id)
