"""`ChatRouteMoA`: RouteMoA as a LangChain chat model (invoke, ainvoke, stream, astream, batch).

    from routemoa.chat_model import ChatRouteMoA
    llm = ChatRouteMoA(pool="pools/api.yaml", max_layers=2)
    reply = llm.invoke("What is the capital of Australia?")
    reply.content                          # the final answer
    reply.usage_metadata                   # tokens of every call of the run
    reply.response_metadata["bill"]        # dollars and seconds per model
    reply.response_metadata["trace"]       # models, scores and decision per layer

Every field of `routemoa.context.Context` is a field of this model (None = the
method's default), and a call keyword or `bind(...)` of the same name overrides
it for that call: `stop`, `temperature`, `max_tokens`, `response_format`, or any
other knob. System messages reach the agents and the aggregator.
`with_structured_output(schema)` asks the aggregator for the schema and validates
the reply. Tools are not supported (`bind_tools` says so). The graph runs in this
process; streaming yields the aggregator's tokens as they are written
(`routemoa.runner.stream_answer`). A run in which every model failed raises
`RouteMoAFailed`.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import fields
from operator import itemgetter
from typing import Any, cast, get_type_hints

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, AnyMessage, BaseMessage, UsageMetadata
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel, Field, create_model, model_validator

from routemoa.context import CONTEXT_FIELDS, Context
from routemoa.method_context import context_for
from routemoa.runner import Finished, Token, method_graph, stream_answer

SUPPORTED = (
    "invoke/ainvoke/stream/astream/batch on text and message lists (system messages included), the call options "
    "stop, temperature, max_tokens, response_format and every other RouteMoA knob (as keywords or via bind), "
    "and with_structured_output(schema)"
)


class RouteMoAFailed(RuntimeError):
    """Every model of the run failed, so there is no answer."""


def _any(messages: list[BaseMessage]) -> list[AnyMessage]:
    """LangChain hands a chat model its concrete message classes, the members of AnyMessage."""
    return cast("list[AnyMessage]", messages)


def _usage(bill: dict[str, Any]) -> UsageMetadata:
    inp, out = int(bill.get("input_tokens") or 0), int(bill.get("output_tokens") or 0)
    return UsageMetadata(input_tokens=inp, output_tokens=out, total_tokens=inp + out)


def _metadata(output: dict[str, Any]) -> dict[str, Any]:
    trace = output.get("trace") or []
    return {
        "model_name": "routemoa",
        "bill": output.get("bill") or {},
        "trace": trace,
        "decision": trace[-1].get("decision") if trace else None,
    }


class _ChatRouteMoA(BaseChatModel):
    """RouteMoA behind the LangChain chat-model interface (the knob fields are added below)."""

    method: str = Field(
        default="routemoa", description="The method whose graph runs: routemoa, moa, smoa, single or random_k."
    )
    knobs: dict[str, Any] = Field(default_factory=dict, description="Knobs by name, as an alternative to the fields.")

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_fields(cls, values: Any) -> Any:
        """A misspelt knob is an error, not silently ignored (LangChain's models ignore unknown fields);
        a TypeError, as for any unexpected keyword argument, so pydantic passes it on as it is."""
        if isinstance(values, dict):
            known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
            unknown = [key for key in values if key not in known]
            if unknown:
                raise TypeError(
                    f"ChatRouteMoA got an unexpected keyword argument '{str(unknown[0])[:60]}' "
                    f"(its knobs: {', '.join(CONTEXT_FIELDS)}; also method, knobs and LangChain's own fields)"
                )
        return values

    @property
    def _llm_type(self) -> str:
        return "routemoa"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"method": self.method, "context": self.context().explicit()}

    def context(self, **overrides: Any) -> Context:
        """The Context a call runs with: the fields set, `knobs`, then `overrides` (ValueError on a bad knob)."""
        named = {name: getattr(self, name) for name in CONTEXT_FIELDS if getattr(self, name) is not None}
        return context_for(self.method, {**named, **self.knobs, **overrides})

    def _call_context(self, stop: list[str] | None, options: dict[str, Any]) -> Context:
        """The Context of one call: call keywords (and bound ones) override the fields."""
        options = {k: v for k, v in options.items() if not k.startswith("ls_")}
        unknown = [k for k in options if k not in CONTEXT_FIELDS]
        if unknown:
            raise ValueError(f"ChatRouteMoA does not support the call option '{unknown[0]}'; it supports {SUPPORTED}")
        if stop:
            options["stop"] = list(stop)
        return self.context(**options)

    @staticmethod
    def _checked(output: dict[str, Any]) -> dict[str, Any]:
        if output.get("error"):
            raise RouteMoAFailed(f"RouteMoA could not answer: {output['error']}")
        return output

    async def _agenerate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        context = self._call_context(stop, kwargs)
        async for item in stream_answer(_any(messages), context, graph=method_graph(self.method), tokens=False):
            if isinstance(item, Finished):
                output = self._checked(item.output)
                bill = output.get("bill") or {}
                message = AIMessage(content=item.rest, response_metadata=_metadata(output), usage_metadata=_usage(bill))
        return ChatResult(generations=[ChatGeneration(message=message)], llm_output={"bill": bill})

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        return _run_sync(self._agenerate(messages, stop, **kwargs))

    async def _astream(
        self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        context = self._call_context(stop, kwargs)
        async for item in stream_answer(_any(messages), context, graph=method_graph(self.method)):
            if isinstance(item, Token):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=item.text))
                if run_manager:
                    await run_manager.on_llm_new_token(item.text, chunk=chunk)
                yield chunk
            elif isinstance(item, Finished):
                output = self._checked(item.output)
                yield ChatGenerationChunk(
                    message=AIMessageChunk(
                        content=item.rest,
                        response_metadata=_metadata(output),
                        usage_metadata=_usage(output.get("bill") or {}),
                    )
                )

    def _stream(
        self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in _iterate_sync(self._astream(messages, stop, **kwargs)):
            if run_manager and chunk.message.content:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    def bind_tools(self, tools: Any, **kwargs: Any) -> Runnable:
        """Not supported: RouteMoA's models answer; they do not call tools."""
        raise NotImplementedError(
            f"ChatRouteMoA cannot call tools; it supports {SUPPORTED}. To let a tool-calling agent use RouteMoA, "
            "give it routemoa.as_tool(...)"
        )

    def with_structured_output(self, schema: Any, *, include_raw: bool = False, **kwargs: Any) -> Runnable:
        """A runnable that returns `schema` (a pydantic class, a TypedDict or a JSON schema dict): the
        aggregator is asked for it (response_format json_schema) and the reply is parsed and validated."""
        if kwargs.get("method", "json_schema") != "json_schema" or kwargs.get("tools"):
            raise ValueError(
                f"ChatRouteMoA.with_structured_output supports method='json_schema' only; it supports {SUPPORTED}"
            )
        is_model = isinstance(schema, type) and issubclass(schema, BaseModel)
        json_schema = schema.model_json_schema() if is_model else convert_to_json_schema(schema)
        name = json_schema.get("title") or "answer"
        bound = self.bind(response_format={"type": "json_schema", "json_schema": {"name": name, "schema": json_schema}})
        parser: Runnable = (
            PydanticOutputParser(pydantic_object=schema)
            if is_model
            else JsonOutputParser() | RunnableLambda(_validator(json_schema))
        )
        if not include_raw:
            return bound | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        failed = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=bound) | parsed.with_fallbacks([failed], exception_key="parsing_error")


def _validator(json_schema: dict[str, Any]):
    """A function that returns a parsed JSON value if it matches `json_schema`, else raises ValueError."""
    import jsonschema

    check = jsonschema.validators.validator_for(json_schema)(json_schema)

    def validate(value: Any) -> Any:
        error = jsonschema.exceptions.best_match(check.iter_errors(value))
        if error is not None:
            raise ValueError(f"the answer does not match the schema: {error.message[:300]}")
        return value

    return validate


def _knob_fields() -> dict[str, Any]:
    """One optional field per Context knob, with its description (None: the method's default)."""
    hints = get_type_hints(Context)
    return {
        f.name: (
            hints[f.name] | None,
            Field(default=None, description=f"{f.metadata['description']} (None: the method's default)"),
        )
        for f in fields(Context)
    }


ChatRouteMoA = create_model("ChatRouteMoA", __base__=_ChatRouteMoA, __module__=__name__, **_knob_fields())
ChatRouteMoA.__doc__ = (
    "RouteMoA behind the LangChain chat-model interface; every Context knob is a field (see the module docstring)."
)


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
