"""Runtime context: every knob of a RouteMoA run, settable per run.

Knobs live in the run's runtime context (`runtime.context`), never in state:
each node reads them through `method_context.run_context`, so resuming or
forking a thread with a new context takes effect from the next node.
`method_context.context_for` is the one place where knobs from outside (CLI
flags, HTTP requests, a parent graph, eval) are checked. The field
descriptions and bounds become the form LangGraph Studio shows. Defaults are
the reference paper's large-pool values where it gives one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from routemoa.errors import UserError
from routemoa.operator_pools import POOL_ENV, default_pool_value, is_server_process

Selection = Literal["routed", "all", "random", "single"]
SELECTIONS: tuple[str, ...] = ("routed", "all", "random", "single")


class KnobError(UserError):
    """An invalid knob; `knob` names it (the HTTP app reports it as the error's `param`)."""

    def __init__(self, knob: str, message: str):
        super().__init__(message)
        self.knob = knob


def _knob(default, description: str, *, minimum: float | None = None, maximum: float | None = None):
    """A context field whose description, default and bounds Studio shows."""
    extra: dict[str, Any] = {"default": default}
    if minimum is not None:
        extra["minimum"] = minimum
    if maximum is not None:
        extra["maximum"] = maximum
    meta = {"description": description, "json_schema_extra": extra}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def override(name: str, default):
    """The field `name` of Context with another default, its description and bounds kept (for methods.py)."""
    base = {f.name: f for f in fields(Context)}[name]
    meta = {**base.metadata, "json_schema_extra": {**base.metadata["json_schema_extra"], "default": default}}
    return field(default=default, metadata=meta)


@dataclass(kw_only=True)
class Context:
    """Knobs of one RouteMoA run."""

    pool: str = field(
        default_factory=default_pool_value,
        metadata={
            "description": f"Pool: a pool name (under a server, one of the operator's pools), a YAML file (CLI and Python), or 'embedded' for the three local SmolLM2 roles shipped in the package; empty = the default (${POOL_ENV}, else embedded).",
            "json_schema_extra": {"default": ""},
        },
    )
    top_k: int = _knob(3, "Models per layer (at most).", minimum=1, maximum=64)
    max_layers: int = _knob(3, "Maximum number of answering layers before aggregation.", minimum=1, maximum=16)
    threshold: float = _knob(
        0.76,
        "Early exit when the best fused score exceeds this (paper: 0.76 large pool, 0.805 small).",
        minimum=0,
        maximum=1,
    )
    tolerance: float = _knob(
        0.2, "Only models whose ranking score is within this of the best are selected.", minimum=0, maximum=1
    )
    cost_weight: float = _knob(
        0.05, "Ranking penalty per unit of relative output price (0 = price only breaks ties).", minimum=0
    )
    latency_weight: float = _knob(
        0.02, "Ranking penalty per unit of relative expected latency (0 = latency only breaks ties).", minimum=0
    )
    weights_first_layer: list[float] = _knob([0.9, 0.1], "Fusion after layer 1: [prior, self].")
    weights_both_layers: list[float] = _knob(
        [0.25, 0.15, 0.15, 0.45],
        "Fusion for a model in this and the previous layer: [prior, previous self, self, cross].",
    )
    weights_new_model: list[float] = _knob([0.9, 0.1], "Fusion for a model that ran only in this layer: [prior, self].")
    weights_previous_only: list[float] = _knob(
        [0.7, 0.1, 0.2], "Fusion for a model that ran only in the previous layer: [prior, previous self, cross]."
    )
    neutral_score: float = _knob(
        0.5,
        "Score used for a missing earlier self score; an early exit needs the answer's peer consensus above it.",
        minimum=0,
        maximum=1,
    )
    failure_penalty: float = _knob(
        0.5,
        "A model whose call failed (or whose scored reply was unreadable) keeps this fraction of its fused score.",
        minimum=0,
        maximum=1,
    )
    self_trust_margin: float = _knob(
        0.3,
        "A self score more than this above the model's peer consensus caps its self scores at consensus + this for the rest of the run.",
        minimum=0,
        maximum=1,
    )
    self_assessment: bool = _knob(True, "Use the models' self scores in fusion (ablation switch).")
    cross_assessment: bool = _knob(True, "Use peer scores from the next layer in fusion (ablation switch).")
    early_exit: bool = _knob(
        True, "Stop before max_layers once the best fused score passes the threshold (ablation switch)."
    )
    selection: Selection = _knob(
        "routed", "How a layer's models are chosen: routed (RouteMoA), all (MoA, SMoA), random (random-k), single."
    )
    model: str = _knob("", "The model that answers alone when selection is 'single'.")
    scored_replies: bool = _knob(
        True, "Agents reply in JSON with self and peer scores; False = plain answers (MoA, SMoA)."
    )
    role_prompts: bool = _knob(False, "Give pool models without a system prompt a distinct role prompt (SMoA).")
    cost_aware: bool = _knob(True, "Price and latency enter the ranking (False = scores only, ties by pool order).")
    judge_keep: int = _knob(2, "SMoA: responses the judge keeps per layer for the next one.", minimum=1, maximum=64)
    aggregator: str = _knob(
        "", "Model that writes the final answer (and judges in SMoA); empty = the best-ranked model that answered."
    )
    temperature: float = _knob(
        0.7, "Sampling temperature of agent calls (the aggregator uses half of it).", minimum=0, maximum=2
    )
    max_tokens: int = _knob(
        512,
        "Maximum answer tokens per call (a model's own max_tokens in the pool may lower it).",
        minimum=1,
        maximum=131072,
    )
    call_timeout_s: float = _knob(
        120.0, "Seconds before one model call is abandoned as timed out.", minimum=0.001, maximum=3600
    )
    max_usd: float = _knob(
        0.0,
        "Budget of the run in dollars: no layer or aggregation starts whose expected cost would pass it (0 = no budget).",
        minimum=0,
    )
    response_format: dict[str, Any] | None = _knob(
        None,
        'Format of the final answer, passed to the aggregator as OpenAI\'s response_format: {"type": "json_object"} or {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}} (None = text).',
    )
    stop: list[str] = _knob(
        [], "Up to 4 stop sequences: the final answer ends before the first one (agents are not cut)."
    )

    def __post_init__(self) -> None:
        if self.pool == "":  # Studio's form default: the server's (or the environment's) default pool
            self.pool = default_pool_value()
        for name, message in self.problems():
            raise KnobError(name, f"invalid context: {message}"[:300])

    def problems(self):
        """Yield (knob, message) per invalid knob (wrong type, out of bounds, inconsistent)."""
        for f in fields(self):
            value = getattr(self, f.name)
            kind = _KINDS.get(str(f.type), "any")
            if not _type_ok(kind, value):
                yield f.name, f"{f.name} must be {kind if ' ' in kind else 'of type ' + kind}, got {value!r}"
                return
            extra = f.metadata.get("json_schema_extra", {})
            low, high = extra.get("minimum"), extra.get("maximum")
            if (low is not None and value < low) or (high is not None and value > high):
                bounds = f"within [{low}, {high}]" if high is not None else f">= {low}"
                yield f.name, f"{f.name} must be {bounds}, got {value}"
        if self.selection == "single" and not self.model:
            yield "model", "selection 'single' needs the field 'model'"
        if self.response_format is not None and (problem := _format_problem(self.response_format)):
            yield "response_format", problem
        for name, size in _WEIGHT_SIZES.items():
            weights = getattr(self, name)
            if len(weights) != size or any(w < 0 for w in weights) or sum(weights) <= 0:
                yield name, f"{name} needs {size} non-negative weights with a positive sum, got {weights}"

    def explicit(self) -> dict[str, Any]:
        """The knobs whose value differs from this class's defaults."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != _field_default(f)}


def _field_default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


_WEIGHT_SIZES = {
    "weights_first_layer": 2,
    "weights_both_layers": 4,
    "weights_new_model": 2,
    "weights_previous_only": 3,
}

_KINDS = {
    "int": "int",
    "float": "float",
    "bool": "bool",
    "str": "str",
    "list[float]": "list[float]",
    "list[str]": "a list of at most 4 non-empty strings",
    "dict[str, Any] | None": "an object or null",
    "Selection": "one of " + ", ".join(SELECTIONS),
}


def _format_problem(value: dict[str, Any]) -> str | None:
    """Why `value` is not an OpenAI response_format RouteMoA can pass on, or None."""
    kind = value.get("type")
    if kind not in ("text", "json_object", "json_schema"):
        return f"response_format.type must be text, json_object or json_schema, got {str(kind)[:40]!r}"
    spec = value.get("json_schema")
    if kind == "json_schema" and not (
        isinstance(spec, dict) and isinstance(spec.get("name"), str) and isinstance(spec.get("schema"), dict)
    ):
        return "response_format json_schema needs 'json_schema': {'name': str, 'schema': {...}}"
    return None


def _type_ok(kind: str, value: Any) -> bool:
    """Whether `value` is of the knob kind (bools are not numbers; numbers are finite)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "int":
        return number and isinstance(value, int)
    if kind == "float":
        return number
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "list[float]":
        return (
            isinstance(value, list)
            and len(value) <= 16
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
        )
    if kind.startswith("a list of"):
        return isinstance(value, list) and len(value) <= 4 and all(isinstance(v, str) and v for v in value)
    if kind == "an object or null":
        return value is None or isinstance(value, dict)
    if kind.startswith("one of"):
        return value in SELECTIONS
    return True


CONTEXT_FIELDS = [f.name for f in fields(Context)]


CHECKED = "_client_policy_applied"
"""Attribute `limits.apply_client_policy` sets on the Context it returns (not a knob)."""


def client_mode(value: Any) -> bool:
    """Whether a run's context must pass the operator's policy: inside a server process every
    context does (a LangGraph API client's mapping arrives as a Context built from it) except one
    the policy already checked (the OpenAI app's); outside a server (CLI, Python API) none does."""
    if getattr(value, CHECKED, False):
        return False
    return is_server_process()
