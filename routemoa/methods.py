"""The methods a user can compare: RouteMoA and its baselines, one list of `Method` records (name,
description, knob defaults as a Context class, topology) that the graph, langgraph.json, the server
and `/v1/models` all read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


AssessmentNode = Literal["assess", "judge"]
"""The node between a layer's agents and its decision: `assess` (RouteMoA's self scores, a peer's cross
scores, then fusion decides) or `judge` (SMoA's: one judge keeps the best `judge_keep` answers and, as
moderator, may stop)."""


@dataclass(frozen=True)
class Method:
    """One method a user can run and compare: the shared parts wired with its own topology and knob defaults."""

    name: str
    """Its name everywhere: the graph in langgraph.json, an OpenAI request's `model`, `--method`."""
    description: str
    """Shown as the assistant's description in Studio and in `/v1/models`."""
    context: type[Context]
    """Its knobs with its defaults (the Studio form of its assistant)."""
    assessment: AssessmentNode = "assess"
    """The node after `agent`; its conditional edge picks the next layer or `aggregate`."""

    @property
    def export(self) -> str:
        """The attribute of routemoa/graph.py that holds its compiled graph (langgraph.json names it)."""
        return "graph" if self.name == "routemoa" else self.name

    @property
    def judged(self) -> bool:
        """Whether a judge call closes each layer (the budget counts it)."""
        return self.assessment == "judge"


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method(
            name="routemoa",
            description="RouteMoA: a learned scorer picks the few models worth calling; layers with self- and cross-assessment, early exit, then an aggregator.",
            context=Context,
        ),
        Method(
            name="moa",
            description="Mixture-of-Agents: every pool model answers in every layer, then an aggregator.",
            context=MoAContext,
        ),
        Method(
            name="smoa",
            description="Sparse MoA: every model answers in a role; a judge keeps the best answers per layer and a moderator may stop early.",
            context=SMoAContext,
            assessment="judge",
        ),
        Method(
            name="single", description="One pool model answers alone (set the knob 'model').", context=SingleContext
        ),
        Method(
            name="random_k",
            description="Baseline: top_k models drawn at random (seeded by the query), one layer, then an aggregator.",
            context=RandomContext,
        ),
    )
}
"""Every method by name, in the order langgraph.json, Studio and `/v1/models` list them: graph.py builds
one graph per entry, the server serves them, and a test checks langgraph.json against `graph_entries()`.
A new method is one more entry here (plus its export in graph.py and its line in langgraph.json)."""


def graph_entries(*, module_paths: bool = False) -> dict[str, dict[str, str]]:
    """langgraph.json's `graphs`: each method's compiled graph with its description (Studio shows it on the
    assistant). Paths are `./routemoa/graph.py:ATTR` as in the project's file, or `routemoa.graph:ATTR`
    with `module_paths` (an installed package without its source checkout)."""
    where = "routemoa.graph" if module_paths else "./routemoa/graph.py"
    return {m.name: {"path": f"{where}:{m.export}", "description": m.description} for m in METHODS.values()}
