"""Warm a server process at start: what the first request would otherwise load.

The default pool is loaded, the scorer gives it one prior (importing
sentence-transformers, loading the encoder and any trained checkpoint, encoding
the model descriptions), the OpenAI-compatible client makes a scored and a
streamed call on an in-process transport (nothing leaves the process; the SDK
builds its reply models on first use) and a local pool's llama.cpp engine loads a slot. The app's lifespan awaits it in a worker
thread (the event loop stays free) before the server accepts requests, for at
most WARM_TIMEOUT_S; a failure is logged, never raised: the first request then
meets the same problem and reports it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx

log = logging.getLogger(__name__)

WARM_QUERY = "warm-up"
"""The query the scorer encodes once at start."""
WARM_REPLY = '{"answer": "4", "self_score": 0.5}'
"""What the in-process transport answers while the client code is exercised."""
WARM_TIMEOUT_S = 120.0
"""Longest the server's start waits for the warm-up."""


def warm() -> float:
    """Load the default pool, its scorer and encoder, and its providers' clients; returns the seconds spent."""
    from routemoa.operator_pools import default_pool_reference
    from routemoa.pool import load_pool
    from routemoa.scorer import pool_prior

    started = time.perf_counter()
    pool = load_pool(default_pool_reference())
    pool_prior(WARM_QUERY, pool)
    kinds = {spec.provider for spec in pool.models}
    if "openai" in kinds:
        asyncio.run(_exercise_openai_client())
    if "local" in kinds:
        from routemoa.local_engine import engine

        engine().warm()
    return time.perf_counter() - started


def _mock_provider(request: httpx.Request) -> httpx.Response:
    """An OpenAI-compatible reply, plain or streamed, made in this process (nothing is sent anywhere)."""
    body = json.loads(request.content)
    base = {"id": "warm", "created": 0, "model": body["model"]}
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    if not body.get("stream"):
        message = {"role": "assistant", "content": WARM_REPLY}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return httpx.Response(200, json={**base, "object": "chat.completion", "choices": [choice], "usage": usage})
    chunks = [
        {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": WARM_REPLY}, "finish_reason": None}]},
        {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage},
    ]
    text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


async def _exercise_openai_client() -> None:
    """A scored call and a streamed call of the OpenAI-compatible client on an in-process transport:
    the SDK builds its reply models on the first reply of each kind, which would be the first request's cost."""
    from langchain_core.messages import HumanMessage
    from langchain_openai import ChatOpenAI

    from routemoa.reply_schema import SCHEMA_NAME, reply_schema

    async with httpx.AsyncClient(transport=httpx.MockTransport(_mock_provider)) as client:
        model = ChatOpenAI(model="warm", base_url="http://warm.invalid/v1", api_key="warm", http_async_client=client,
                           max_retries=0, stream_usage=True)
        scored = {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": reply_schema(0), "strict": True}}
        await model.ainvoke([HumanMessage(content=WARM_QUERY)], response_format=scored)
        async for _ in model.astream([HumanMessage(content=WARM_QUERY)]):
            pass


def _warm_logged() -> None:
    try:
        log.info("RouteMoA warmed up in %.1fs (default pool, scorer, providers)", warm())
    except Exception as exc:  # the server still serves; the first request meets the same problem
        log.warning("RouteMoA warm-up failed: %s: %s", type(exc).__name__, str(exc)[:300])


async def warm_up(timeout_s: float = WARM_TIMEOUT_S) -> None:
    """Warm this process in a worker thread; return when done, or after `timeout_s` (it then goes on alone)."""
    work = asyncio.ensure_future(asyncio.to_thread(_warm_logged))
    try:
        await asyncio.wait_for(asyncio.shield(work), timeout_s)
    except asyncio.TimeoutError:
        log.warning("RouteMoA warm-up still running after %.0fs; serving meanwhile", timeout_s)
