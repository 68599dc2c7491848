"""Warm a server process at start: what the first request would otherwise load.

The default pool is loaded, the scorer gives it one prior (loading the serving
encoder and any trained checkpoint, encoding the model descriptions); for OpenAI-compatible models one RouteMoA run (two
layers and the aggregator) goes through the graph with the pool's models served
by an in-process transport (nothing leaves the process: every node, the SDK's
reply models, which it builds on first use, and the stream path run once); a
local pool's llama.cpp engine loads a slot per local model. All that runs in a worker thread
(the event loop stays free) that the app's lifespan awaits, for at most
WARM_TIMEOUT_S, before the server accepts requests. Then, in the server's event
loop, the default pool's clients are made for that loop, and what start-up
loaded is collected once and frozen out of later garbage collections
(`gc.freeze`). A failure is logged, never raised: the first request then meets
the same problem and reports it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
import tempfile
import time
from pathlib import Path

import httpx
import yaml

log = logging.getLogger(__name__)

WARM_QUERY = "warm-up"
"""The query the scorer encodes once at start."""
WARM_ANSWER = "4"
"""What the in-process models answer during the warm-up run."""
WARM_PROVIDER = "routemoa-warm"
"""Provider kind of the warm-up run's in-process models (registered by the warm-up)."""
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
        _warm_run(pool)
    if "local" in kinds:
        from routemoa.local_engine import engine

        engine().warm(sum(spec.provider == "local" for spec in pool.models))
    return time.perf_counter() - started


def _mock_provider(request: httpx.Request) -> httpx.Response:
    """An OpenAI-compatible reply, plain or streamed, made in this process (nothing is sent anywhere):
    agents get a scored JSON reply with a low self score (so the run goes on), the aggregator a text."""
    body = json.loads(request.content)
    prompt = json.dumps(body["messages"])
    text = WARM_ANSWER
    if "self_score" in prompt:
        reply: dict = {"answer": WARM_ANSWER, "self_score": 0.1}
        if "peer_scores" in prompt:
            reply["peer_scores"] = [0.1] * len(set(re.findall(r"ANSWER_(\d+) begin", prompt)))
        text = json.dumps(reply)
    base = {"id": "warm", "created": 0, "model": body["model"]}
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    if not body.get("stream"):
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        return httpx.Response(200, json={**base, "object": "chat.completion", "choices": [choice], "usage": usage})
    chunks = [
        {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}],
        },
        {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage},
    ]
    events = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, text=events, headers={"content-type": "text/event-stream"})


def _in_process_model(spec, settings):
    """The OpenAI-compatible client on an in-process transport (provider kind WARM_PROVIDER)."""
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(
        model=spec.name,
        base_url="http://warm.invalid/v1",
        api_key=SecretStr("warm"),
        max_retries=0,
        stream_usage=True,
        temperature=settings.temperature,
        max_completion_tokens=settings.max_tokens,  # ChatOpenAI.max_tokens, by its alias
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(_mock_provider)),
    )


def _warm_run(pool) -> None:
    """One RouteMoA run (two layers and the aggregator) over `pool`'s models served in-process: every
    node, the scorer, the SDK's reply models (built on first use) and the stream path run once."""
    from routemoa.context import CHECKED, Context
    from routemoa.providers import register_provider
    from routemoa.runner import run_query

    register_provider(WARM_PROVIDER, _in_process_model)
    models = [
        {
            "name": m.name,
            "provider": WARM_PROVIDER,
            "description": m.description,
            "input_price": m.input_price,
            "output_price": m.output_price,
        }
        for m in pool.models
    ]
    with tempfile.TemporaryDirectory(prefix="routemoa-warm-") as folder:
        path = Path(folder) / "pool.yaml"
        path.write_text(yaml.safe_dump({"models": models}))
        ctx = Context(pool=str(path), top_k=min(3, len(models)), max_layers=2, threshold=1.0)
        setattr(ctx, CHECKED, True)  # the server's own run: no client chose this file
        out = asyncio.run(run_query(WARM_QUERY, ctx))
    if out.get("error"):
        raise RuntimeError(f"warm-up run failed: {out['error']}")


def _warm_logged() -> None:
    try:
        log.info("RouteMoA warmed up in %.1fs (default pool, scorer, providers)", warm())
    except Exception as exc:  # the server still serves; the first request meets the same problem
        log.warning("RouteMoA warm-up failed: %s: %s", type(exc).__name__, str(exc)[:300])


def _clients_for_this_loop() -> None:
    """The default pool's OpenAI-compatible clients with the default settings (agents and aggregator),
    made in the server's event loop: clients belong to the loop that serves the requests (routemoa.providers.openai)."""
    from dataclasses import replace

    from routemoa.calls import settings_for
    from routemoa.methods import METHODS
    from routemoa.operator_pools import default_pool_reference
    from routemoa.pool import load_pool
    from routemoa.providers import chat_model

    ctx = METHODS["routemoa"].context()
    for spec in load_pool(default_pool_reference()).models:
        if spec.provider == "openai":
            chat_model(spec, replace(settings_for(spec, ctx), streaming=False))  # agents: nobody sees their tokens
            chat_model(spec, settings_for(spec, ctx, ctx.temperature / 2))


async def warm_up(timeout_s: float = WARM_TIMEOUT_S) -> None:
    """Warm this process in a worker thread, then make the default pool's clients for this event loop;
    return when done, or after `timeout_s` (the thread then goes on alone)."""
    work = asyncio.ensure_future(asyncio.to_thread(_warm_logged))
    try:
        await asyncio.wait_for(asyncio.shield(work), timeout_s)
    except TimeoutError:
        log.warning("RouteMoA warm-up still running after %.0fs; serving meanwhile", timeout_s)
        return
    try:
        _clients_for_this_loop()
    except Exception as exc:  # as for the thread's part: the first request meets it and reports it
        log.warning("RouteMoA warm-up of the clients failed: %s: %s", type(exc).__name__, str(exc)[:300])
    # What start-up loaded (libraries, models, the warm run) lives as long as the process: collect once now
    # and keep it out of later collections, else the first full collection, scanning all of it, lands on a request.
    gc.collect()
    gc.freeze()
