"""ModelSpec -> LangChain chat model. Nodes never import an SDK directly.

Provider kinds are a registry: `openai` (any OpenAI-compatible endpoint),
`local` (SmolLM2 in-process) and `replay` (recorded answers) ship built in; `register_provider` adds more
(tests add fakes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

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


def _openai_compatible(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """Any OpenAI-compatible endpoint; the key is read from the environment now."""
    from langchain_openai import ChatOpenAI

    api_key = os.environ.get(spec.api_key_env, "") if spec.api_key_env else ""
    return ChatOpenAI(
        model=spec.model,
        base_url=spec.base_url,
        api_key=api_key or "not-needed",
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.timeout_s,
        max_retries=1,
        stream_usage=True,
    )


def _local(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """SmolLM2-135M-Instruct in this process, shared by every local pool member."""
    from routemoa.local_model import LocalChatModel

    return LocalChatModel(temperature=settings.temperature, max_tokens=settings.max_tokens)


def _replay(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """Recorded answers and costs from RouterBench-style CSVs (see docs/eval.md)."""
    from routemoa.replay import replay_model

    return replay_model(spec, settings)


register_provider("openai", _openai_compatible)
register_provider("local", _local)
register_provider("replay", _replay)
