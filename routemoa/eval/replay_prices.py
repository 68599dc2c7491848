"""Prices of replayed models, fitted to the recorded dollars (the data records dollars, not tokens)."""

from __future__ import annotations

import math

import numpy as np

from routemoa.eval.replay_data import ReplayData

CHARS_PER_TOKEN = 4
"""Token counts are estimated as characters / 4."""


def estimate_tokens(text: str) -> int:
    """Rough token count of a text (characters / 4, at least 1)."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


def estimate_prices(data: ReplayData) -> dict[str, tuple[float, float]]:
    """Per model (input, output) dollars per million tokens, fitted to the recorded costs.

    Least squares of cost ≈ in_tokens·p_in + out_tokens·p_out over every record, with
    tokens estimated as characters / 4 of the prompt and of the response. When the fit
    gives a negative price, both prices fall back to the blended rate Σcost / Σtokens.
    """
    prices = {}
    for m in data.models:
        x = np.array([[estimate_tokens(r.prompt), estimate_tokens(r.response[m])] for r in data.records], float)
        y = np.array([r.cost[m] for r in data.records])
        fit = np.linalg.lstsq(x, y, rcond=None)[0] * 1e6
        if (fit < 0).any():
            fit = np.full(2, y.sum() / x.sum() * 1e6)
        prices[m] = (round(float(fit[0]), 4), round(float(fit[1]), 4))
    return prices
