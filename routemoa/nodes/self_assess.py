"""self_assess: the readable self scores of this layer's models."""

from __future__ import annotations

from routemoa.assessment import self_scores
from routemoa.state import State


async def self_assess(state: State) -> dict:
    """Self score per successful model of the layer that gave a readable one (rerank penalises the others)."""
    return {"self_scores": self_scores(state["records"], state["layer"])}
