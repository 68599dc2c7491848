"""Human-readable views of a run: per-layer progress lines and the final table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from routemoa.contracts import Bill, TraceEntry


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_event(event: Mapping[str, Any]) -> str:
    """One progress line for a layer_start / layer_done stream event (contracts.LayerStart / LayerDone);
    any other event as it is."""
    if event.get("event") == "layer_start":
        names = ", ".join(m["name"] for m in event["models"]) or "none"
        return f"layer {event['layer']}: calling {names}"
    if event.get("event") == "layer_done":
        failed = f" ({len(event['errors'])} failed)" if event.get("errors") else ""
        return f"layer {event['layer']} done{failed}: {event['decision']} - {event['reason']}"
    return str(event)


def format_run_table(trace: Sequence[TraceEntry], bill: Bill | None) -> str:
    """Layer, model, prior/self/cross/fused scores, then each model's tokens, dollars, seconds."""
    header = f"{'layer':>5}  {'model':<24} {'prior':>6} {'self':>6} {'cross':>6} {'fused':>6}  status"
    lines = [header, "-" * len(header)]
    for entry in trace:
        for name, s in entry["scores"].items():
            status = entry["errors"].get(name, "ok" if name in [m["name"] for m in entry["models"]] else "previous")
            lines.append(
                f"{entry['layer']:>5}  {name[:24]:<24} {_num(s['prior']):>6} {_num(s['self']):>6} "
                f"{_num(s['cross']):>6} {_num(s['fused']):>6}  {status}"
            )
        lines.append(f"{'':>5}  -> {entry['decision']}: {entry['reason']}")
    if trace and trace[-1].get("aggregation"):
        agg = trace[-1]["aggregation"]
        lines.append(f"{'':>5}  aggregate: {agg.get('model') or '-'} {agg.get('reason', '')}".rstrip())
    lines.append("")
    lines.append(f"{'model':<24} {'calls':>5} {'in tok':>7} {'out tok':>7} {'dollars':>10} {'seconds':>8}")
    for name, row in (bill["models"] if bill else {}).items():
        lines.append(
            f"{name[:24]:<24} {row['calls']:>5} {row['input_tokens']:>7} {row['output_tokens']:>7} "
            f"{row['usd']:>10.6f} {row['seconds']:>8.2f}"
        )
    if bill:
        lines.append(
            f"{'total':<24} {bill['calls']:>5} {bill['input_tokens']:>7} {bill['output_tokens']:>7} "
            f"{bill['total_usd']:>10.6f} {bill['wall_s']:>8.2f} wall"
        )
    return "\n".join(lines)
