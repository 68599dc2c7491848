"""Self- and cross-assessment over a layer's call records. Pure functions."""

from __future__ import annotations

from typing import Iterable, Sequence

from routemoa.state import AgentRecord


def layer_records(records: Iterable[AgentRecord], layer: int) -> list[AgentRecord]:
    """Agent records of one layer, failures included."""
    return [r for r in records if r["role"] == "agent" and r["layer"] == layer]


def self_scores(records: Iterable[AgentRecord], layer: int, neutral: float) -> dict[str, float]:
    """Self score per successful model of `layer`; a missing score becomes `neutral`."""
    return {
        r["model"]: neutral if r["self_score"] is None else r["self_score"]
        for r in layer_records(records, layer)
        if not r["error"]
    }


def cross_scores(
    records: Iterable[AgentRecord], layer: int, shown_models: Sequence[str], neutral: float
) -> tuple[str | None, dict[str, float]]:
    """(assessor, scores of the previous layer's models).

    The assessor is the most self-confident successful model of `layer` that gave
    at least one readable peer score; its peer_scores[i] scores shown_models[i].
    """
    judges = [
        r
        for r in layer_records(records, layer)
        if not r["error"] and r["peer_scores"] and any(s is not None for s in r["peer_scores"])
    ]
    if not shown_models or not judges:
        return None, {}
    judge = max(judges, key=lambda r: neutral if r["self_score"] is None else r["self_score"])
    scores = {m: s for m, s in zip(shown_models, judge["peer_scores"]) if s is not None}
    return judge["model"], scores
