"""The RouteMoA graph and its baselines: wiring only.

START -> score -> select --Send per model--> agent -> assess
assess -> select (next layer) | aggregate (confident, last layer, or no candidate left) -> END

Every method of methods.METHODS reuses the same parts with its own context defaults and its
own assessment node (SMoA: one `judge` node instead of `assess`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from routemoa.context import Context
from routemoa.decision import DECISIONS, NEXT_LAYER
from routemoa.layer_end import next_step
from routemoa.methods import METHODS, AssessmentNode
from routemoa.nodes.agent import agent
from routemoa.nodes.aggregate import aggregate
from routemoa.nodes.assess import assess
from routemoa.nodes.judge import judge
from routemoa.nodes.score import make_score
from routemoa.nodes.select import fan_out, select
from routemoa.state import InputState, OutputState, State
from routemoa.timing import timed

MethodGraph = CompiledStateGraph[State, Context, InputState, OutputState]
"""A method's compiled graph: State inside, a Context of knobs, messages in, OutputState out."""

ASSESSMENT_NODES: dict[AssessmentNode, Callable[..., Awaitable[dict]]] = {"assess": assess, "judge": judge}
"""The node function of each name a Method's `assessment` may name."""


def build_graph(method: str = "routemoa", checkpointer=None) -> MethodGraph:
    """Compile the graph of `method` (see methods.METHODS); a checkpointer keeps threads."""
    record = METHODS[method]
    builder = StateGraph(State, context_schema=record.context, input_schema=InputState, output_schema=OutputState)
    builder.add_node("score", timed(make_score(method)))
    builder.add_node("select", timed(select))
    builder.add_node("agent", timed(agent))
    builder.add_node("aggregate", timed(aggregate))
    builder.add_edge(START, "score")
    builder.add_edge("score", "select")
    builder.add_conditional_edges("select", fan_out, ["agent", "aggregate"])  # aggregate: over budget
    builder.add_node(record.assessment, timed(ASSESSMENT_NODES[record.assessment]))
    builder.add_edge("agent", record.assessment)
    # Edges labelled with the decisions that take them (Studio draws the labels).
    builder.add_conditional_edges(
        record.assessment, next_step, {d: "select" if d == NEXT_LAYER else "aggregate" for d in DECISIONS}
    )
    builder.add_edge("aggregate", END)
    return builder.compile(checkpointer=checkpointer, name=method)


GRAPHS: dict[str, MethodGraph] = {name: build_graph(name) for name in METHODS}
"""Every method's compiled graph by name, in METHODS order (no checkpointer: the LangGraph server provides
one); the OpenAI-compatible app and `routemoa.runner` run these."""


# The exports langgraph.json names (methods.graph_entries; a test checks each is GRAPHS[its method]).
graph = GRAPHS["routemoa"]
moa = GRAPHS["moa"]
smoa = GRAPHS["smoa"]
single = GRAPHS["single"]
random_k = GRAPHS["random_k"]
