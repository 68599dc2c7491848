"""Runtime context: every knob of a RouteMoA run, settable per run.

The field descriptions become the form LangGraph Studio shows. Defaults are the
reference paper's large-pool values where it gives one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields


POOL_ENV = "ROUTEMOA_POOL"
"""Environment variable that sets the default pool (e.g. for `routemoa serve --pool`)."""


def _knob(default, description: str):
    """A context field whose description (and default) Studio shows."""
    meta = {"description": description, "json_schema_extra": {"default": default}}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def _default_pool() -> str:
    return os.environ.get(POOL_ENV) or "embedded"


@dataclass(kw_only=True)
class Context:
    """Knobs of one RouteMoA run."""

    pool: str = field(
        default_factory=_default_pool,
        metadata={
            "description": f"Pool YAML file, or 'embedded' for the three local SmolLM2 roles shipped in the package (default: ${POOL_ENV} or embedded).",
            "json_schema_extra": {"default": "embedded"},
        },
    )
    top_k: int = _knob(3, "Models per layer (at most).")
    max_layers: int = _knob(3, "Maximum number of answering layers before aggregation.")
    threshold: float = _knob(0.76, "Early exit when the best fused score exceeds this (paper: 0.76 large pool, 0.805 small).")
    tolerance: float = _knob(0.2, "Only models whose ranking score is within this of the best are selected.")
    cost_weight: float = _knob(0.05, "Ranking penalty per unit of relative output price (0 = price only breaks ties).")
    latency_weight: float = _knob(0.02, "Ranking penalty per unit of relative expected latency (0 = latency only breaks ties).")
    weights_first_layer: list[float] = _knob([0.9, 0.1], "Fusion after layer 1: [prior, self].")
    weights_both_layers: list[float] = _knob(
        [0.25, 0.15, 0.15, 0.45], "Fusion for a model in this and the previous layer: [prior, previous self, self, cross]."
    )
    weights_new_model: list[float] = _knob([0.9, 0.1], "Fusion for a model that ran only in this layer: [prior, self].")
    weights_previous_only: list[float] = _knob(
        [0.7, 0.1, 0.2], "Fusion for a model that ran only in the previous layer: [prior, previous self, cross]."
    )
    neutral_score: float = _knob(0.5, "Self or peer score used when a model's score is missing or unparsable.")
    failure_penalty: float = _knob(0.5, "A model whose call failed keeps this fraction of its fused score.")
    self_assessment: bool = _knob(True, "Use the models' self scores in fusion (ablation switch).")
    cross_assessment: bool = _knob(True, "Use peer scores from the next layer in fusion (ablation switch).")
    early_exit: bool = _knob(True, "Stop before max_layers once the best fused score passes the threshold (ablation switch).")
    selection: str = _knob("routed", "How a layer's models are chosen: routed (RouteMoA), all (MoA, SMoA), random (random-k), single.")
    model: str = _knob("", "The model that answers alone when selection is 'single'.")
    scored_replies: bool = _knob(True, "Agents reply in JSON with self and peer scores; False = plain answers (MoA, SMoA).")
    role_prompts: bool = _knob(False, "Give pool models without a system prompt a distinct role prompt (SMoA).")
    cost_aware: bool = _knob(True, "Price and latency enter the ranking (False = scores only, ties by pool order).")
    judge_keep: int = _knob(2, "SMoA: responses the judge keeps per layer for the next one.")
    aggregator: str = _knob("", "Model that writes the final answer (and judges in SMoA); empty = the best-ranked model that answered.")
    temperature: float = _knob(0.7, "Sampling temperature of agent calls (the aggregator uses half of it).")
    max_tokens: int = _knob(512, "Maximum answer tokens per call (a model's own max_tokens in the pool may lower it).")
    call_timeout_s: float = _knob(120.0, "Seconds before one model call is abandoned as timed out.")

    def __post_init__(self) -> None:
        problems = list(self.problems())
        if problems:
            raise ValueError(f"invalid context: {problems[0]}")

    def problems(self):
        """Yield a message per invalid knob."""
        if self.selection not in SELECTIONS:
            yield f"selection must be one of {', '.join(SELECTIONS)}, got {self.selection!r}"
        if self.selection == "single" and not self.model:
            yield "selection 'single' needs the field 'model'"
        if self.top_k < 1:
            yield f"top_k must be >= 1, got {self.top_k}"
        if self.max_layers < 1:
            yield f"max_layers must be >= 1, got {self.max_layers}"
        if self.max_tokens < 1:
            yield f"max_tokens must be >= 1, got {self.max_tokens}"
        if self.call_timeout_s <= 0:
            yield f"call_timeout_s must be > 0, got {self.call_timeout_s}"
        for name in ("threshold", "tolerance", "neutral_score", "failure_penalty"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                yield f"{name} must be within [0, 1], got {value}"
        for name, size in _WEIGHT_SIZES.items():
            weights = getattr(self, name)
            if len(weights) != size or any(w < 0 for w in weights) or sum(weights) <= 0:
                yield f"{name} needs {size} non-negative weights with a positive sum, got {weights}"


SELECTIONS = ("routed", "all", "random", "single")

_WEIGHT_SIZES = {
    "weights_first_layer": 2,
    "weights_both_layers": 4,
    "weights_new_model": 2,
    "weights_previous_only": 3,
}

CONTEXT_FIELDS = [f.name for f in fields(Context)]


def resolve_context(value: Context | dict | None, defaults: type[Context] = Context) -> Context:
    """The run's Context from what the runtime holds: an instance, a dict (server request) or None."""
    if isinstance(value, Context):
        return value
    value = dict(value or {})
    unknown = sorted(set(value) - set(CONTEXT_FIELDS))
    if unknown:
        raise ValueError(f"invalid context: unknown field '{unknown[0]}'")
    return defaults(**value)


def run_context(state) -> Context:
    """The context the run started with; the `score` node stores it in the state as `knobs`."""
    return Context(**state["knobs"])
