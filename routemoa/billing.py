"""The bill of a run: tokens, dollars and seconds per model, totals, wall time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from routemoa.contracts import Bill, BudgetStop, ModelBill


def build_bill(records: Iterable[Mapping[str, Any]], wall_s: float, budget_stop: BudgetStop | None = None) -> Bill:
    """Sum the call records per model and overall.

    Returns {"models": {name: {calls, attempts, failed_calls, input_tokens, output_tokens, usd, seconds, queue_s}},
    "calls", "attempts", "input_tokens", "output_tokens", "total_usd", "queue_s", "wall_s", "budget_stop"}. `calls` counts the
    graph's model calls; `attempts` the HTTP requests they sent (retries included): every request a
    provider served is on the bill. Records without `attempts` (older checkpoints) count one each.
    `seconds` is the time the calls themselves took; `queue_s` the time they waited for a free slot of their
    model first (a local model's queue; 0 for records without it); `wall_s` spans the whole run, scorer included.
    `budget_stop`: the step that `max_usd` kept from starting, with its figures (see budget.budget_stop), or None.
    """
    models: dict[str, ModelBill] = {}
    for rec in records:
        row = models.setdefault(
            rec["model"],
            ModelBill(
                calls=0, attempts=0, failed_calls=0, input_tokens=0, output_tokens=0, usd=0.0, seconds=0.0, queue_s=0.0
            ),
        )
        row["calls"] += 1
        row["attempts"] += rec.get("attempts", 1)
        row["failed_calls"] += 1 if rec.get("error") else 0
        row["input_tokens"] += rec["input_tokens"]
        row["output_tokens"] += rec["output_tokens"]
        row["usd"] += rec["usd"]
        row["seconds"] += rec["seconds"]
        row["queue_s"] += rec.get("queue_s", 0.0)
    for row in models.values():
        row["usd"] = round(row["usd"], 10)
        row["seconds"] = round(row["seconds"], 4)
        row["queue_s"] = round(row["queue_s"], 4)
    return Bill(
        models=models,
        calls=sum(r["calls"] for r in models.values()),
        attempts=sum(r["attempts"] for r in models.values()),
        input_tokens=sum(r["input_tokens"] for r in models.values()),
        output_tokens=sum(r["output_tokens"] for r in models.values()),
        total_usd=round(sum(r["usd"] for r in models.values()), 10),
        queue_s=round(sum(r["queue_s"] for r in models.values()), 4),
        wall_s=round(wall_s, 4),
        budget_stop=BudgetStop(**budget_stop) if budget_stop else None,
    )
