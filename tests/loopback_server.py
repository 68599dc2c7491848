"""A real OpenAI-compatible chat server on 127.0.0.1 for tests and benchmarks (uvicorn in a thread).

    with LoopbackServer(answer) as server:       # answer(body) -> reply text, or (status, error JSON)
        pool = ...base_url=server.url...
        server.bodies                            # every request body, in order

Streaming requests (`stream: true`) get server-sent events with a usage chunk.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.served_app import ServedApp

Answer = Callable[[dict[str, Any]], "str | tuple[int, dict[str, Any]]"]


def prompt_of(body: dict[str, Any]) -> str:
    """Every message's text of a request, joined."""
    return "\n".join(str(m.get("content")) for m in body["messages"])


class LoopbackServer(ServedApp):
    """Serves `answer(body)` at /v1/chat/completions."""

    def __init__(self, answer: Answer) -> None:
        from starlette.applications import Starlette
        from starlette.routing import Route

        self.bodies: list[dict[str, Any]] = []
        self._answer = answer
        super().__init__(Starlette(routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])]))

    async def _completions(self, request):
        from starlette.responses import JSONResponse, StreamingResponse

        body = await request.json()
        self.bodies.append(body)
        answer = self._answer(body)
        if isinstance(answer, tuple):
            return JSONResponse(answer[1], status_code=answer[0])
        prompt = prompt_of(body)
        usage = {
            "prompt_tokens": len(prompt) // 4,
            "completion_tokens": len(answer) // 4 + 1,
            "total_tokens": (len(prompt) + len(answer)) // 4 + 1,
        }
        base = {"id": "cmpl-loopback", "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            choice = {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
            return JSONResponse({**base, "object": "chat.completion", "choices": [choice], "usage": usage})

        def events():
            chunk = {**base, "object": "chat.completion.chunk"}
            delta = {"role": "assistant", "content": answer}
            yield f"data: {json.dumps({**chunk, 'choices': [{'index': 0, 'delta': delta, 'finish_reason': None}]})}\n\n"
            yield f"data: {json.dumps({**chunk, 'choices': [{'index': 0, 'delta': {}, 'finish_reason': 'stop'}]})}\n\n"
            yield f"data: {json.dumps({**chunk, 'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")
