"""ModelSpec -> LangChain chat model. Nodes never import an SDK directly.

Provider kinds are a registry (routemoa.providers.registry): `openai` (any
OpenAI-compatible endpoint, routemoa.providers.openai), `local` (SmolLM2
in-process on llama.cpp, routemoa.providers.local) and `replay` (recorded
answers, routemoa.eval.replay_provider) ship built in, each imported on first
use; `register_provider` adds more (tests add fakes).
"""

from routemoa.providers.registry import CallSettings, ProviderFactory, chat_model, provider_kinds, register_provider

__all__ = ["CallSettings", "ProviderFactory", "chat_model", "provider_kinds", "register_provider"]
