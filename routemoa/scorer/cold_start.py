"""Scores for pool models a trained checkpoint has no data for, on the trained models' scale.

A new model's score for a query is

    anchor + shift(q) + gain · (d_new(q) − mean_j d_j(q))

- `anchor`: what its price tier suggests: the mean training accuracy (base rate)
  of the PRICE_NEIGHBOURS trained pool models closest to it in log price (the
  median base rate when prices are unknown);
- `shift(q)`: how much easier or harder the scorer finds this query than
  average (mean trained score minus mean base rate), so it moves with the others;
- `d(q)`: the zero-shot description prior (query vs. each model's description,
  in [0, 1]); only the new model's lead over the trained models' mean counts.

The result is clipped to [0, 1]. It is neither ignored (it competes at the level
of the models priced like it) nor over-trusted. The shipped gain is 0: on
RouterBench (benchmarks/scorer_new_model.py) a gain of 1 let a description
("strong, expensive generalist ...") lift a held-out model above better trained
ones and lowered first-pick accuracy, while the price tier alone never did.
"""

from __future__ import annotations

import numpy as np

PRICE_NEIGHBOURS = 2
DESCRIPTION_GAIN = 0.0


def price_anchor(
    price: float, trained_prices: np.ndarray, trained_base: np.ndarray, neighbours: int = PRICE_NEIGHBOURS
) -> float:
    """Expected accuracy from the price tier (dollars per million tokens, input + output)."""
    known = trained_prices > 0
    if price <= 0 or not known.any():
        return float(np.median(trained_base))
    distance = np.abs(np.log(trained_prices[known]) - np.log(price))
    nearest = np.argsort(distance, kind="stable")[:neighbours]
    return float(trained_base[known][nearest].mean())


def cold_start_scores(
    trained_scores: np.ndarray,
    trained_base: np.ndarray,
    trained_prices: np.ndarray,
    trained_descriptions: np.ndarray,
    cold_prices: np.ndarray,
    cold_descriptions: np.ndarray,
    gain: float = DESCRIPTION_GAIN,
) -> np.ndarray:
    """(n_queries, n_cold) scores; `*_descriptions` are description priors, (n_queries, n_models)."""
    anchors = np.array([price_anchor(p, trained_prices, trained_base) for p in cold_prices], dtype=np.float64)
    shift = trained_scores.mean(axis=1) - trained_base.mean()
    lead = cold_descriptions - trained_descriptions.mean(axis=1, keepdims=True)
    return np.clip(anchors[None, :] + shift[:, None] + gain * lead, 0.0, 1.0).astype(np.float32)
