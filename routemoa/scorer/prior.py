"""The prior the graph's `score` node uses: trained scorer when the pool names one, else zero-shot."""

from __future__ import annotations

from dataclasses import dataclass

from routemoa.pool import Pool
from routemoa.scorer.zero_shot import description_prior


@dataclass(frozen=True)
class Prior:
    """Per-model prior scores in [0, 1] and where each came from."""

    scores: dict[str, float]
    source: dict[str, str]
    """Per model: 'trained' or 'zero-shot' (no trained embedding: cold start)."""


def pool_prior(query: str, pool: Pool) -> Prior:
    """The prior for one query over the pool (thread-safe, encoder shared per process)."""
    values = description_prior([query], [m.description for m in pool.models])[0]
    return Prior(
        scores={m.name: float(v) for m, v in zip(pool.models, values)},
        source={m.name: "zero-shot" for m in pool.models},
    )
