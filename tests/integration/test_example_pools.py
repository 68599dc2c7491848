"""The example pool files load and validate, and build real OpenAI-compatible clients (no request is sent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from routemoa.calls import settings_for
from routemoa.context import Context
from routemoa.pool import PoolError, _load_cached, load_pool
from routemoa.providers import chat_model

POOLS = Path(__file__).resolve().parents[2] / "examples" / "pools"
EXPECTED = {
    "openrouter.yaml": ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "vllm.yaml": ("http://127.0.0.1:8000/v1", None),
    "ollama.yaml": ("http://127.0.0.1:11434/v1", None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_pool_loads(name, monkeypatch):
    base_url, key_env = EXPECTED[name]
    if key_env:
        monkeypatch.setenv(key_env, "test-key")
    pool = load_pool(POOLS / name)
    assert len(pool.models) >= 3 and len(set(pool.names)) == len(pool.names)
    assert all(m.provider == "openai" and m.model and m.base_url for m in pool.models)
    assert pool.models[0].base_url == base_url
    assert {m.api_key_env for m in pool.models} == {key_env}
    model = chat_model(pool.models[0], settings_for(pool.models[0], Context()))
    assert model.openai_api_base == base_url and model.model_name == pool.models[0].model


def test_openrouter_pool_needs_its_key(monkeypatch):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    _load_cached.cache_clear()  # loading is cached per file version, including the key check
    with pytest.raises(PoolError, match="OPENROUTER_API_KEY"):
        load_pool(POOLS / "openrouter.yaml")
