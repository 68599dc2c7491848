"""Ranking and selection: which models run next, and why. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from routemoa.contracts import SelectedModel
from routemoa.spec import ModelSpec


@dataclass(frozen=True)
class Pick:
    """One selected model and the reason it was chosen."""

    name: str
    score: float
    rank_score: float
    reason: str

    def as_selected(self) -> SelectedModel:
        """This pick as state data (the state's `selected`, the layer_start event)."""
        return SelectedModel(name=self.name, score=self.score, rank_score=self.rank_score, reason=self.reason)


def _relative(values: Sequence[float]) -> list[float]:
    """Each value divided by the largest (all zeros stay zeros)."""
    top = max(values, default=0.0)
    return [v / top if top > 0 else 0.0 for v in values]


def rank_models(
    scores: Mapping[str, float],
    specs: Sequence[ModelSpec],
    *,
    top_k: int,
    tolerance: float,
    cost_weight: float = 0.0,
    latency_weight: float = 0.0,
    price_ties: bool = True,
) -> list[Pick]:
    """The top_k models by score, penalised by relative price and latency.

    rank_score = score − cost_weight·(output price / max output price)
                       − latency_weight·(latency / max latency).
    Only models whose rank_score is within `tolerance` of the best are kept; ties
    go to the lower output price, then input price, then latency, then pool order
    (with `price_ties` off, straight to pool order).
    """
    candidates = [s for s in specs if s.name in scores]
    if not candidates:
        return []
    rel_price = _relative([s.output_price for s in candidates])
    rel_latency = _relative([s.latency_s for s in candidates])
    rows = []
    for order, (spec, price, latency) in enumerate(zip(candidates, rel_price, rel_latency)):
        rank_score = scores[spec.name] - cost_weight * price - latency_weight * latency
        rows.append((rank_score, spec, order))
    if price_ties:
        rows.sort(key=lambda r: (-r[0], r[1].output_price, r[1].input_price, r[1].latency_s, r[2]))
    else:
        rows.sort(key=lambda r: (-r[0], r[2]))
    best = rows[0][0]
    picks = []
    for position, (rank_score, spec, _) in enumerate(rows[:top_k], start=1):
        if rank_score < best - tolerance:
            break
        reason = f"rank {position}: score {scores[spec.name]:.3f}, ranked {rank_score:.3f} after price/latency"
        picks.append(Pick(spec.name, float(scores[spec.name]), float(rank_score), reason))
    return picks
