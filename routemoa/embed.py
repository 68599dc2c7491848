"""RouteMoA inside your own agent: as a node of a parent graph, or as a tool of a tool-calling agent.

    from routemoa import as_node, as_tool

    # a node of a parent graph that has its own context_schema (a messages state)
    builder = StateGraph(MessagesState, context_schema=AppContext)
    builder.add_node("answer", as_node("routemoa", context=lambda app: {"pool": app.pool_file, "max_layers": 2}))

    # a tool for create_agent / create_react_agent
    agent = create_react_agent(model, [as_tool(context={"pool": "pools/api.yaml"})])

`context` maps to RouteMoA's knobs: None (the method's defaults), a Context, a
mapping of knob names, or (as_node only) a function of the parent's
`runtime.context` that returns one of those. The parent's own context never
reaches RouteMoA unmapped, so any context_schema works. The node appends
RouteMoA's final answer to the parent's `messages`; the aggregator's tokens and
the per-layer custom events reach the parent's stream (`subgraphs=True`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from routemoa.context import Context
from routemoa.method_context import context_for
from routemoa.methods import METHODS
from routemoa.runner import method_graph, run_query

ContextSource = Context | Mapping[str, Any] | None


def as_node(method: str = "routemoa", context: ContextSource | Callable[[Any], ContextSource] = None):
    """A node function for a parent graph whose state has `messages`: it answers the conversation with
    `method` and appends the answer (an AIMessage whose metadata holds the bill and the trace)."""
    context_for(method, None if callable(context) else context)  # a bad method or knob fails now, not mid-run
    graph = method_graph(method)

    async def routemoa(state: Mapping[str, Any], runtime: Runtime) -> dict[str, Any]:
        knobs = context(runtime.context) if callable(context) else context
        output = await graph.ainvoke({"messages": list(state["messages"])}, context=context_for(method, knobs))
        answer: AIMessage = output["messages"][-1]
        metadata = {**answer.response_metadata, "bill": output.get("bill"), "trace": output.get("trace")}
        return {"messages": [answer.model_copy(update={"response_metadata": metadata})]}

    routemoa.__doc__ = METHODS[method].description
    return routemoa


class _Question(BaseModel):
    question: str = Field(description="The complete question, with every detail the answer needs.")


def as_tool(
    method: str = "routemoa",
    context: ContextSource = None,
    *,
    name: str = "routemoa",
    description: str | None = None,
) -> BaseTool:
    """A LangChain tool (for create_agent / create_react_agent or `bind_tools`) that answers a question
    with `method`; a run in which every model failed is a tool error the agent sees as text."""
    knobs = context_for(method, context)
    graph = method_graph(method)

    async def answer(question: str) -> str:
        output = await run_query(question, knobs, graph=graph)
        if output.get("error"):
            raise ToolException(f"RouteMoA could not answer: {output['error']}")
        return output["answer"]

    def answer_sync(question: str) -> str:
        from routemoa.chat_model import _run_sync

        return _run_sync(answer(question))

    return StructuredTool.from_function(
        func=answer_sync,
        coroutine=answer,
        name=name,
        description=description
        or "Answer a hard question with a panel of language models (RouteMoA: several models answer, one writes the final answer). Input: the full question.",
        args_schema=_Question,
        handle_tool_error=True,
    )
