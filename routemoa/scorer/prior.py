"""The prior the graph's `score` node uses: trained scorer when the pool names one, else zero-shot."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from routemoa.pool import Pool
from routemoa.scorer.zero_shot import description_prior

log = logging.getLogger(__name__)
_WARNED: set[tuple[str, tuple[str, ...]]] = set()


@dataclass(frozen=True)
class Prior:
    """Per-model prior scores in [0, 1] and where each came from."""

    scores: dict[str, float]
    source: dict[str, str]
    """Per model: 'trained' or 'zero-shot' (no trained embedding: cold start)."""


def pool_prior(query: str, pool: Pool) -> Prior:
    """The prior for one query over the pool (thread-safe, encoder and checkpoint shared per process)."""
    scores: dict[str, float] = {}
    source: dict[str, str] = {}
    cold = pool.models
    zero_shot_encoder = None
    if pool.scorer is not None:
        from routemoa.scorer.serve import get_scorer

        scorer = get_scorer(pool.scorer)
        trained = scorer.score([query])[0]
        for name, value in zip(scorer.models, trained):
            if name in pool.names:
                scores[name], source[name] = float(value), "trained"
        cold = tuple(m for m in pool.models if m.name not in scores)
        zero_shot_encoder = scorer.checkpoint.base_encoder
        key = (pool.scorer, tuple(m.name for m in cold))
        if cold and key not in _WARNED:
            _WARNED.add(key)
            names = ", ".join(m.name for m in cold)
            log.warning("scorer %s has no trained embedding for %s: using the zero-shot description prior (cold start)", pool.scorer, names)
    if cold:
        values = description_prior([query], [m.description for m in cold], zero_shot_encoder)[0]
        for spec, value in zip(cold, values):
            scores[spec.name], source[spec.name] = float(value), "zero-shot"
    return Prior(scores={m.name: scores[m.name] for m in pool.models}, source={m.name: source[m.name] for m in pool.models})
