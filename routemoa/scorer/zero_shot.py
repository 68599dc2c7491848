"""Zero-shot prior: how well each model's description matches the query.

No training and no LLM call: cosine similarity of the query's embedding to the
embedding of each model's description, mapped linearly from [-1, 1] to [0, 1].
It ranks models by fit, it is not a calibrated probability: with the default
threshold only a strong match (cosine >= ~0.5) lets layer 1 exit early. Used when the pool names no trained scorer, and for
pool models that a trained checkpoint does not know (cold start).
"""

from __future__ import annotations

import functools

import numpy as np

from routemoa.scorer.encoder import embed


@functools.lru_cache(maxsize=256)
def _description_vectors(descriptions: tuple[str, ...], encoder: str | None) -> np.ndarray:
    return embed(list(descriptions), encoder)


def description_prior(
    queries: list[str], descriptions: list[str], encoder: str | None = None, query_vectors: np.ndarray | None = None
) -> np.ndarray:
    """Scores in [0, 1], shape (len(queries), len(descriptions)); `query_vectors`: the queries
    already embedded by `encoder` (then they are not encoded again)."""
    q = embed(queries, encoder) if query_vectors is None else query_vectors
    d = _description_vectors(tuple(descriptions), encoder)
    cosine = q @ d.T
    return np.clip((cosine + 1.0) / 2.0, 0.0, 1.0)
