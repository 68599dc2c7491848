"""The provider registry: provider kind -> factory of a LangChain chat model for a ModelSpec.

A factory is a callable, or a "module:function" string imported on first use:
the built-in kinds are strings, so naming a kind imports nothing, and the
registry imports no provider, SDK or evaluation code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from routemoa.spec import ModelSpec

if TYPE_CHECKING:  # loading a pool file names kinds without importing LangChain
    from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class CallSettings:
    """Per-call generation settings taken from the run's context."""

    temperature: float
    max_tokens: int
    timeout_s: float
    streaming: bool = True
    """False: nobody sees the call's tokens, so a provider may make one plain request (LangChain's
    `disable_streaming`) instead of a stream; `calls.call_model` sets it per call."""


ProviderFactory = Callable[[ModelSpec, CallSettings], "BaseChatModel"]

BUILT_IN: dict[str, str] = {
    "openai": "routemoa.providers.openai:openai_model",
    "local": "routemoa.providers.local:local_model",
    "replay": "routemoa.eval.replay_provider:replay_model",
}
"""Kinds every pool file may name: any OpenAI-compatible endpoint, SmolLM2 in-process on
llama.cpp, and recorded answers (RouterBench-style CSVs, see docs/eval.md)."""

_FACTORIES: dict[str, ProviderFactory | str] = dict(BUILT_IN)


def register_provider(kind: str, factory: ProviderFactory | str) -> None:
    """Make `provider: <kind>` valid in pool files, built by `factory` (or "module:function")."""
    _FACTORIES[kind] = factory


def provider_kinds() -> list[str]:
    """Every provider kind a pool file may name."""
    return sorted(_FACTORIES)


def chat_model(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """The chat model that serves `spec`, configured for one call."""
    return _factory(spec.provider)(spec, settings)


def _factory(kind: str) -> ProviderFactory:
    """The callable of `kind`, importing a "module:function" entry once."""
    factory = _FACTORIES[kind]
    if isinstance(factory, str):
        module, _, name = factory.partition(":")
        factory = _FACTORIES[kind] = getattr(importlib.import_module(module), name)
    return factory
