"""The JSON schema of a scored reply, and the `response_format` that asks a model for it.

A scored reply is `{"answer": str, "self_score": number in [0, 1]}`, plus, when the
call was shown N earlier answers (layer 2+), `"peer_scores": [N numbers in [0, 1]]`,
one per ANSWER_i in order. How a model is asked for it depends on its pool entry's
`structured_output`:

- `json_schema` (default): `response_format` of type json_schema with this schema
  (OpenAI structured outputs, vLLM / llama.cpp servers, the local model's grammar);
- `json_object`: `response_format` of type json_object (any JSON object; the prompt
  still says which fields);
- `none`: no `response_format`; the prompt alone asks for the JSON.

Whatever comes back goes through `parsing.parse_reply`, so a server that ignores the
format still gets its reply read.
"""

from __future__ import annotations

from typing import Any

from routemoa.spec import ModelSpec

SCHEMA_NAME = "scored_reply"


def reply_schema(peers: int) -> dict[str, Any]:
    """The JSON schema of a scored reply that was shown `peers` earlier answers (0 in layer 1)."""
    score = {"type": "number", "minimum": 0, "maximum": 1}
    properties: dict[str, Any] = {"answer": {"type": "string"}, "self_score": score}
    if peers:
        properties["peer_scores"] = {"type": "array", "items": score, "minItems": peers, "maxItems": peers}
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def scored_response_format(spec: ModelSpec, peers: int) -> dict[str, Any] | None:
    """The `response_format` of a scored call of `spec` shown `peers` answers, or None (mode `none`)."""
    mode = spec.structured_output
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": reply_schema(peers), "strict": True},
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None
