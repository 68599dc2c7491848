"""A minimal OpenAI-compatible chat server with a fixed delay, for speed benchmarks.

    python benchmarks/stub_server.py --port 8765 --delay-ms 200

Runs in its own process so that it does not share the measured process's CPU
or event loop. Scored prompts (asking for `self_score`) get an agent JSON
reply with a low self score (so runs never exit early); others a short text.
`stream: true` is answered with server-sent events (one content chunk, the
finish chunk, a usage chunk when `stream_options.include_usage` is set), as
LangChain streams whenever a graph runs in `messages` stream mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

USAGE = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}


def reply_text(messages: list) -> str:
    """The agent JSON (low self score, a peer score per earlier answer) or the aggregator's text."""
    prompt = json.dumps(messages)
    if "self_score" not in prompt:
        return "The answer is 4."
    reply: dict = {"answer": "4", "self_score": 0.1}
    if "peer_scores" in prompt:
        reply["peer_scores"] = [0.1] * prompt.count("ANSWER_")
    return json.dumps(reply)


def _sse(payload: dict) -> str:
    return f"data: {json.dumps(payload)}\n\n"


def make_app(delay_s: float) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        if delay_s:
            await asyncio.sleep(delay_s)
        text = reply_text(body.get("messages") or [])
        base = {"id": "c", "created": int(time.time()), "model": body.get("model", "")}
        if not body.get("stream"):
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            return JSONResponse({**base, "object": "chat.completion", "choices": [choice], "usage": USAGE})
        chunk = {**base, "object": "chat.completion.chunk"}
        events = [
            _sse(
                {
                    **chunk,
                    "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}],
                }
            ),
            _sse({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        ]
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append(_sse({**chunk, "choices": [], "usage": USAGE}))
        events.append("data: [DONE]\n\n")
        return StreamingResponse(iter(events), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    # Idle connections stay open: a server closing one as a client reuses it is a connection error.
    uvicorn.run(
        make_app(args.delay_ms / 1000),
        host="127.0.0.1",
        port=args.port,
        log_level="error",
        access_log=False,
        timeout_keep_alive=3600,
        backlog=4096,
    )


if __name__ == "__main__":
    main()
