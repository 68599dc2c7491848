"""A chat model whose replies, whole or streamed token by token, are scrubbed of secrets at the source.

Streamed tokens reach clients through LangGraph's `messages` stream mode (the
OpenAI endpoint, LangGraph API runs, Studio) before any node sees the reply, so
scrubbing the record is not enough: `call_model` wraps the provider's model in
`ScrubbedChatModel`, which calls it out of the stream (tag `nostream`) and
streams scrubbed pieces itself (see redact.StreamScrubber).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from routemoa.redact import StreamScrubber, scrub

HIDDEN_TAGS = ["nostream"]
"""The wrapped model's own run stays out of `messages` stream mode: only scrubbed tokens are streamed."""


class ScrubbedChatModel(BaseChatModel):
    """`inner` with `secrets` replaced by [REDACTED] in every reply and streamed token.

    Replies and chunks carry this model's run id (not the inner run's), so the streamed
    tokens and the final message share one id, as with an unwrapped model."""

    inner: BaseChatModel
    secrets: list[str]

    @property
    def _llm_type(self) -> str:
        return "routemoa-scrubbed"

    def _clean(self, message: BaseMessage) -> AIMessage:
        return AIMessage(
            content=scrub(message.text, self.secrets),
            usage_metadata=getattr(message, "usage_metadata", None),
            response_metadata=message.response_metadata,
        )

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        reply = self.inner.invoke(messages, {"tags": HIDDEN_TAGS}, stop=stop, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=self._clean(reply))])

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        reply = await self.inner.ainvoke(messages, {"tags": HIDDEN_TAGS}, stop=stop, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=self._clean(reply))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        scrubber = StreamScrubber(self.secrets)
        for chunk in self.inner.stream(messages, {"tags": HIDDEN_TAGS}, stop=stop, **kwargs):
            yield self._piece(chunk, scrubber.feed(chunk.text))
        yield ChatGenerationChunk(message=AIMessageChunk(content=scrubber.flush()))

    async def _astream(
        self, messages, stop=None, run_manager=None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        scrubber = StreamScrubber(self.secrets)
        async for chunk in self.inner.astream(messages, {"tags": HIDDEN_TAGS}, stop=stop, **kwargs):
            yield self._piece(chunk, scrubber.feed(chunk.text))
        yield ChatGenerationChunk(message=AIMessageChunk(content=scrubber.flush()))

    @staticmethod
    def _piece(chunk: AIMessageChunk, text: str) -> ChatGenerationChunk:
        return ChatGenerationChunk(
            message=AIMessageChunk(
                content=text, usage_metadata=chunk.usage_metadata, response_metadata=chunk.response_metadata
            )
        )
