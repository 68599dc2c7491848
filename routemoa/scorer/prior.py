"""The prior the graph's `score` node uses: trained scorer when the pool names one, else zero-shot."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from routemoa.scorer.cold_start import cold_start_scores
from routemoa.scorer.encoder import embed
from routemoa.scorer.zero_shot import description_prior
from routemoa.spec import Pool

log = logging.getLogger(__name__)
_WARNED: set[tuple[str, tuple[str, ...]]] = set()


@dataclass(frozen=True)
class Prior:
    """Per-model prior scores in [0, 1] and where each came from."""

    scores: dict[str, float]
    source: dict[str, str]
    """Per model: 'trained' or 'zero-shot' (no trained embedding: cold start, from its description and price)."""


def _price(spec) -> float:
    return spec.input_price + spec.output_price


def pool_prior(query: str, pool: Pool) -> Prior:
    """The prior for one query over the pool (thread-safe, encoder and checkpoint shared per process).

    Pool models the checkpoint does not know are scored by `cold_start.cold_start_scores`
    (description and price tier, on the trained models' scale).
    """
    scores: dict[str, float] = {}
    source: dict[str, str] = {}
    cold = pool.models
    encoder = None
    if pool.scorer is not None:
        from routemoa.scorer.serve import get_scorer

        scorer = get_scorer(pool.scorer)
        text = scorer.encoder_inputs([query])
        vectors = embed(text, scorer.encoder, scorer.device)
        trained = scorer.score_embeddings(vectors)[0]
        base_rates = dict(zip(scorer.models, scorer.base_rates.tolist()))
        encoder = scorer.checkpoint.base_encoder
        for name, value in zip(scorer.models, trained):
            if name in pool.names:
                scores[name], source[name] = float(value), "trained"
        cold = tuple(m for m in pool.models if m.name not in scores)
        key = (pool.scorer, tuple(m.name for m in cold))
        if cold and key not in _WARNED:
            _WARNED.add(key)
            names = ", ".join(m.name for m in cold)
            log.warning(
                "scorer %s has no trained embedding for %s: scoring them by description and price tier (cold start)",
                pool.scorer,
                names,
            )
        if cold and scores:
            known = [m for m in pool.models if m.name in scores]
            same_encoder = scorer.encoder == encoder  # not fine-tuned: the query's vector is reused
            described = description_prior(
                text, [m.description for m in known + list(cold)], encoder, vectors if same_encoder else None
            )
            values = cold_start_scores(
                np.array([[scores[m.name] for m in known]]),
                np.array([base_rates[m.name] for m in known]),
                np.array([_price(m) for m in known]),
                described[:, : len(known)],
                np.array([_price(m) for m in cold]),
                described[:, len(known) :],
            )[0]
            for spec, value in zip(cold, values):
                scores[spec.name], source[spec.name] = float(value), "zero-shot"
            cold = ()
    if cold:
        values = description_prior([query], [m.description for m in cold], encoder)[0]
        for spec, value in zip(cold, values):
            scores[spec.name], source[spec.name] = float(value), "zero-shot"
    return Prior(
        scores={m.name: scores[m.name] for m in pool.models}, source={m.name: source[m.name] for m in pool.models}
    )
