"""The RouteMoA graph: wiring only.

START -> score -> select --Send per model--> agent -> self_assess -> cross_assess -> rerank
rerank -> select (next layer) | aggregate (confident, last layer, or no candidate left) -> END
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from routemoa.context import Context
from routemoa.nodes.agent import agent
from routemoa.nodes.aggregate import aggregate
from routemoa.nodes.cross_assess import cross_assess
from routemoa.nodes.rerank import after_rerank, rerank
from routemoa.nodes.score import score
from routemoa.nodes.select import fan_out, select
from routemoa.nodes.self_assess import self_assess
from routemoa.state import InputState, OutputState, State


def build_graph(checkpointer=None):
    """Compile the RouteMoA graph; pass a checkpointer to keep conversations (threads)."""
    builder = StateGraph(State, context_schema=Context, input_schema=InputState, output_schema=OutputState)
    builder.add_node("score", score)
    builder.add_node("select", select)
    builder.add_node("agent", agent)
    builder.add_node("self_assess", self_assess)
    builder.add_node("cross_assess", cross_assess)
    builder.add_node("rerank", rerank)
    builder.add_node("aggregate", aggregate)

    builder.add_edge(START, "score")
    builder.add_edge("score", "select")
    builder.add_conditional_edges("select", fan_out, ["agent"])
    builder.add_edge("agent", "self_assess")
    builder.add_edge("self_assess", "cross_assess")
    builder.add_edge("cross_assess", "rerank")
    builder.add_conditional_edges("rerank", after_rerank, {"select": "select", "aggregate": "aggregate"})
    builder.add_edge("aggregate", END)
    return builder.compile(checkpointer=checkpointer, name="routemoa")


graph = build_graph()
"""The exported graph (no checkpointer: the LangGraph server provides one)."""
