"""A real OpenAI-compatible chat server on 127.0.0.1 for tests (uvicorn in a thread).

    with StubOpenAI() as stub:                 # or the `stub_openai` fixture
        pool = stub.write_pool(tmp_path / "pool.yaml", ["alpha", "beta"])
        ...                                    # run RouteMoA on the pool
        stub.requests                          # every request body seen, in order

Replies: messages that ask for `self_score` get the agent JSON
`{"answer": "<model> says 4", "self_score": 0.9}` (+ peer scores when asked);
any other request (the aggregator) with a JSON `response_format` gets
`stub.structured` (a dict) as JSON, else "4, aggregated by <model>".
`stub.replies[model] = fn(body) -> str` overrides a model's reply. Model `broken`
answers 500. `stream: true` is answered with server-sent events, word by word,
with a usage chunk when `stream_options.include_usage` is set.
"""

from __future__ import annotations

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


class StubOpenAI(ServedApp):
    """The server; start with `with` (or `start()` / `stop()`)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: dict[str, Callable[[dict], str]] = {}
        self.structured: dict[str, Any] = {"answer": "4", "confidence": 0.9}
        super().__init__(Starlette(routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])]))

    def bodies(self, model: str) -> list[dict[str, Any]]:
        """The request bodies sent to `model`."""
        return [b for b in self.requests if b.get("model") == model]

    def write_pool(self, path: Path, names: list[str], **fields: Any) -> str:
        """A pool file whose models are served by this stub; `fields` are added to every model."""
        models = [
            {
                "name": n,
                "provider": "openai",
                "base_url": self.url,
                "model": n,
                "input_price": 1.0,
                "output_price": 2.0,
                "description": f"stub model {n}",
                **fields,
            }
            for n in names
        ]
        Path(path).write_text(yaml.safe_dump({"models": models}, sort_keys=False))
        return str(path)

    def _text(self, body: dict[str, Any]) -> str:
        if body["model"] in self.replies:
            return self.replies[body["model"]](body)
        return self.default_text(body)

    def default_text(self, body: dict[str, Any]) -> str:
        """The reply to `body` when `replies` does not override its model (see the module docstring)."""
        model = body["model"]
        prompt = str(body["messages"])
        if "self_score" in prompt:
            reply: dict[str, Any] = {"answer": f"{model} says 4", "self_score": 0.9}
            if "peer_scores" in prompt:
                reply["peer_scores"] = [0.8] * prompt.count("ANSWER_")
            return json.dumps(reply)
        if (body.get("response_format") or {}).get("type") in ("json_schema", "json_object"):
            return json.dumps(self.structured)
        return f"4, aggregated by {model}"

    async def _completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        if body.get("model") == "broken":
            return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error"}}, status_code=500)
        text = self._text(body)
        usage = {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        }
        base = {"id": "cmpl-stub", "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            return JSONResponse({**base, "object": "chat.completion", "choices": [choice], "usage": usage})
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        async def events():
            words = text.split(" ")
            for i, word in enumerate(words):
                delta = {"content": word if i == 0 else " " + word}
                if i == 0:
                    delta["role"] = "assistant"
                yield _sse(
                    {
                        **base,
                        "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    }
                )
            yield _sse(
                {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
            )
            if with_usage:
                yield _sse({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"
