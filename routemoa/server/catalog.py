"""What `/v1/models` says about each method: its description, the pool it serves, and each pool
model with OpenRouter-style fields (`pricing` in dollars per token as strings, `context_length`).

Pure functions over a loaded pool; `app.py` loads the operator's default pool (off the event loop).
Pool model entries never carry endpoints, key variable names or paths: a client sees names,
descriptions, prices and limits only.
"""

from __future__ import annotations

from typing import Any

from routemoa.methods import METHODS
from routemoa.spec import ModelSpec, Pool


def per_token(dollars_per_million: float) -> str:
    """A price per million tokens as OpenRouter writes it: dollars per token, a decimal string."""
    return f"{dollars_per_million / 1e6:.12f}".rstrip("0").rstrip(".") or "0"


def pool_model(spec: ModelSpec) -> dict[str, Any]:
    """One pool model as an OpenRouter-style model object."""
    return {
        "id": spec.name,
        "name": spec.name,
        "description": spec.description,
        "context_length": spec.context_window,
        "pricing": {"prompt": per_token(spec.input_price), "completion": per_token(spec.output_price)},
        "top_provider": {"context_length": spec.context_window, "max_completion_tokens": spec.max_tokens},
        "expected_latency_s": spec.latency_s,
    }


def method_entry(name: str, pool_name: str, pool: Pool | None) -> dict[str, Any]:
    """One method of methods.METHODS as a `/v1/models` object, with the pool it serves by default (None: it failed to load)."""
    entry: dict[str, Any] = {
        "id": name,
        "object": "model",
        "created": 0,
        "owned_by": "routemoa",
        "name": name,
        "description": METHODS[name].description,
    }
    if pool is None:
        entry["pool"] = {
            "name": pool_name,
            "error": "this pool cannot be loaded on the server (the operator's log says why)",
        }
        return entry
    entry["context_length"] = min(m.context_window for m in pool.models)
    entry["pool"] = {"name": pool_name, "models": [pool_model(m) for m in pool.models]}
    return entry
