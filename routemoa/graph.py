"""The RouteMoA graph and its baselines: wiring only.

START -> score -> select --Send per model--> agent -> self_assess -> cross_assess -> rerank
rerank -> select (next layer) | aggregate (confident, last layer, or no candidate left) -> END

The baselines reuse the same parts with their own context defaults (see methods.py);
SMoA swaps the assessment nodes for one `judge` node.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from routemoa.decision import DECISIONS, NEXT_LAYER
from routemoa.methods import METHODS
from routemoa.nodes.agent import agent
from routemoa.nodes.aggregate import aggregate
from routemoa.nodes.cross_assess import cross_assess
from routemoa.nodes.judge import judge
from routemoa.nodes.rerank import next_step, rerank
from routemoa.nodes.score import make_score
from routemoa.nodes.select import fan_out, select
from routemoa.nodes.self_assess import self_assess
from routemoa.state import InputState, OutputState, State
from routemoa.timing import timed


def build_graph(method: str = "routemoa", checkpointer=None):
    """Compile the graph of `method` (see methods.METHODS); a checkpointer keeps threads."""
    builder = StateGraph(State, context_schema=METHODS[method], input_schema=InputState, output_schema=OutputState)
    builder.add_node("score", timed(make_score(method)))
    builder.add_node("select", timed(select))
    builder.add_node("agent", timed(agent))
    builder.add_node("aggregate", timed(aggregate))
    builder.add_edge(START, "score")
    builder.add_edge("score", "select")
    builder.add_conditional_edges("select", fan_out, ["agent", "aggregate"])  # aggregate: over budget
    if method == "smoa":
        builder.add_node("judge", timed(judge))
        builder.add_edge("agent", "judge")
        last = "judge"
    else:
        builder.add_node("self_assess", timed(self_assess))
        builder.add_node("cross_assess", timed(cross_assess))
        builder.add_node("rerank", timed(rerank))
        builder.add_edge("agent", "self_assess")
        builder.add_edge("self_assess", "cross_assess")
        builder.add_edge("cross_assess", "rerank")
        last = "rerank"
    # Edges labelled with the decisions that take them (Studio draws the labels).
    builder.add_conditional_edges(last, next_step, {d: "select" if d == NEXT_LAYER else "aggregate" for d in DECISIONS})
    builder.add_edge("aggregate", END)
    return builder.compile(checkpointer=checkpointer, name=method)


graph = build_graph("routemoa")
"""The exported RouteMoA graph (no checkpointer: the LangGraph server provides one)."""
moa = build_graph("moa")
smoa = build_graph("smoa")
single = build_graph("single")
random_k = build_graph("random_k")
