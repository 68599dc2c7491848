"""`ChatRouteMoA`: RouteMoA as a LangChain chat model (invoke, ainvoke, stream, astream, batch).

    from routemoa.chat_model import ChatRouteMoA
    llm = ChatRouteMoA(pool="pools/api.yaml", max_layers=2)
    reply = llm.invoke("What is the capital of Australia?")
    reply.content                          # the final answer
    reply.usage_metadata                   # tokens of every call of the run
    reply.response_metadata["bill"]        # dollars and seconds per model
    reply.response_metadata["trace"]       # models, scores and decision per layer

The graph runs in this process (routemoa.runner.run_query); knobs are fields.
Streaming yields the aggregator's tokens as they are written. A run in which
every model failed raises `RouteMoAFailed`.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any, AsyncIterator, Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from routemoa.context import Context
from routemoa.runner import as_messages, run_query

_DEFAULTS = Context.__dataclass_fields__


class RouteMoAFailed(RuntimeError):
    """Every model of the run failed, so there is no answer."""


def _usage(bill: dict[str, Any]) -> dict[str, int]:
    inp, out = int(bill.get("input_tokens") or 0), int(bill.get("output_tokens") or 0)
    return {"input_tokens": inp, "output_tokens": out, "total_tokens": inp + out}


def _metadata(output: dict[str, Any]) -> dict[str, Any]:
    trace = output.get("trace") or []
    return {
        "model_name": "routemoa",
        "bill": output.get("bill") or {},
        "trace": trace,
        "decision": trace[-1].get("decision") if trace else None,
    }


class ChatRouteMoA(BaseChatModel):
    """RouteMoA behind the LangChain chat-model interface; every field is a RouteMoA knob."""

    pool: str | None = Field(default=None, description=_DEFAULTS["pool"].metadata["description"])
    top_k: int = Field(default=_DEFAULTS["top_k"].default, description=_DEFAULTS["top_k"].metadata["description"])
    max_layers: int = Field(default=_DEFAULTS["max_layers"].default, description=_DEFAULTS["max_layers"].metadata["description"])
    threshold: float = Field(default=_DEFAULTS["threshold"].default, description=_DEFAULTS["threshold"].metadata["description"])
    aggregator: str = Field(default=_DEFAULTS["aggregator"].default, description=_DEFAULTS["aggregator"].metadata["description"])
    temperature: float = Field(default=_DEFAULTS["temperature"].default, description=_DEFAULTS["temperature"].metadata["description"])
    max_tokens: int = Field(default=_DEFAULTS["max_tokens"].default, description=_DEFAULTS["max_tokens"].metadata["description"])
    knobs: dict[str, Any] = Field(default_factory=dict, description="Any other routemoa.context.Context field, by name.")

    @property
    def _llm_type(self) -> str:
        return "routemoa"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"context": self.context().__dict__}

    def context(self) -> Context:
        """The Context every call of this model runs with (ValueError on a bad knob)."""
        names = ("pool", "top_k", "max_layers", "threshold", "aggregator", "temperature", "max_tokens")
        named = {k: getattr(self, k) for k in names if getattr(self, k) is not None}
        return Context.from_mapping("routemoa", {**named, **self.knobs})

    @staticmethod
    def _checked(output: dict[str, Any]) -> dict[str, Any]:
        if output.get("error"):
            raise RouteMoAFailed(f"RouteMoA could not answer: {output['error']}")
        return output

    async def _agenerate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        output = self._checked(await run_query(messages, self.context()))
        bill = output.get("bill") or {}
        message = AIMessage(content=output.get("answer") or "", response_metadata=_metadata(output), usage_metadata=_usage(bill))
        return ChatResult(generations=[ChatGeneration(message=message)], llm_output={"bill": bill})

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        return _run_sync(self._agenerate(messages, stop, **kwargs))

    async def _astream(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        from routemoa.graph import graph

        final: dict[str, Any] = {}
        sent: list[str] = []
        stream = graph.astream({"messages": as_messages(messages)}, context=self.context(), stream_mode=["messages", "values"])
        async for mode, data in stream:
            if mode == "values":
                final = data
                continue
            message, _meta = data
            if isinstance(message, AIMessageChunk) and message.text:
                sent.append(message.text)
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=message.text))
                if run_manager:
                    await run_manager.on_llm_new_token(message.text, chunk=chunk)
                yield chunk
        output = self._checked(final)
        answer, streamed = output.get("answer") or "", "".join(sent).strip()
        rest = answer if not streamed else ("" if streamed == answer else f"\n\n{answer}")
        yield ChatGenerationChunk(
            message=AIMessageChunk(content=rest, response_metadata=_metadata(output), usage_metadata=_usage(output.get("bill") or {}))
        )

    def _stream(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for chunk in _iterate_sync(self._astream(messages, stop, **kwargs)):
            if run_manager and chunk.message.content:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _run_sync(coro):
    """Run a coroutine from sync code, also when the caller's thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: box.update(result=_capture(coro)), daemon=True)
    worker.start()
    worker.join()
    if "error" in box["result"]:
        raise box["result"]["error"]
    return box["result"]["value"]


def _capture(coro) -> dict[str, Any]:
    try:
        return {"value": asyncio.run(coro)}
    except BaseException as exc:  # re-raised in the caller's thread
        return {"error": exc}


_DONE = object()


def _iterate_sync(agen: AsyncIterator[Any]) -> Iterator[Any]:
    """Iterate an async generator from sync code: it runs on its own loop in a worker thread."""
    items: queue.Queue = queue.Queue()

    async def pump() -> None:
        try:
            async for item in agen:
                items.put(("item", item))
        except BaseException as exc:
            items.put(("error", exc))
        finally:
            items.put(("done", _DONE))

    worker = threading.Thread(target=lambda: asyncio.run(pump()), daemon=True)
    worker.start()
    while True:
        kind, value = items.get()
        if kind == "item":
            yield value
        elif kind == "error":
            worker.join()
            raise value
        else:
            worker.join()
            return
