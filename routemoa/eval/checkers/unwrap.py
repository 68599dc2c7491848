"""Unwrap a JSON-wrapped reply (`{"answer": ...}`, fenced or not) to its answer text."""

from __future__ import annotations

from routemoa.parsing import parse_reply


def unwrap_answer(text: str) -> str:
    """The `answer` field of a JSON (or JSON-like) reply; any other reply unchanged.

    Uses the agents' reply parser, so fenced JSON, prose around the object, trailing
    commas, Python literals and a truncated object all unwrap; a `self_score` next to
    the answer is dropped and can never be graded as the answer.
    """
    text = text or ""
    reply = parse_reply(text)
    if reply.structured or reply.answer != text.strip():
        return reply.answer
    return text
