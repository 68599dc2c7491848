"""After a layer: stop or go on, and why. A pure function."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Final, get_args

from routemoa.context import Context
from routemoa.contracts import Decision

NEXT_LAYER: Final = "next_layer"
EARLY_EXIT: Final = "early_exit"
MAX_LAYERS: Final = "max_layers"
ALL_FAILED: Final = "all_failed"
NO_CANDIDATES: Final = "no_candidates"
DECISIONS: tuple[Decision, ...] = get_args(Decision)
"""Every decision after a layer (the Literal `Decision`); only NEXT_LAYER goes on to another layer."""


def decide(
    *,
    layer: int,
    fused: Mapping[str, float],
    answered_now: Sequence[str],
    answered_ever: bool,
    candidates_left: bool,
    ctx: Context,
    supported: Collection[str] | None = None,
) -> tuple[Decision, str]:
    """(decision, human-readable reason) after `layer`.

    `candidates_left`: some pool model did not just fail, so a next layer has someone to call.
    `supported`: the models an early exit may rest on (assessment.exit_support); None = any.
    """
    eligible = [m for m in answered_now if supported is None or m in supported]
    if eligible and ctx.early_exit:
        best = max(eligible, key=lambda m: fused[m])
        if fused[best] > ctx.threshold:
            return EARLY_EXIT, f"{best} fused {fused[best]:.3f} > threshold {ctx.threshold:.3f}"
    if not answered_ever and (layer >= ctx.max_layers or not candidates_left):
        return ALL_FAILED, "every model call failed"
    if layer >= ctx.max_layers:
        return MAX_LAYERS, f"reached max_layers = {ctx.max_layers}"
    if not candidates_left:
        return NO_CANDIDATES, "every remaining model failed in this layer"
    if not answered_now:
        return NEXT_LAYER, "every model of this layer failed; trying the next candidates"
    best = max(answered_now, key=lambda m: fused[m])
    if ctx.early_exit and fused[best] > ctx.threshold:
        return (
            NEXT_LAYER,
            f"best fused {fused[best]:.3f} ({best}) > threshold, but no other model has backed its answer yet",
        )
    return NEXT_LAYER, f"best fused {fused[best]:.3f} ({best}) <= threshold {ctx.threshold:.3f}"
