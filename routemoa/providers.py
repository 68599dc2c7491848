"""ModelSpec -> LangChain chat model. Nodes never import an SDK directly.

Provider kinds are a registry: `openai` (any OpenAI-compatible endpoint),
`local` (SmolLM2 in-process on llama.cpp) and `replay` (recorded answers) ship built in; `register_provider` adds more
(tests add fakes).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from dataclasses import dataclass
from typing import Callable

import httpx
from langchain_core.language_models import BaseChatModel

from routemoa.pool import ModelSpec


@dataclass(frozen=True)
class CallSettings:
    """Per-call generation settings taken from the run's context."""

    temperature: float
    max_tokens: int
    timeout_s: float


ProviderFactory = Callable[[ModelSpec, CallSettings], BaseChatModel]
_FACTORIES: dict[str, ProviderFactory] = {}


def register_provider(kind: str, factory: ProviderFactory) -> None:
    """Make `provider: <kind>` valid in pool files, built by `factory`."""
    _FACTORIES[kind] = factory


def provider_kinds() -> list[str]:
    """Every provider kind a pool file may name."""
    return sorted(_FACTORIES)


def chat_model(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """The chat model that serves `spec`, configured for one call."""
    return _FACTORIES[spec.provider](spec, settings)


_CLIENTS: dict[int, tuple[asyncio.AbstractEventLoop, dict]] = {}
"""Per event loop: (spec, settings, key digest) -> chat model. An HTTP connection pool belongs to
the loop that opened it, so each loop (each `asyncio.run`, each sync call of ChatRouteMoA) gets its
own clients, reused call after call within it; entries of closed loops are dropped."""
_CLIENTS_LOCK = threading.Lock()


def _openai_compatible(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """Any OpenAI-compatible endpoint; the key is read from the environment now."""
    api_key = os.environ.get(spec.api_key_env, "") if spec.api_key_env else ""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # sync use: a fresh model with the SDK's own sync client
        return _new_openai_model(spec, settings, api_key, None)
    key = (spec, settings, hashlib.sha256(api_key.encode()).hexdigest())
    with _CLIENTS_LOCK:
        entry = _CLIENTS.get(id(loop))
        if entry is None or entry[0] is not loop:
            for stale in [k for k, (other, _) in _CLIENTS.items() if other.is_closed()]:
                del _CLIENTS[stale]
            entry = _CLIENTS[id(loop)] = (loop, {})
        models = entry[1]
        if key not in models:
            models[key] = _new_openai_model(spec, settings, api_key, httpx.AsyncClient(timeout=settings.timeout_s))
        return models[key]


def _new_openai_model(spec: ModelSpec, settings: CallSettings, api_key: str, http_client) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=spec.model,
        base_url=spec.base_url,
        api_key=api_key or "not-needed",
        http_async_client=http_client,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.timeout_s,
        max_retries=0,  # the graph retries, one recorded attempt each (calls.py)
        stream_usage=True,
    )


def _local(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """SmolLM2-135M-Instruct on llama.cpp in this process, shared by every local pool member (see local_model)."""
    from routemoa.local_model import LocalChatModel

    return LocalChatModel(temperature=settings.temperature, max_tokens=settings.max_tokens)


def _replay(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """Recorded answers and costs from RouterBench-style CSVs (see docs/eval.md)."""
    from routemoa.replay import replay_model

    return replay_model(spec, settings)


register_provider("openai", _openai_compatible)
register_provider("local", _local)
register_provider("replay", _replay)
