"""Run the graph from Python: one call in, the final output out, answer tokens and layer events on the side.

`stream_answer` is the one streaming adapter: the OpenAI endpoint and
`ChatRouteMoA` both show what it yields, with one fallback rule
(`remaining_text`) for an answer that differs from the tokens already streamed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessageChunk, AnyMessage, HumanMessage

from routemoa.context import Context

EventHandler = Callable[[dict[str, Any]], None]

FALLBACK_NOTE = "\n\n[aggregation failed; best single answer:]\n\n"
"""Sent after streamed tokens when the aggregation broke off midway and the best single answer replaced it."""


@dataclass(frozen=True)
class Token:
    """A piece of the final answer, as the aggregator writes it."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The end of a run: its output state and the text still to show after the tokens."""

    output: dict[str, Any]
    rest: str
    """What follows the streamed tokens so that the reader ends up with the answer (see `remaining_text`)."""


def as_messages(query: str | Sequence[AnyMessage]) -> list[AnyMessage]:
    """A question string becomes one human message; a message list passes through."""
    return [HumanMessage(content=query)] if isinstance(query, str) else list(query)


def remaining_text(streamed: str, answer: str) -> str:
    """The one fallback rule. Nothing streamed (one model answered, no aggregation): the whole
    answer. The streamed tokens are the answer: nothing. Else the aggregation broke off after
    some tokens and the best single answer replaced it: a note, then that answer."""
    sent = streamed.strip()
    if not sent:
        return answer
    if sent == answer.strip():
        return ""
    return FALLBACK_NOTE + answer


def method_graph(method: str = "routemoa"):
    """The compiled graph of `method` (routemoa, moa, smoa, single, random_k; see methods.METHODS)."""
    from routemoa.graph import GRAPHS

    return GRAPHS[method]


async def stream_answer(
    query: str | Sequence[AnyMessage],
    context: Any = None,
    *,
    graph=None,
    config: dict[str, Any] | None = None,
    on_event: EventHandler | None = None,
    tokens: bool = True,
) -> AsyncIterator[Token | Finished]:
    """Run the graph: a `Token` per streamed answer token, then one `Finished`.

    Calls tagged "nostream" (the agents) never reach `messages` mode; what does is the
    aggregator writing the answer. `tokens=False` asks for no tokens: the aggregator is
    then called without streaming and `Finished.rest` holds the whole answer. `on_event`
    gets the per-layer custom events.
    """
    graph = graph if graph is not None else method_graph()
    streamed: list[str] = []
    final: dict[str, Any] = {}
    modes = ["messages"] * tokens + ["custom"] * (on_event is not None) + ["values"]  # only what is consumed
    stream = graph.astream({"messages": as_messages(query)}, config=config, context=context, stream_mode=modes)
    async for mode, data in stream:
        if mode == "messages":
            message, _meta = data
            if isinstance(message, AIMessageChunk) and message.text:
                streamed.append(message.text)
                yield Token(message.text)
        elif mode == "custom" and on_event:
            on_event(data)
        elif mode == "values":
            final = data
    yield Finished(final, remaining_text("".join(streamed), final.get("answer") or ""))


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
    config = {"configurable": {"thread_id": thread_id}} if thread_id else None
    final: dict[str, Any] = {}
    async for item in stream_answer(query, context, graph=graph, config=config, on_event=on_event, tokens=False):
        if isinstance(item, Finished):
            final = item.output
    return final
