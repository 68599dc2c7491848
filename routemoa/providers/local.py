"""Provider `local`: SmolLM2-135M-Instruct on llama.cpp in this process, as a LangChain chat model.

Calls go to the process's `routemoa.local_engine.engine()` (a few llama.cpp
slots, so a layer's calls decode concurrently). Per call, `temperature`,
`max_tokens`, `stop` and an OpenAI-style `response_format` are honoured, e.g.
`model.bind(response_format={"type": "json_schema", "json_schema": {"name": "reply", "schema": {...}}})`
or `{"type": "json_object"}`; the reply is then decoded under a llama.cpp grammar.

Every reply carries `usage_metadata` (token counts from the tokenizer) and
`response_metadata` with `model_name`, `finish_reason` (`stop` | `length`),
`queue_s` (seconds waiting for a free slot) and `generation_s` (seconds the
call itself ran; queue wait not included).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from routemoa.local_engine import MODEL_NAME, LocalModelUnavailable, Outcome, Request, canonical_response_format, engine
from routemoa.providers.registry import CallSettings
from routemoa.spec import ModelSpec

__all__ = ["LocalChatModel", "LocalModelUnavailable", "local_model"]

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}
_CALL_OPTIONS = {"temperature", "max_tokens", "response_format"}


def _to_chat(messages: list[BaseMessage]) -> tuple[dict[str, str], ...]:
    return tuple({"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages)


def _usage(outcome: Outcome) -> UsageMetadata:
    total = outcome.prompt_tokens + outcome.output_tokens
    return {"input_tokens": outcome.prompt_tokens, "output_tokens": outcome.output_tokens, "total_tokens": total}


def _metadata(outcome: Outcome) -> dict[str, Any]:
    return {
        "model_name": MODEL_NAME,
        "finish_reason": outcome.finish_reason,
        "queue_s": round(outcome.queue_s, 4),
        "generation_s": round(outcome.generation_s, 4),
    }


class LocalChatModel(BaseChatModel):
    """SmolLM2-135M-Instruct (llama.cpp) as a LangChain chat model: invoke, ainvoke, stream, astream."""

    temperature: float = 0.7
    max_tokens: int = 256
    response_format: dict[str, Any] | None = None
    """Default `response_format` for every call (a call's own kwarg wins)."""

    @property
    def _llm_type(self) -> str:
        return "routemoa-local-llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": MODEL_NAME, "temperature": self.temperature, "max_tokens": self.max_tokens}

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> Request:
        unknown = {k for k in kwargs if k not in _CALL_OPTIONS and not k.startswith("ls_")}
        if unknown:
            raise TypeError(f"local model: unsupported call options {sorted(unknown)}")
        max_tokens = int(kwargs.get("max_tokens", self.max_tokens))
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        return Request(
            messages=_to_chat(messages),
            temperature=max(0.0, float(kwargs.get("temperature", self.temperature))),
            max_tokens=max_tokens,
            stop=tuple(stop or ()),
            response_format=canonical_response_format(kwargs.get("response_format", self.response_format)),
        )

    @staticmethod
    def _result(outcome: Outcome) -> ChatResult:
        message = AIMessage(content=outcome.text, usage_metadata=_usage(outcome), response_metadata=_metadata(outcome))
        return ChatResult(generations=[ChatGeneration(message=message)])

    @staticmethod
    def _last_chunk(outcome: Outcome) -> ChatGenerationChunk:
        message = AIMessageChunk(content="", usage_metadata=_usage(outcome), response_metadata=_metadata(outcome))
        return ChatGenerationChunk(message=message)

    def _generate(
        self, messages, stop=None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        cancel = threading.Event()
        future = engine().submit(request, cancel)
        try:
            return self._result(future.result())
        except BaseException:
            cancel.set()
            raise

    async def _agenerate(
        self, messages, stop=None, run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        cancel = threading.Event()
        future = engine().submit(request, cancel)
        try:
            return self._result(await asyncio.wrap_future(future))
        except BaseException:  # cancelled (e.g. a timeout): stop decoding at the next token
            cancel.set()
            raise

    def _stream(
        self, messages, stop=None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, kwargs)
        pieces: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        cancel = threading.Event()
        future = engine().submit(request, cancel, pieces.put)
        future.add_done_callback(lambda _: pieces.put(None))
        try:
            while (piece := pieces.get()) is not None:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
            yield self._last_chunk(future.result())
        finally:
            cancel.set()  # a consumer that stops early frees the slot

    async def _astream(
        self, messages, stop=None, run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        request = self._request(messages, stop, kwargs)
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[str | None] = asyncio.Queue()
        cancel = threading.Event()

        def deliver(piece: str) -> None:
            loop.call_soon_threadsafe(pieces.put_nowait, piece)

        future = engine().submit(request, cancel, deliver)
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(pieces.put_nowait, None))
        try:
            while (piece := await pieces.get()) is not None:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    await run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
            yield self._last_chunk(future.result())
        finally:
            cancel.set()


def local_model(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """Provider `local`: one llama.cpp engine in this process, shared by every local pool member."""
    return LocalChatModel(temperature=settings.temperature, max_tokens=settings.max_tokens)
