"""The pool's data types: one model (`ModelSpec`) and a validated pool (`Pool`).

Plain frozen dataclasses with no I/O: ranking, selection, billing and the
providers name them without importing the YAML loader (routemoa.pool).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

StructuredOutput = Literal["json_schema", "json_object", "none"]
"""How a model is asked for JSON replies: a response_format JSON schema, JSON mode, or the prompt only."""
STRUCTURED_OUTPUT_MODES: tuple[str, ...] = get_args(StructuredOutput)


@dataclass(frozen=True)
class ModelSpec:
    """One model of the pool."""

    name: str
    """Unique name, used in traces, bills and the scorer checkpoint."""
    provider: str
    """Provider kind: `openai` (any OpenAI-compatible endpoint), `local` (in-process SmolLM2), `replay` (recorded answers), or a registered one."""
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
    """Endpoint base URL for `openai` providers (e.g. http://127.0.0.1:8000/v1); the only place the key goes."""
    api_key_env: str | None = None
    """Environment variable that holds the API key; read at call time, never stored."""
    system_prompt: str | None = None
    """Optional role prompt prepended to every call of this model."""
    max_tokens: int | None = None
    """Optional cap on answer tokens for this model (the run's max_tokens still applies)."""
    structured_output: StructuredOutput = "json_schema"
    """How scored replies are requested: json_schema (response_format schema), json_object (JSON mode) or none (prompt only)."""
    options: dict[str, Any] = field(default_factory=dict, hash=False)
    """Provider-specific extras (e.g. `path` of a replay CSV): scalars or lists of scalars."""

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
