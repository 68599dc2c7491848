"""The model pool: which models RouteMoA may call, what they cost, how to reach them.

A pool is a YAML file::

    scorer: checkpoints/routerdc7     # optional, relative to this file
    models:
      - name: gpt-4o-mini
        provider: openai              # any OpenAI-compatible endpoint
        base_url: https://openrouter.ai/api/v1
        model: openai/gpt-4o-mini
        api_key_env: OPENROUTER_API_KEY
        input_price: 0.15             # dollars per million input tokens
        output_price: 0.60            # dollars per million output tokens
        latency_s: 2.0                # expected seconds per call
        context_window: 128000
        description: fast generalist, good at short factual answers

Loading validates every field and raises `PoolError` with one line that names
the file, the model and the field.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from routemoa.errors import UserError

EMBEDDED_POOL = "embedded"
"""The pool name that means the pool shipped inside the package (local SmolLM2 roles)."""

PROVIDERS_NEEDING_ENDPOINT = {"openai"}


class PoolError(UserError):
    """A pool file that cannot be used; the message names file, model and field."""


@dataclass(frozen=True)
class ModelSpec:
    """One model of the pool."""

    name: str
    """Unique name, used in traces, bills and the scorer checkpoint."""
    provider: str
    """Provider kind: `openai` (any OpenAI-compatible endpoint), `local` (in-process SmolLM2), or a registered one."""
    description: str
    """What the model is good at; the zero-shot prior compares the query with it."""
    input_price: float = 0.0
    """Dollars per million input tokens."""
    output_price: float = 0.0
    """Dollars per million output tokens."""
    latency_s: float = 1.0
    """Expected seconds per call; breaks ranking ties and orders fallbacks."""
    context_window: int = 8192
    """Maximum tokens of prompt plus answer."""
    model: str | None = None
    """The provider's model id (for `openai`: the `model` field of the request)."""
    base_url: str | None = None
    """Endpoint base URL for `openai` providers (e.g. http://127.0.0.1:8000/v1)."""
    api_key_env: str | None = None
    """Environment variable that holds the API key; read at call time, never stored."""
    system_prompt: str | None = None
    """Optional role prompt prepended to every call of this model."""
    max_tokens: int | None = None
    """Optional cap on answer tokens for this model (the run's max_tokens still applies)."""
    options: dict[str, Any] = field(default_factory=dict, hash=False)
    """Provider-specific extras (e.g. `path` of a replay CSV)."""

    def call_cost(self, input_tokens: int, output_tokens: int) -> float:
        """Dollars for one call with these token counts."""
        return (input_tokens * self.input_price + output_tokens * self.output_price) / 1e6


@dataclass(frozen=True)
class Pool:
    """A validated pool: its models in file order and an optional scorer checkpoint."""

    models: tuple[ModelSpec, ...]
    source: str
    """Where the pool came from (a path, or `embedded`)."""
    scorer: str | None = None
    """Absolute path of a trained scorer checkpoint, or None for the zero-shot prior."""

    @property
    def names(self) -> list[str]:
        """Model names in pool order."""
        return [m.name for m in self.models]

    def get(self, name: str) -> ModelSpec:
        """The model called `name` (KeyError if absent)."""
        for spec in self.models:
            if spec.name == name:
                return spec
        raise KeyError(name)


_SPEC_FIELDS = {f.name: f for f in fields(ModelSpec)}
_REQUIRED = ("name", "provider", "description")
_NON_NEGATIVE = ("input_price", "output_price", "latency_s")


def _check_model(raw: Any, index: int, where: str, known_providers: set[str]) -> ModelSpec:
    """Validate one raw model entry and build its ModelSpec."""
    if not isinstance(raw, dict):
        raise PoolError(f"{where}: models[{index}]: must be a mapping, got {type(raw).__name__}")
    label = f"model '{raw.get('name', f'#{index}')}'"
    unknown = sorted(set(raw) - set(_SPEC_FIELDS))
    if unknown:
        raise PoolError(f"{where}: {label}: unknown field '{unknown[0]}' (known: {', '.join(_SPEC_FIELDS)})")
    for key in _REQUIRED:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise PoolError(f"{where}: {label}: field '{key}' is required and must be a non-empty string")
    for key in _NON_NEGATIVE:
        value = raw.get(key, _SPEC_FIELDS[key].default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise PoolError(f"{where}: {label}: field '{key}' must be a number >= 0, got {value!r}")
    for key in ("context_window", "max_tokens"):
        value = raw.get(key, _SPEC_FIELDS[key].default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise PoolError(f"{where}: {label}: field '{key}' must be a positive integer, got {value!r}")
    if raw["provider"] not in known_providers:
        raise PoolError(
            f"{where}: {label}: field 'provider' is '{raw['provider']}', expected one of {', '.join(sorted(known_providers))}"
        )
    if raw["provider"] in PROVIDERS_NEEDING_ENDPOINT:
        for key in ("base_url", "model"):
            if not raw.get(key):
                raise PoolError(f"{where}: {label}: field '{key}' is required for provider '{raw['provider']}'")
    env = raw.get("api_key_env")
    if env is not None and not os.environ.get(env):
        raise PoolError(f"{where}: {label}: field 'api_key_env': environment variable {env} is not set")
    if "options" in raw and not isinstance(raw["options"], dict):
        raise PoolError(f"{where}: {label}: field 'options' must be a mapping")
    return ModelSpec(**{k: raw[k] for k in raw})


def parse_pool(data: Any, where: str, base_dir: Path | None = None) -> Pool:
    """Validate an already-parsed pool document; `where` names it in errors."""
    from routemoa.providers import provider_kinds

    if not isinstance(data, dict):
        raise PoolError(f"{where}: top level must be a mapping with a 'models' list")
    unknown = sorted(set(data) - {"models", "scorer"})
    if unknown:
        raise PoolError(f"{where}: unknown top-level field '{unknown[0]}' (known: models, scorer)")
    raw_models = data.get("models")
    if not isinstance(raw_models, list) or not raw_models:
        raise PoolError(f"{where}: field 'models' must be a non-empty list")
    kinds = set(provider_kinds())
    specs = [_check_model(raw, i, where, kinds) for i, raw in enumerate(raw_models)]
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise PoolError(f"{where}: model '{spec.name}': field 'name' is duplicated")
        seen.add(spec.name)
    scorer = data.get("scorer")
    if scorer is not None:
        if not isinstance(scorer, str) or not scorer:
            raise PoolError(f"{where}: field 'scorer' must be a checkpoint directory path")
        path = Path(scorer) if base_dir is None else (base_dir / scorer)
        if not path.is_dir():
            raise PoolError(f"{where}: field 'scorer': checkpoint directory {path} does not exist")
        scorer = str(path.resolve())
    return Pool(models=tuple(specs), source=where, scorer=scorer)


def load_pool(path: str | os.PathLike | None = None) -> Pool:
    """Load and validate a pool file; None or `embedded` gives the embedded local pool."""
    if path is None or str(path) == EMBEDDED_POOL:
        return _embedded_pool()
    file = Path(path)
    try:
        stat = file.stat()
    except OSError as exc:
        raise PoolError(f"{file}: cannot read pool file ({exc.strerror or exc})") from None
    return _load_cached(str(file.resolve()), stat.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _embedded_pool() -> Pool:
    """The pool shipped in the package, parsed once."""
    text = resources.files("routemoa").joinpath("default_pool.yaml").read_text()
    return parse_pool(yaml.safe_load(text), EMBEDDED_POOL)


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, _mtime_ns: int) -> Pool:
    """Parse a pool file once per modification (the graph loads it on every run)."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text())
    except OSError as exc:
        raise PoolError(f"{file}: cannot read pool file ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise PoolError(f"{file}: invalid YAML{at}") from None
    return parse_pool(data, str(file), base_dir=file.parent)
