"""The liar harness's models: three honest ones and one liar, answering arithmetic questions.

Questions are "What is A + B?" (A, B >= 10, so the sum never repeats an operand).
Every model reads the question and the candidate answers (ANSWER_i) from the prompt
it is sent and replies like an agent of RouteMoA would:

- honest: answers "The answer is A+B", self_score 0.8, scores each candidate 0.9
  when it holds the right sum and 0.1 otherwise; as aggregator it writes the right sum.
- liar: answers "The answer is A+B+1", self_score 1.0, scores its own (wrong) answer
  1.0 and every other answer 0.0; as aggregator it writes its wrong sum.

A scored prompt (one that asks for `self_score`) gets the JSON reply; with a
`response_format` of type json_schema, `peer_scores` has the schema's length.
`reply_for` serves the fake provider in unit tests; `loopback_pool` serves the same
replies from a real OpenAI-compatible server on 127.0.0.1 (benchmarks/liar_pool.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

HONEST = ("honest-1", "honest-2", "honest-3")
LIAR = "liar"
DESCRIPTION = "general assistant for questions of every kind"

_QUESTION = re.compile(r"What is (\d+) \+ (\d+)\?")
_BLOCK = re.compile(r"\[ANSWER_(\d+) begin [^\]]*\]\n(.*?)\n\[ANSWER_\1 end [^\]]*\]", re.DOTALL)
_OLD_LABEL = re.compile(r"ANSWER_(\d+):\n")


def questions(count: int, seed: int = 7) -> list[str]:
    """`count` distinct questions."""
    import random

    rng = random.Random(seed)
    seen: set[tuple[int, int]] = set()
    while len(seen) < count:
        seen.add((rng.randint(10, 499), rng.randint(10, 499)))
    return [f"What is {a} + {b}?" for a, b in sorted(seen)]


def correct_sum(prompt: str) -> int:
    """The right answer to the (last) question in the prompt."""
    found = _QUESTION.findall(prompt)
    a, b = found[-1]
    return int(a) + int(b)


def is_correct(prompt_or_question: str, answer: str) -> bool:
    """Whether `answer` states the right sum as its number."""
    numbers = re.findall(r"-?\d+", answer)
    return bool(numbers) and int(numbers[-1]) == correct_sum(prompt_or_question)


def candidates(prompt: str) -> list[str]:
    """The candidate answers shown in the prompt, in ANSWER_i order (delimited blocks, or old `ANSWER_i:` labels)."""
    blocks = _BLOCK.findall(prompt)
    if blocks:
        return [text for _, text in sorted(blocks, key=lambda b: int(b[0]))]
    labels = list(_OLD_LABEL.finditer(prompt))
    texts = []
    for i, label in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else len(prompt)
        texts.append(prompt[label.end() : end].split("\n\n")[0])
    return texts


def _peer_count(prompt: str, response_format: dict | None) -> int:
    schema = ((response_format or {}).get("json_schema") or {}).get("schema") or {}
    peers = (schema.get("properties") or {}).get("peer_scores")
    if peers and "minItems" in peers:
        return peers["minItems"]
    return len(candidates(prompt))


def reply_for(model: str, prompt: str, response_format: dict | None = None) -> str:
    """What `model` replies to `prompt` (the whole prompt text, every message)."""
    right = correct_sum(prompt)
    mine = right + 1 if model == LIAR else right
    if "Candidate responses" in prompt or "As the judge" in prompt:  # the aggregator (or judge)
        return f"The answer is {mine}."
    if "self_score" not in prompt:
        return f"The answer is {mine}."
    reply: dict[str, Any] = {"answer": f"The answer is {mine}.", "self_score": 1.0 if model == LIAR else 0.8}
    count = _peer_count(prompt, response_format)
    if count and "peer_scores" in prompt:
        shown = candidates(prompt) + [""] * count
        if model == LIAR:
            reply["peer_scores"] = [1.0 if str(mine) in text else 0.0 for text in shown[:count]]
        else:
            reply["peer_scores"] = [0.9 if is_correct(prompt, text or "none") else 0.1 for text in shown[:count]]
    return json.dumps(reply)


def pool_models(base_url: str | None, names: list[str], provider: str = "openai") -> list[dict[str, Any]]:
    """Pool entries with identical descriptions and prices."""
    return [
        {
            "name": n,
            "provider": provider,
            "model": n,
            "description": DESCRIPTION,
            "input_price": 1.0,
            "output_price": 2.0,
            "latency_s": 1.0,
            **({"base_url": base_url} if base_url else {}),
        }
        for n in names
    ]


def write_pool(path: Path, base_url: str | None, names: list[str], provider: str = "openai") -> str:
    Path(path).write_text(yaml.safe_dump({"models": pool_models(base_url, names, provider)}, sort_keys=False))
    return str(path)


def loopback_pool():
    """A LoopbackServer (tests/loopback_server.py) whose models are these."""
    from tests.loopback_server import LoopbackServer, prompt_of

    return LoopbackServer(lambda body: reply_for(body["model"], prompt_of(body), body.get("response_format")))
