"""Warm a server process at start: what the first request would otherwise load.

The default pool is loaded, the scorer gives it one prior (importing
sentence-transformers, loading the encoder and any trained checkpoint, encoding
the model descriptions), the providers' client library is imported and a local
pool's llama.cpp engine loads a slot. The app's lifespan awaits it in a worker
thread (the event loop stays free) before the server accepts requests, for at
most WARM_TIMEOUT_S; a failure is logged, never raised: the first request then
meets the same problem and reports it.
"""

from __future__ import annotations

import asyncio
import logging
import time

log = logging.getLogger(__name__)

WARM_QUERY = "warm-up"
"""The query the scorer encodes once at start."""
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
        import langchain_openai  # noqa: F401  (seconds of imports a first call would pay)
    if "local" in kinds:
        from routemoa.local_engine import engine

        engine().warm()
    return time.perf_counter() - started


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
