"""The methods a user can compare: RouteMoA and its baselines, each a Context with its own defaults."""

from __future__ import annotations

from dataclasses import dataclass

from routemoa.context import Context, Selection, override


@dataclass(kw_only=True)
class MoAContext(Context):
    """MoA: every pool model in every layer, plain answers, no early exit, then the aggregator."""

    selection: Selection = override("selection", "all")
    scored_replies: bool = override("scored_replies", False)
    self_assessment: bool = override("self_assessment", False)
    cross_assessment: bool = override("cross_assessment", False)
    early_exit: bool = override("early_exit", False)


@dataclass(kw_only=True)
class SMoAContext(MoAContext):
    """SMoA: every model answers in a role; a judge keeps the best `judge_keep`, a moderator may stop."""

    role_prompts: bool = override("role_prompts", True)
    early_exit: bool = override("early_exit", True)


@dataclass(kw_only=True)
class SingleContext(Context):
    """One model answers alone (set `model`); one call, no aggregation."""

    selection: Selection = override("selection", "single")
    scored_replies: bool = override("scored_replies", False)
    max_layers: int = override("max_layers", 1)


@dataclass(kw_only=True)
class RandomContext(Context):
    """random-k: `top_k` models drawn at random (seeded by the query), one layer, then the aggregator."""

    selection: Selection = override("selection", "random")
    scored_replies: bool = override("scored_replies", False)
    max_layers: int = override("max_layers", 1)


METHODS: dict[str, type[Context]] = {
    "routemoa": Context,
    "moa": MoAContext,
    "smoa": SMoAContext,
    "single": SingleContext,
    "random_k": RandomContext,
}
"""Method name -> its Context class; graph.py builds and exports one graph per entry."""

METHOD_DESCRIPTIONS: dict[str, str] = {
    "routemoa": "RouteMoA: a learned scorer picks the few models worth calling; layers with self- and cross-assessment, early exit, then an aggregator.",
    "moa": "Mixture-of-Agents: every pool model answers in every layer, then an aggregator.",
    "smoa": "Sparse MoA: every model answers in a role; a judge keeps the best answers per layer and a moderator may stop early.",
    "single": "One pool model answers alone (set the knob 'model').",
    "random_k": "Baseline: top_k models drawn at random (seeded by the query), one layer, then an aggregator.",
}
"""Shown as the assistants' descriptions in Studio and in /v1/models."""


def graph_paths() -> dict[str, str]:
    """Each method's exported graph as `module:attribute`, the form langgraph.json uses."""
    return {m: f"routemoa.graph:{'graph' if m == 'routemoa' else m}" for m in METHODS}


def graph_entries() -> dict[str, dict[str, str]]:
    """langgraph.json `graphs` entries: each method's graph with its description (Studio shows it on the assistant)."""
    return {m: {"path": path, "description": METHOD_DESCRIPTIONS[m]} for m, path in graph_paths().items()}
