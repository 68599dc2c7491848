"""Fusion of prior, self and cross scores after each layer. Pure functions.

Layer 1:   fused = w·[prior, self]                                  (weights_first_layer)
Layer 2+:  a model of this and the previous layer: w·[prior, self_prev, self, cross]
           a model only of this layer:              w·[prior, self]
           a model only of the previous layer:      w·[prior, self_prev, cross]
           a previous-layer model without a cross score keeps its fused score;
           a model of neither layer keeps its fused score.
Weights are normalised to sum to 1, so fused scores stay in [0, 1]. Disabling
self-assessment drops the self terms; a failed call, and a scored reply without a
readable self score, multiply the model's fused score by `failure_penalty`.
Self scores arrive already capped by the peer consensus (assessment.capped) and the
cross scores are the peers' medians (assessment.peer_consensus).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from routemoa.context import Context


@dataclass(frozen=True)
class LayerScores:
    """What the fusion of one layer needs besides the weights."""

    layer: int
    prior: Mapping[str, float]
    fused: Mapping[str, float]
    """Fused scores before this layer."""
    self_now: Mapping[str, float]
    """Sanitised self scores of this layer's successful models."""
    self_previous: Mapping[str, float]
    cross: Mapping[str, float]
    """Cross scores of the previous layer's models (may be empty)."""
    ran_now: Sequence[str]
    ran_previous: Sequence[str]
    failed_now: Sequence[str]
    unscored_now: Sequence[str] = ()
    """Models of this (scored) layer that answered without a readable self score."""


def _weighted(weights: Sequence[float], values: Sequence[float], keep: Sequence[bool]) -> float:
    """Weighted mean over the terms marked `keep` (weights renormalised)."""
    total = sum(w for w, k in zip(weights, keep) if k)
    if total <= 0:
        return values[0]
    return sum(w * v for w, v, k in zip(weights, values, keep) if k) / total


def fuse(scores: LayerScores, ctx: Context) -> dict[str, float]:
    """New fused score for every model in `scores.fused`."""
    use_self = ctx.self_assessment
    fused = dict(scores.fused)
    for name in scores.ran_now:
        if name in scores.failed_now or name in scores.unscored_now:
            continue
        prior, self_now = scores.prior[name], scores.self_now.get(name, ctx.neutral_score)
        if scores.layer == 1:
            fused[name] = _weighted(ctx.weights_first_layer, [prior, self_now], [True, use_self])
        elif name in scores.ran_previous and name in scores.cross:
            self_prev = scores.self_previous.get(name, ctx.neutral_score)
            values = [prior, self_prev, self_now, scores.cross[name]]
            fused[name] = _weighted(ctx.weights_both_layers, values, [True, use_self, use_self, True])
        elif name not in scores.ran_previous:
            fused[name] = _weighted(ctx.weights_new_model, [prior, self_now], [True, use_self])
    for name in scores.ran_previous:
        if name in scores.ran_now or name not in scores.cross:
            continue
        self_prev = scores.self_previous.get(name, ctx.neutral_score)
        values = [scores.prior[name], self_prev, scores.cross[name]]
        fused[name] = _weighted(ctx.weights_previous_only, values, [True, use_self, True])
    for name in [*scores.failed_now, *scores.unscored_now]:
        fused[name] = fused[name] * ctx.failure_penalty
    return fused
