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
`reply_for` serves the fake provider in unit tests; `LoopbackPool` serves the same
replies from a real OpenAI-compatible server on 127.0.0.1 (benchmarks/liar_pool.py).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
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
        {"name": n, "provider": provider, "model": n, "description": DESCRIPTION, "input_price": 1.0, "output_price": 2.0,
         "latency_s": 1.0, **({"base_url": base_url} if base_url else {})}
        for n in names
    ]


def write_pool(path: Path, base_url: str | None, names: list[str], provider: str = "openai") -> str:
    Path(path).write_text(yaml.safe_dump({"models": pool_models(base_url, names, provider)}, sort_keys=False))
    return str(path)


class LoopbackPool:
    """An OpenAI-compatible server on 127.0.0.1 that serves `reply_for` (uvicorn in a thread)."""

    def __init__(self) -> None:
        import uvicorn
        from starlette.applications import Starlette
        from starlette.routing import Route

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.requests = 0
        app = Starlette(routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    async def _completions(self, request):
        from starlette.responses import JSONResponse, StreamingResponse

        body = await request.json()
        self.requests += 1
        prompt = "\n".join(str(m.get("content")) for m in body["messages"])
        text = reply_for(body["model"], prompt, body.get("response_format"))
        usage = {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(text) // 4, "total_tokens": (len(prompt) + len(text)) // 4}
        base = {"id": "cmpl-liar", "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            return JSONResponse({**base, "object": "chat.completion", "choices": [choice], "usage": usage})

        def events():
            chunk = {**base, "object": "chat.completion.chunk"}
            delta = {"role": "assistant", "content": text}
            yield f"data: {json.dumps({**chunk, 'choices': [{'index': 0, 'delta': delta, 'finish_reason': None}]})}\n\n"
            yield f"data: {json.dumps({**chunk, 'choices': [{'index': 0, 'delta': {}, 'finish_reason': 'stop'}]})}\n\n"
            yield f"data: {json.dumps({**chunk, 'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    def __enter__(self) -> "LoopbackPool":
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("loopback pool server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
