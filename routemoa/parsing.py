"""Parse an agent's reply into answer, self score and peer scores. Never raises.

Handles fenced JSON, bare JSON, JSON with prose around it, trailing commas,
single quotes and Python literals, missing fields, and scores that are strings,
percentages, out of range or NaN. Out-of-range scores are clamped to [0, 1];
missing or unreadable ones become None (the fusion step substitutes the
context's neutral score). A reply with no JSON at all is taken as the answer.
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_LOOSE_SELF = re.compile(r"""["']?self_score["']?\s*[:=]\s*["']?([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*(%?)""")
_LOOSE_ANSWER = re.compile(r"""["']answer["']\s*:\s*"((?:[^"\\]|\\.)*)""", re.DOTALL)


@dataclass(frozen=True)
class ParsedReply:
    """What an agent said, with scores sanitised."""

    answer: str
    self_score: float | None
    peer_scores: list[float | None] | None
    structured: bool
    """True when a JSON object with an answer was found."""


def to_score(value: Any) -> float | None:
    """A number in [0, 1] from a float, int, numeric string or percentage; None if unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        try:
            number = float(text.rstrip("%").strip())
        except ValueError:
            return None
        value = number / 100.0 if percent else number
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return min(1.0, max(0.0, float(value)))


def _candidates(text: str):
    """Substrings that may hold the JSON object, most specific first."""
    for block in _FENCE.findall(text):
        yield block.strip()
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        yield text[start : end + 1]
    if start != -1 and end < start:
        yield text[start:] + "}"


def _load_object(candidate: str) -> dict | None:
    """A dict from JSON, relaxed JSON, or a Python literal; None if none parses."""
    for attempt in (candidate, _TRAILING_COMMA.sub(r"\1", candidate)):
        try:
            value = json.loads(attempt)
            return value if isinstance(value, dict) else None
        except (ValueError, RecursionError):
            pass
        try:
            pythonic = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", re.sub(r"\bnull\b", "None", attempt)))
            value = ast.literal_eval(pythonic)
            return value if isinstance(value, dict) else None
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            pass
    return None


def find_object(text: str) -> dict | None:
    """The first JSON-like object in `text` (fenced, bare or amid prose), or None."""
    for candidate in _candidates(text or ""):
        obj = _load_object(candidate)
        if obj is not None:
            return obj
    return None


def _answer_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, ensure_ascii=False)


def _peer_list(value: Any, expected: int) -> list[float | None] | None:
    if isinstance(value, dict):
        value = [value.get(f"ANSWER_{i}", value.get(str(i))) for i in range(expected)]
    if not isinstance(value, list):
        return None
    scores = [to_score(v) for v in value[:expected]]
    return scores + [None] * (expected - len(scores))


def parse_reply(text: str, expected_peers: int = 0) -> ParsedReply:
    """Parse one agent reply; `expected_peers` = number of ANSWER_i it was shown."""
    text = text or ""
    for candidate in _candidates(text):
        obj = _load_object(candidate)
        if obj is not None and "answer" in obj:
            peers = _peer_list(obj.get("peer_scores"), expected_peers) if expected_peers else None
            return ParsedReply(_answer_text(obj["answer"]), to_score(obj.get("self_score")), peers, True)
    loose_self = _LOOSE_SELF.search(text)
    self_score = None
    if loose_self:
        self_score = to_score(loose_self.group(1) + loose_self.group(2))
    loose_answer = _LOOSE_ANSWER.search(text)
    if loose_answer:
        try:
            answer = json.loads(f'"{loose_answer.group(1)}"')
        except ValueError:
            answer = loose_answer.group(1)
        return ParsedReply(answer.strip(), self_score, None, False)
    return ParsedReply(text.strip(), self_score, None, False)
