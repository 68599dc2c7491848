"""The run's dollar budget (`max_usd`): expected cost of a layer or of the aggregation, and whether it fits.

Pure functions. A call's expected cost is its prompt's tokens (estimated from
its characters) at the model's input price plus the call's `max_tokens` at the
output price: the most the call can cost when the provider bills what the pool
file says. The graph starts a layer (or the aggregator) only when what the run
has spent plus that expectation stays within `max_usd`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from routemoa.contracts import BudgetFigures, BudgetStop, TraceEntry
from routemoa.spec import ModelSpec

OVER_BUDGET: Final = "over_budget"
"""The decision recorded when the budget stops a layer from starting."""

CHARS_PER_TOKEN = 4
"""Prompt characters per token for the estimate (the same rule as calls for providers without usage)."""


def prompt_tokens(chars: int) -> int:
    """Estimated tokens of a prompt of `chars` characters (at least 1)."""
    return max(1, math.ceil(chars / CHARS_PER_TOKEN))


def expected_call_usd(spec: ModelSpec, prompt_chars: int, max_tokens: int) -> float:
    """Expected dollars of one call of `spec`: the prompt's estimated tokens plus `max_tokens` answer tokens."""
    return spec.call_cost(prompt_tokens(prompt_chars), max_tokens)


def messages_chars(messages: Iterable[Any]) -> int:
    """Characters of a call's messages (LangChain messages)."""
    return sum(len(m.text) for m in messages)


def spent_usd(records: Iterable[Mapping[str, Any]]) -> float:
    """Dollars the run's calls have cost so far."""
    return sum(float(r.get("usd") or 0.0) for r in records)


@dataclass(frozen=True)
class BudgetCheck:
    """Whether a step fits under the budget, with the figures behind the answer."""

    fits: bool
    max_usd: float
    spent_usd: float
    expected_usd: float

    def reason(self, step: str) -> str:
        """One line: what `step` would cost against the budget."""
        verdict = "fits" if self.fits else "would pass the budget"
        return (
            f"{step} {verdict}: expected ${self.expected_usd:.6f} + spent ${self.spent_usd:.6f} "
            f"vs max_usd ${self.max_usd:.6f}"
        )

    def details(self) -> BudgetFigures:
        """The figures, rounded, for the trace."""
        return {
            "max_usd": self.max_usd,
            "spent_usd": round(self.spent_usd, 10),
            "expected_usd": round(self.expected_usd, 10),
        }


def budget_stop(trace: Iterable[TraceEntry]) -> BudgetStop | None:
    """What the budget stopped in a finished run's trace, for the bill: {"step": "layer N" or
    "aggregation", max_usd, spent_usd, expected_usd}, or None when it stopped nothing."""
    for entry in trace:
        if entry.get("decision") == OVER_BUDGET:
            figures = entry["budget"]
            return BudgetStop(
                step=f"layer {entry['layer']}",
                max_usd=figures["max_usd"],
                spent_usd=figures["spent_usd"],
                expected_usd=figures["expected_usd"],
            )
        aggregation = entry.get("aggregation")
        if aggregation and aggregation.get("decision") == OVER_BUDGET:
            return BudgetStop(step="aggregation", **aggregation["budget"])
    return None


def check_budget(max_usd: float, spent: float, expected: float) -> BudgetCheck:
    """Whether spending `expected` more after `spent` stays within `max_usd` (0 = no budget: always fits)."""
    fits = max_usd <= 0 or spent + expected <= max_usd * (1 + 1e-9)
    return BudgetCheck(fits=fits, max_usd=max_usd, spent_usd=spent, expected_usd=expected)
