"""Graph state: what flows between nodes, and what a caller puts in and gets out.

The public state speaks `messages` (like MessagesState), so the graph embeds as
a node of any chat agent; the output also carries `answer`, `bill` and `trace`
(their shapes are in routemoa/contracts.py). `new_run` is the one place that
knows a run's fresh state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict

from routemoa.contracts import Bill, Role, RunDecision, SelectedModel, ShownAnswer, TraceEntry
from routemoa.timing import add_spans


class AgentRecord(TypedDict):
    """One model call: its answer and scores, or the error that replaced them."""

    role: Role
    """'agent' (a layer's call), 'aggregator' (the final synthesis) or 'judge' (SMoA's judge)."""
    layer: int
    """Layer number (1-based); the aggregator's record has the last layer's number."""
    model: str
    answer: str
    self_score: float | None
    """Parsed self-assessment in [0, 1]; None when absent or unparsable."""
    peer_scores: list[float | None] | None
    """Parsed scores for ANSWER_0..n of the previous layer (layer 2+), else None."""
    input_tokens: int
    output_tokens: int
    usd: float
    seconds: float
    error: str | None
    """One-line error (provider failure, timeout) or None on success."""
    attempts: int
    """Requests sent to the provider for this call (1 + retries; 0 when none could be sent)."""
    queue_s: float
    """Seconds the call waited for a free slot of its model before it ran (a local model's queue, as
    the provider reports it in `response_metadata["queue_s"]`); not part of `seconds`."""


def extend_or_reset(left: list | None, right: list | None) -> list:
    """Reducer for lists written by parallel tasks: append, or clear when given None."""
    if right is None:
        return []
    return (left or []) + right


class InputState(TypedDict):
    """What a caller sends: the conversation, last message = the query."""

    messages: Annotated[list[AnyMessage], add_messages]
    """Chat history; the last human message is the query RouteMoA answers."""


class OutputState(InputState, total=False):
    """What a caller gets back: `messages`, the history with the final answer appended as an AIMessage, and:"""

    answer: str
    """The final answer text ('' when every model failed; see `error`)."""
    bill: Bill | None
    """Per model: calls, tokens, dollars, seconds; totals; wall time (see billing.py); None until the run ends."""
    trace: list[TraceEntry]
    """One entry per layer: models chosen and why, prior/self/cross/fused scores, the decision."""
    error: str | None
    """Why the run produced no answer (every model failed), else None."""

    # Per-layer progress: in the output too, so that `updates` stream mode shows what
    # select, agent and assess did (the server streams output keys only).
    layer: int
    """Number of the layer being run (0 before the first)."""
    selected: list[SelectedModel]
    """This layer's picks: name, score, rank_score, reason."""
    records: Annotated[list[AgentRecord], extend_or_reset]
    """Every call of this run, in completion order."""
    self_scores: dict[str, float]
    """Sanitised self scores of this layer's models."""
    cross_scores: dict[str, float]
    """Peer consensus of the previous layer's models: the median of the other models' scores of each answer."""


class State(OutputState, total=False):
    """Everything the nodes share during a run."""

    method: str
    """The method whose graph runs (routemoa, moa, ...): which Context defaults the knobs start from."""
    question: str
    """Text of the last human message."""
    started_at: float
    """Wall-clock start of the run (time.time()), for the bill's wall_s."""
    active: Annotated[list[list[float]], add_spans]
    """Wall-clock [start, end] of each node execution (routemoa.timing): the bill's wall_s is their union
    since `started_at`, so time paused at an interrupt does not count."""
    prior: dict[str, float]
    """Scorer prior per pool model."""
    prior_source: dict[str, str]
    """Per model: 'trained' or 'zero-shot' (cold start)."""
    fused: dict[str, float]
    """Current fused score per pool model (starts as the prior)."""
    shown: list[ShownAnswer]
    """The previous layer's answers shown to this layer as ANSWER_i: {model, answer}."""
    kept: list[str] | None
    """SMoA: the models whose answers the judge kept from the last layer (None = all answers)."""
    assessors: list[str]
    """The models of this layer whose peer scores went into the consensus."""
    self_caps: dict[str, float]
    """Per model whose self score ran far above its peer consensus: the cap on its self scores for the run."""
    backed: list[str]
    """Models of the latest layer whose answer another model backs (peer consensus or the same answer); the aggregator is the best-ranked of them."""
    decision: RunDecision | None
    """After assess (or judge): 'next_layer', 'early_exit', 'max_layers', 'no_candidates' or 'all_failed';
    'over_budget' when `max_usd` kept a layer from starting; None before the first layer ends."""


CARRIED_OVER = {
    "messages": "the conversation: each run appends to it",
    "active": "a rolling window of node spans (routemoa.timing): only spans after `started_at` count",
}
"""State keys a new run on the same thread keeps, and why; `new_run` resets every other key."""


def new_run(
    method: str, question: str, started_at: float, prior: Mapping[str, float], prior_source: Mapping[str, str]
) -> dict[str, Any]:
    """The update that starts a run: every State key except CARRIED_OVER, fresh (a thread may hold an earlier run)."""
    return {
        "method": method,
        "question": question,
        "started_at": started_at,
        "prior": dict(prior),
        "prior_source": dict(prior_source),
        "fused": dict(prior),
        "layer": 0,
        "selected": [],
        "shown": [],
        "kept": None,
        "records": None,  # extend_or_reset: None clears the list
        "self_scores": {},
        "cross_scores": {},
        "assessors": [],
        "self_caps": {},
        "backed": [],
        "decision": None,
        "trace": [],
        "answer": "",
        "bill": None,
        "error": None,
    }


class AgentTask(TypedDict):
    """Payload of one `Send("agent", ...)`: a single model's call in a layer (not part of the graph's state)."""

    method: str
    model: str
    layer: int
    question: str
    history: list[AnyMessage]
    previous_answers: list[str]
    """The previous layer's answers, shown as ANSWER_0..n (empty in layer 1)."""
    plain: bool
    """Answer in plain text, without scores (the last layer, or methods without assessment)."""
    system_prompt: str | None
    """Role prompt for this call (the pool's, or an SMoA role), or None."""
