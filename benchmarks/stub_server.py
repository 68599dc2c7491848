"""A minimal OpenAI-compatible chat server with a fixed delay, for speed benchmarks.

    python benchmarks/stub_server.py --port 8765 --delay-ms 200

Runs in its own process so that it does not share the measured process's CPU
or event loop. Scored prompts (asking for `self_score`) get an agent JSON
reply with a low self score (so runs never exit early); others a short text.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

USAGE = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}


def make_app(delay_s: float) -> Starlette:
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        if delay_s:
            await asyncio.sleep(delay_s)
        prompt = json.dumps(body["messages"])
        if "self_score" in prompt:
            reply = {"answer": "4", "self_score": 0.1}
            if "peer_scores" in prompt:
                reply["peer_scores"] = [0.1] * prompt.count("ANSWER_")
            text = json.dumps(reply)
        else:
            text = "The answer is 4."
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        return JSONResponse({"id": "c", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
                             "choices": [choice], "usage": USAGE})

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    uvicorn.run(make_app(args.delay_ms / 1000), host="127.0.0.1", port=args.port, log_level="error", access_log=False)


if __name__ == "__main__":
    main()
