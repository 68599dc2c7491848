"""Run the graph from Python: one call in, the final output out, layer events on the side."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from langchain_core.messages import AnyMessage, HumanMessage

from routemoa.context import Context

EventHandler = Callable[[dict[str, Any]], None]


def as_messages(query: str | Sequence[AnyMessage]) -> list[AnyMessage]:
    """A question string becomes one human message; a message list passes through."""
    return [HumanMessage(content=query)] if isinstance(query, str) else list(query)


async def run_query(
    query: str | Sequence[AnyMessage],
    context: Context | None = None,
    *,
    graph=None,
    thread_id: str | None = None,
    on_event: EventHandler | None = None,
) -> dict[str, Any]:
    """Answer `query`; returns the output state (messages, answer, bill, trace, error).

    `graph` defaults to the exported graph; pass one compiled with a checkpointer
    together with `thread_id` to continue a conversation. Without `context` the
    graph's method runs with its own defaults. `on_event` receives the per-layer
    custom events (layer_start, layer_done) as they happen.
    """
    if graph is None:
        from routemoa.graph import graph as default_graph

        graph = default_graph
    config = {"configurable": {"thread_id": thread_id}} if thread_id else None
    final: dict[str, Any] = {}
    stream = graph.astream(
        {"messages": as_messages(query)},
        config=config,
        context=context,
        stream_mode=["custom", "values"],
    )
    async for mode, chunk in stream:
        if mode == "custom" and on_event:
            on_event(chunk)
        elif mode == "values":
            final = chunk
    return final

