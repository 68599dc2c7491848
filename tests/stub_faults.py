"""A real OpenAI-compatible chat server on 127.0.0.1 that fails, echoes secrets or stalls on purpose.

    with FaultStub() as stub:
        stub.fail["flaky"] = [500]          # its first request gets 500, the next ones succeed
        stub.always["down"] = 500           # every request of `down` gets 500
        stub.echo_auth = True               # error bodies (and answers of `echo_answer` models) quote Authorization
        stub.stall = lambda body: 5.0       # seconds to wait before answering a request
        stub.usage["liar"] = {"prompt_tokens": -5}  # fields of the usage `liar` reports (non-streamed replies)
        pool = stub.write_pool(tmp_path / "pool.yaml", ["flaky", "down"], api_key_env="STUB_KEY")
        ...
        stub.received                       # every request, in arrival order: {"model", "auth", "prompt"}
        stub.answered                       # the requests answered so far (status 200 or not), in order

Replies: a prompt that asks for `self_score` gets `{"answer": "<model> says 4", "self_score": 0.3}`
(+ neutral peer scores when asked), so a run goes on to its next layer; any other prompt
(the aggregator) gets "4, aggregated by <model>". `stream: true` is answered with server-sent
events: the text in STREAM_PIECE-character chunks (a key is split across chunks), then a usage chunk.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.served_app import ServedApp

PROMPT_TOKENS, COMPLETION_TOKENS = 120, 30
STREAM_PIECE = 7
"""Characters per streamed chunk."""


class FaultStub(ServedApp):
    """The server; start with `with` (or `start()` / `stop()`)."""

    def __init__(self) -> None:
        self.fail: dict[str, list[int]] = {}
        self.always: dict[str, int] = {}
        self.echo_auth = False
        self.echo_answer: set[str] = set()
        self.stall: Callable[[dict[str, Any]], float] = lambda body: 0.0
        self.usage: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []
        self.answered: list[dict[str, Any]] = []
        super().__init__(Starlette(routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])]))

    def count(self, model: str | None = None) -> int:
        """Requests received (for `model`, or all)."""
        return sum(1 for r in self.received if model is None or r["model"] == model)

    def write_pool(self, path: Path, names: list[str], **fields: Any) -> str:
        """A pool file whose models this stub serves; `fields` (e.g. api_key_env, prices) go in every entry."""
        models = [
            {
                "name": n,
                "provider": "openai",
                "base_url": self.url,
                "model": n,
                "description": "a general assistant",
                "input_price": 1.0,
                "output_price": 2.0,
                **fields,
            }
            for n in names
        ]
        path.write_text(yaml.safe_dump({"models": models}))
        return str(path)

    async def _completions(self, request: Request) -> Response:
        body = await request.json()
        model, auth = body.get("model"), request.headers.get("authorization", "")
        prompt = "\n".join(str(m.get("content")) for m in body.get("messages", []))
        seen = {"model": model, "auth": auth, "prompt": prompt}
        self.received.append(seen)
        await asyncio.sleep(self.stall(seen))
        planned = self.fail.get(model) or []
        status = planned.pop(0) if planned else self.always.get(model, 200)
        self.answered.append({**seen, "status": status})
        if status != 200:
            detail = f"upstream trouble\nrequest was authorized with {auth}" if self.echo_auth else "upstream trouble"
            return JSONResponse({"error": {"message": detail, "type": "server_error"}}, status_code=status)
        text = self._reply(model, prompt, auth)
        if body.get("stream"):
            return StreamingResponse(self._events(model, text), media_type="text/event-stream")
        return JSONResponse(
            {
                "id": "cmpl-stub",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": PROMPT_TOKENS,
                    "completion_tokens": COMPLETION_TOKENS,
                    "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
                    **self.usage.get(model, {}),
                },
            }
        )

    def _reply(self, model: str, prompt: str, auth: str) -> str:
        said = f"{model} says 4" + (f" (my key: {auth})" if model in self.echo_answer else "")
        if "self_score" not in prompt:
            return f"{said}, aggregated by {model}"
        reply: dict[str, Any] = {"answer": said, "self_score": 0.3}
        if "peer_scores" in prompt:
            reply["peer_scores"] = [0.5] * prompt.count("ANSWER_")
        return json.dumps(reply)

    @staticmethod
    async def _events(model: str, text: str):
        def event(delta: dict, finish: str | None = None, usage: dict | None = None) -> str:
            chunk = {
                "id": "cmpl-stub",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if usage is None else [],
            }
            if usage is not None:
                chunk["usage"] = usage
            return f"data: {json.dumps(chunk)}\n\n"

        yield event({"role": "assistant", "content": ""})
        for start in range(0, len(text), STREAM_PIECE):  # pieces that split words (and keys) apart
            yield event({"content": text[start : start + STREAM_PIECE]})
        yield event({}, "stop")
        yield event(
            {},
            usage={
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": COMPLETION_TOKENS,
                "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
            },
        )
        yield "data: [DONE]\n\n"
