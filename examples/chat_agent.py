"""A chat agent that uses the RouteMoA graph as one of its nodes.

    START -> triage --(small talk)--> small_talk --------------> END
                    \\--(a real question)--> routemoa -> receipt -> END

`routemoa` is the compiled RouteMoA graph added as a node: it shares the
`messages` key with this agent (its input), appends its answer to it, and
hands back `bill` and `trace`, which `receipt` turns into a one-line cost
note. The agent's context is RouteMoA's Context, so the same knobs (pool,
max_layers, ...) reach the subgraph.

Run it:  python examples/chat_agent.py "What is the capital of Australia?"
(the embedded local pool needs no key; pass --pool FILE for your own models).
"""

from __future__ import annotations

import argparse
import asyncio
import re
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, MessagesState, StateGraph

from routemoa.context import Context
from routemoa.graph import graph as routemoa_graph

SMALL_TALK = re.compile(r"^\s*(hi|hello|hey|thanks|thank you|bye)\b[\s!.]*$", re.IGNORECASE)


class AgentState(MessagesState, total=False):
    """The agent's state: the chat, plus what RouteMoA reports about its last answer."""

    bill: dict[str, Any]
    trace: list[dict[str, Any]]


def triage(state: AgentState) -> str:
    """Small talk is answered here; anything else goes to RouteMoA."""
    return "small_talk" if SMALL_TALK.match(state["messages"][-1].text) else "routemoa"


def small_talk(state: AgentState) -> dict:
    return {"messages": [AIMessage(content="Hello! Ask me anything.", name="agent")]}


def receipt(state: AgentState) -> dict:
    """A one-line note of what the answer cost and which models wrote it."""
    bill, trace = state.get("bill") or {}, state.get("trace") or []
    models = sorted({m["name"] for layer in trace for m in layer.get("models", [])})
    note = f"[{bill.get('calls', 0)} calls to {', '.join(models) or 'no model'}; ${bill.get('total_usd', 0):.6f}; {bill.get('wall_s', 0):.1f}s]"
    return {"messages": [AIMessage(content=note, name="receipt")]}


def build_agent(checkpointer=None):
    """The example agent; pass a checkpointer to keep conversations."""
    builder = StateGraph(AgentState, context_schema=Context)
    builder.add_node("small_talk", small_talk)
    builder.add_node("routemoa", routemoa_graph)
    builder.add_node("receipt", receipt)
    builder.add_conditional_edges(START, triage, {"small_talk": "small_talk", "routemoa": "routemoa"})
    builder.add_edge("small_talk", END)
    builder.add_edge("routemoa", "receipt")
    builder.add_edge("receipt", END)
    return builder.compile(checkpointer=checkpointer, name="chat_agent")


agent = build_agent()


async def _main() -> None:
    parser = argparse.ArgumentParser(description="chat agent with RouteMoA as a node")
    parser.add_argument("question")
    parser.add_argument("--pool", default="embedded")
    parser.add_argument("--max-layers", type=int, default=1)
    args = parser.parse_args()
    out = await agent.ainvoke(
        {"messages": [("user", args.question)]}, context=Context(pool=args.pool, max_layers=args.max_layers)
    )
    for message in out["messages"][1:]:
        print(message.text)


if __name__ == "__main__":
    asyncio.run(_main())
