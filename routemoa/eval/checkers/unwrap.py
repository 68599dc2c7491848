"""Unwrap a JSON-wrapped reply (`{"answer": ...}`, fenced or not) to its answer text."""

from __future__ import annotations

import re

from routemoa.parsing import parse_reply

_JSON_FIRST = re.compile(r"\s*(?:\{|```[ \t]*(?:json)?[ \t]*\r?\n?\s*\{)", re.IGNORECASE)
_JSON_FENCE = re.compile(r"```[ \t]*json", re.IGNORECASE)
_AGENT_KEYS = re.compile(r"""["']?(?:self_score|peer_scores)["']?\s*:""")


def is_json_reply(text: str) -> bool:
    """A reply that is a JSON object: it starts with one (bare or fenced), has a ```json block, or
    carries the agents' score fields. A program that merely contains `{"answer": 1}` is not."""
    return bool(_JSON_FIRST.match(text) or _JSON_FENCE.search(text) or _AGENT_KEYS.search(text))


def unwrap_answer(text: str) -> str:
    """The `answer` field of a JSON reply (see `is_json_reply`); any other reply unchanged.

    Uses the agents' reply parser, so fenced JSON, prose around the object, trailing
    commas, Python literals and a truncated object all unwrap; a `self_score` next to
    the answer is dropped and can never be graded as the answer.
    """
    text = text or ""
    if not is_json_reply(text):
        return text
    reply = parse_reply(text)
    if reply.structured or reply.answer != text.strip():
        return reply.answer
    return text
