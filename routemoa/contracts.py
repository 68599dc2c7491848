"""The shapes of what leaves a run: a record's role, a layer's decision, a pick, a trace entry, the bill.

Studio, the CLI report, the OpenAI-compatible app and eval all read these; the nodes
write them. Plain typing only (no RouteMoA imports), so any module may use them. No postponed annotations
here: TypedDict reads NotRequired[...] only from evaluated annotations.
"""

from typing import Literal, NotRequired

from typing_extensions import TypedDict

Role = Literal["agent", "aggregator", "judge"]
"""Who made a call: a layer's agent, the final aggregator, or the SMoA judge."""

Decision = Literal["next_layer", "early_exit", "max_layers", "no_candidates", "all_failed"]
"""What assess (or the SMoA judge) decided after a layer: the label of the conditional edge it takes."""

OverBudget = Literal["over_budget"]
"""The decision when `max_usd` kept a layer or the aggregation from starting."""

RunDecision = Decision | OverBudget
"""Any decision a trace entry (or the state's `decision`) may hold."""


class SelectedModel(TypedDict):
    """One model picked for a layer (a ranking.Pick as state data)."""

    name: str
    score: float
    """Its score when picked (the prior in layer 1, the fused score later)."""
    rank_score: float
    """The score after the price and latency penalties (equal to `score` outside routed selection)."""
    reason: str


class ShownAnswer(TypedDict):
    """An answer of the previous layer shown to this layer as ANSWER_i."""

    model: str
    answer: str


class TracedModel(TypedDict):
    """A model a layer called, and why it was chosen."""

    name: str
    reason: str


class ModelScores(TypedDict):
    """A model's scores after a layer (rounded); None where it has none."""

    prior: float | None
    prior_source: str
    """'trained' or 'zero-shot' (see scorer.Prior)."""
    self: float | None
    self_cap: float | None
    """The run's cap on its self scores (it claimed far more than its peers granted), else None."""
    cross: float | None
    fused: float | None


class BudgetFigures(TypedDict):
    """What a step would cost against `max_usd` (budget.BudgetCheck.details)."""

    max_usd: float
    spent_usd: float
    expected_usd: float


class LayerBudget(BudgetFigures):
    """The budget figures of a layer that did not start, with the models it would have called."""

    models: list[str]


class BudgetStop(BudgetFigures):
    """The bill's note of what the budget stopped: 'layer N' or 'aggregation'."""

    step: str


class Aggregation(TypedDict):
    """How the final answer was made (on the last trace entry)."""

    model: str | None
    """The aggregator that wrote it, or None (a single answer, a budget stop, or no answer)."""
    fallback: NotRequired[bool]
    """True when the best answer was returned instead (the aggregator failed or did not fit the budget)."""
    reason: NotRequired[str]
    inputs: NotRequired[list[str]]
    """The models whose answers the aggregator read, best first."""
    decision: NotRequired[OverBudget]
    budget: NotRequired[BudgetFigures]


class TraceEntry(TypedDict):
    """One layer of a run: the models it called and why, their scores, and the decision after it."""

    layer: int
    models: list[TracedModel]
    scores: dict[str, ModelScores]
    """Per model of this layer and of the previous layer that this layer assessed (empty for SMoA and budget stops)."""
    errors: dict[str, str]
    """Per model whose call of this layer failed: the one-line error."""
    decision: RunDecision
    reason: str
    assessors: NotRequired[list[str]]
    """The models whose peer scores formed the consensus (SMoA: the judge)."""
    kept: NotRequired[list[str]]
    """SMoA: the models whose answers the judge kept."""
    budget: NotRequired[LayerBudget]
    """Only when the budget stopped this layer before it started."""
    aggregation: NotRequired[Aggregation]
    """Only on the last entry of a finished run."""


class LayerStart(TypedDict):
    """Custom stream event when a layer starts."""

    event: Literal["layer_start"]
    layer: int
    models: list[SelectedModel]


class LayerDone(TraceEntry):
    """Custom stream event when a layer ends: its trace entry."""

    event: Literal["layer_done"]


class ModelBill(TypedDict):
    """One model's share of the bill."""

    calls: int
    attempts: int
    """Requests sent (retries included)."""
    failed_calls: int
    input_tokens: int
    output_tokens: int
    usd: float
    seconds: float
    """Time its calls took."""
    queue_s: float
    """Time its calls waited for a free slot of the model first."""


class Bill(TypedDict):
    """What a run cost: per model and in total (see billing.build_bill)."""

    models: dict[str, ModelBill]
    calls: int
    attempts: int
    input_tokens: int
    output_tokens: int
    total_usd: float
    queue_s: float
    wall_s: float
    """Seconds the run was active, scorer included (paused time at an interrupt excluded)."""
    budget_stop: BudgetStop | None
    """What `max_usd` kept from starting, or None."""
