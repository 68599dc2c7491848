"""How a layer's models are chosen, per method: routed (RouteMoA), all (MoA/SMoA), random-k, single."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence

from routemoa.context import Context
from routemoa.ranking import Pick, rank_models
from routemoa.spec import ModelSpec


def _seed(text: str) -> int:
    """A stable seed from the query (Python's hash() changes per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def choose_models(
    ctx: Context, fused: Mapping[str, float], specs: Sequence[ModelSpec], exclude: set[str], seed_text: str
) -> list[Pick]:
    """This layer's picks under `ctx.selection`; models in `exclude` (just failed) are skipped."""
    scores = {m: s for m, s in fused.items() if m not in exclude}
    candidates = [s for s in specs if s.name in scores]
    if ctx.selection == "routed":
        weights = (ctx.cost_weight, ctx.latency_weight) if ctx.cost_aware else (0.0, 0.0)
        return rank_models(
            scores,
            candidates,
            top_k=ctx.top_k,
            tolerance=ctx.tolerance,
            cost_weight=weights[0],
            latency_weight=weights[1],
            price_ties=ctx.cost_aware,
        )
    if ctx.selection == "all":
        chosen, why = candidates, "every pool model (MoA)"
    elif ctx.selection == "random":
        rng = random.Random(_seed(seed_text))
        chosen = rng.sample(candidates, min(ctx.top_k, len(candidates)))
        why = f"random {ctx.top_k} (seeded by the query)"
    else:
        chosen, why = [s for s in candidates if s.name == ctx.model], "the single model asked for"
    return [Pick(s.name, float(scores[s.name]), float(scores[s.name]), why) for s in chosen]
