"""The methods a user can compare: RouteMoA and its baselines, each a Context with its own defaults."""

from __future__ import annotations

from dataclasses import dataclass

from routemoa.context import Context


@dataclass(kw_only=True)
class MoAContext(Context):
    """MoA: every pool model in every layer, plain answers, no early exit, then the aggregator."""

    selection: str = "all"
    scored_replies: bool = False
    self_assessment: bool = False
    cross_assessment: bool = False
    early_exit: bool = False


@dataclass(kw_only=True)
class SMoAContext(MoAContext):
    """SMoA: every model answers in a role; a judge keeps the best `judge_keep`, a moderator may stop."""

    role_prompts: bool = True
    early_exit: bool = True


@dataclass(kw_only=True)
class SingleContext(Context):
    """One model answers alone (set `model`); one call, no aggregation."""

    selection: str = "single"
    scored_replies: bool = False
    max_layers: int = 1


@dataclass(kw_only=True)
class RandomContext(Context):
    """random-k: `top_k` models drawn at random (seeded by the query), one layer, then the aggregator."""

    selection: str = "random"
    scored_replies: bool = False
    max_layers: int = 1


METHODS: dict[str, type[Context]] = {
    "routemoa": Context,
    "moa": MoAContext,
    "smoa": SMoAContext,
    "single": SingleContext,
    "random_k": RandomContext,
}
"""Method name -> its Context class; graph.py builds and exports one graph per entry."""


def graph_paths() -> dict[str, str]:
    """Each method's exported graph as `module:attribute`, the form langgraph.json uses."""
    return {m: f"routemoa.graph:{'graph' if m == 'routemoa' else m}" for m in METHODS}
