"""One model call with a timeout, turned into a record. Never raises for provider failures.

The graph makes the retries, not the SDK (providers set the OpenAI client's
`max_retries` to 0): a transient failure (429, 5xx, a dropped connection) is
tried again up to MAX_ATTEMPTS times within the call's timeout, and the record
says how many requests were sent (`attempts`), so the bill counts every request
a provider served. What a provider sends back is untrusted: error texts are cut
to one line and, like answers, scrubbed of the key the provider was sent; token
counts, dollars and queue seconds count only when finite and not negative.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig

from routemoa.context import Context
from routemoa.contracts import Role
from routemoa.providers import CallSettings, chat_model
from routemoa.redact import one_line, scrub, secret_values
from routemoa.scrubbed_model import ScrubbedChatModel
from routemoa.spec import ModelSpec, Pool
from routemoa.state import AgentRecord

NO_STREAM_TAGS = ["nostream"]
"""Tag for calls whose tokens should not reach `messages` stream mode (agents' JSON)."""

MAX_ATTEMPTS = 2
"""Requests per call at most: one retry of a transient failure."""
RETRY_DELAY_S = 0.5
"""Pause before a retry."""
RETRY_STATUSES = frozenset({408, 409, 429})
"""HTTP statuses worth another request, besides every 5xx."""
FORMAT_REJECTED: set[tuple[str | None, str]] = set()
"""(base_url, model) of endpoints that answered 400 to a `response_format` in this process: they get free
text from then on (the reply parser reads it), without the format and without a failed request first."""


@dataclass(frozen=True)
class CallResult:
    """Text, usage, cost and duration of one call, or its error."""

    text: str
    input_tokens: int
    output_tokens: int
    usd: float
    seconds: float
    error: str | None
    attempts: int = 1
    """Requests sent to the provider for this call (retries included)."""
    message_id: str | None = None
    """Id of the reply message (the id its streamed tokens carried)."""
    queue_s: float = 0.0
    """Seconds spent waiting for a free slot of the model (reported by the provider); not in `seconds`."""

    def record(
        self,
        *,
        role: Role,
        layer: int,
        model: str,
        answer: str | None = None,
        self_score: float | None = None,
        peer_scores: list[float | None] | None = None,
    ) -> AgentRecord:
        """This call as a state record; `answer` defaults to the reply text, and an empty one is an error."""
        answer = self.text.strip() if answer is None else answer
        return AgentRecord(
            role=role,
            layer=layer,
            model=model,
            answer=answer,
            self_score=self_score,
            peer_scores=peer_scores,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            usd=self.usd,
            seconds=round(self.seconds, 4),
            error=self.error or (None if answer else "empty answer"),
            attempts=self.attempts,
            queue_s=round(self.queue_s, 4),
        )


def settings_for(spec: ModelSpec, ctx: Context, temperature: float | None = None) -> CallSettings:
    """Generation settings for one call of `spec` under the run's context."""
    max_tokens = min(ctx.max_tokens, spec.max_tokens) if spec.max_tokens else ctx.max_tokens
    return CallSettings(
        temperature=ctx.temperature if temperature is None else temperature,
        max_tokens=max_tokens,
        timeout_s=ctx.call_timeout_s,
    )


def _reported(value: Any) -> float | None:
    """A number a provider reported (tokens, dollars, seconds) when it is finite and not negative, else
    None: provider output is untrusted, and a negative count would lower the bill and what a budget
    counts as spent (-100,000 tokens billed a run -$0.90)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def _estimate_tokens(text: str) -> int:
    """Rough token count (4 characters a token) for providers that report no usage."""
    return max(1, len(text) // 4)


def _error_line(exc: BaseException, secrets: list[str]) -> str:
    """The exception as one line, scrubbed of `secrets` before it is cut."""
    return one_line(scrub(f"{type(exc).__name__}: {str(exc) or 'no message'}", secrets))


def _transient(exc: BaseException) -> bool:
    """Whether another request may succeed: a retryable HTTP status or a failed connection (not a timeout)."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status in RETRY_STATUSES or status >= 500
    openai = sys.modules.get("openai")  # not imported: the error cannot be one of its (no import inside the loop)
    return (
        openai is not None
        and isinstance(exc, openai.APIConnectionError)
        and not isinstance(exc, openai.APITimeoutError)
    )


def _endpoint(spec: ModelSpec) -> tuple[str | None, str]:
    return spec.base_url, spec.model or spec.name


def _format_rejected(exc: BaseException) -> bool:
    """Whether a server refused the request's `response_format` (a 400 that names it)."""
    text = str(exc).lower()
    return getattr(exc, "status_code", None) == 400 and ("response_format" in text or "json_schema" in text)


async def call_model(
    spec: ModelSpec,
    messages: Sequence[BaseMessage],
    settings: CallSettings,
    *,
    stream_tokens: bool = False,
    **options: Any,
) -> CallResult:
    """Call `spec` (retrying a transient failure); a provider error or timeout becomes `CallResult.error`.
    `options` (e.g. `stop`, `response_format`) go to the provider with the call."""
    start = time.perf_counter()
    config: RunnableConfig | None = None if stream_tokens else {"tags": NO_STREAM_TAGS}
    secrets = secret_values(Pool(models=(spec,), source=spec.name))
    deadline, attempts = start + settings.timeout_s, 0
    if "response_format" in options and _endpoint(spec) in FORMAT_REJECTED:
        options = {k: v for k, v in options.items() if k != "response_format"}
    if settings.streaming != stream_tokens:
        settings = replace(settings, streaming=stream_tokens)
    try:
        model = chat_model(spec, settings)
        if not stream_tokens and model.disable_streaming is not True:  # a provider that ignores `streaming`
            model = model.model_copy(update={"disable_streaming": True})
        if secrets and stream_tokens:  # streamed tokens reach clients before any record does; a reply
            # nobody streams is scrubbed below, in the one text that leaves this call
            model = ScrubbedChatModel(inner=model, secrets=secrets)
        while True:
            attempts += 1
            try:
                async with asyncio.timeout(deadline - time.perf_counter()):  # in this task: no task per call
                    reply = await model.ainvoke(messages, config=config, **options)
                break
            except Exception as exc:
                if "response_format" in options and _format_rejected(exc):  # once more, in free text
                    FORMAT_REJECTED.add(_endpoint(spec))
                    options = {k: v for k, v in options.items() if k != "response_format"}
                    continue
                if attempts >= MAX_ATTEMPTS or not _transient(exc) or time.perf_counter() + RETRY_DELAY_S >= deadline:
                    raise
            await asyncio.sleep(RETRY_DELAY_S)
    except TimeoutError:
        seconds = time.perf_counter() - start
        return CallResult("", 0, 0, 0.0, seconds, f"timeout after {settings.timeout_s:g}s", attempts=attempts)
    except Exception as exc:  # any provider failure degrades the answer, never the run
        return CallResult("", 0, 0, 0.0, time.perf_counter() - start, _error_line(exc, secrets), attempts=attempts)
    # The call itself: a provider that queued it (the local model's slots) says how long it waited.
    metadata: Mapping[str, Any] = reply.response_metadata or {}
    queue_s = min(_reported(metadata.get("queue_s")) or 0.0, time.perf_counter() - start)
    seconds = time.perf_counter() - start - queue_s
    text = scrub(str(reply.text), secrets)
    usage: Mapping[str, Any] = reply.usage_metadata or {}
    prompt_chars = "".join(m.text for m in messages)
    input_tokens = int(_reported(usage.get("input_tokens")) or _estimate_tokens(prompt_chars))
    output_tokens = int(_reported(usage.get("output_tokens")) or _estimate_tokens(text))
    reported_usd = _reported(metadata.get("cost_usd"))
    usd = reported_usd if reported_usd is not None else spec.call_cost(input_tokens, output_tokens)
    return CallResult(
        text, input_tokens, output_tokens, usd, seconds, None, attempts=attempts, message_id=reply.id, queue_s=queue_s
    )
