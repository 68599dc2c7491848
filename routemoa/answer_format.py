"""The final answer's format and stop sequences, as the aggregator call and the fallback apply them."""

from __future__ import annotations

import json
from typing import Any

from routemoa import prompts
from routemoa.spec import ModelSpec


def aggregator_options(spec: ModelSpec, response_format: dict[str, Any] | None, stop: list[str]) -> dict[str, Any]:
    """Keyword options of the aggregator's call: `stop`, and the `response_format` the model
    supports (its pool entry's `structured_output`: a json_schema falls back to json_object or none)."""
    options: dict[str, Any] = {"stop": list(stop)} if stop else {}
    kind = (response_format or {}).get("type")
    if kind not in ("json_object", "json_schema"):
        return options
    supported = getattr(spec, "structured_output", "json_schema")
    if supported == "json_schema" or (supported == "json_object" and kind == "json_object"):
        options["response_format"] = response_format
    elif supported == "json_object":
        options["response_format"] = {"type": "json_object"}
    return options


def format_instruction(response_format: dict[str, Any] | None) -> str | None:
    """The sentence that asks for the format in the prompt (also for models that cannot enforce it), or None."""
    fmt = response_format or {}
    kind = fmt.get("type")
    if kind == "json_schema":
        schema = json.dumps(fmt["json_schema"]["schema"], ensure_ascii=False)
        return prompts.ANSWER_FORMAT_SCHEMA.format(schema=schema)
    if kind == "json_object":
        return prompts.ANSWER_FORMAT_JSON
    return None


def cut_at_stop(text: str, stop: list[str]) -> str:
    """`text` up to the first stop sequence (as a provider would have stopped)."""
    ends = [i for i in (text.find(s) for s in stop) if i >= 0]
    return text[: min(ends)] if ends else text
