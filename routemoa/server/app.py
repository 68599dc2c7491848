"""OpenAI-compatible HTTP app: `GET /v1/models`, `GET /v1/models/{id}`, `POST /v1/chat/completions`.

langgraph.json mounts it into the LangGraph server (`"http": {"app": ...}`), so
one `langgraph dev` / LangGraph deployment serves Studio, the LangGraph API and
this endpoint. It also runs alone: `uvicorn routemoa.server.app:app`.

Each request runs the method's graph in this process (no thread, no
checkpoint: an OpenAI client sends the whole conversation every time). With
`stream: true` the aggregator's tokens are sent as they are generated; the
response waits for the first token so that a run in which every model failed
still gets a proper 5xx instead of a broken stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from routemoa.errors import UserError
from routemoa.runner import Finished, Token, stream_answer
from routemoa.server import openai_api as api
from routemoa.server.methods import load_method, method_names

log = logging.getLogger(__name__)


def _error(exc: api.APIError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status)


def _failure(exc: BaseException) -> api.APIError:
    """An exception raised by a run, as the API error a client sees."""
    if isinstance(exc, api.APIError):
        return exc
    if isinstance(exc, UserError):
        return api.bad_request(str(exc))
    log.exception("chat completion failed")
    return api.APIError(500, f"RouteMoA failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}", type="server_error")


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "routemoa"}


async def list_models(request: Request) -> Response:
    """Every method exported in langgraph.json."""
    names = await asyncio.to_thread(method_names)
    return JSONResponse({"object": "list", "data": [_model(n) for n in names]})


async def get_model(request: Request) -> Response:
    name = request.path_params["model"]
    if name not in await asyncio.to_thread(method_names):
        return _error(api.APIError(404, f"The model '{name}' does not exist", param="model", code="model_not_found"))
    return JSONResponse(_model(name))


def _sse(payload: Any) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def _stream_body(req: api.ChatRequest, first: Token | Finished, rest: AsyncIterator[Token | Finished]) -> AsyncIterator[str]:
    """Server-sent events of `stream_answer`'s tokens, the remaining text, the summary and usage."""
    completion_id = api.new_id()
    yield _sse(api.chunk(completion_id, req.method, {"role": "assistant", "content": ""}))

    async def events():
        yield first
        async for event in rest:
            yield event

    try:
        async for item in events():
            if isinstance(item, Token):
                yield _sse(api.chunk(completion_id, req.method, {"content": item.text}))
                continue
            if item.output.get("error"):
                yield _sse(api.run_failed(item.output).body())
                break
            if item.rest:
                yield _sse(api.chunk(completion_id, req.method, {"content": item.rest}))
            summary = {api.KNOBS_FIELD: api.summary(item.output)}
            yield _sse(api.chunk(completion_id, req.method, {}, "stop", **summary))
            if req.include_usage:
                yield _sse(api.chunk(completion_id, req.method, None, usage=api.usage(item.output.get("bill") or {}), **summary))
    except Exception as exc:  # mid-stream: the status line is gone, send an error event
        yield _sse(_failure(exc).body())
    yield "data: [DONE]\n\n"


async def chat_completions(request: Request) -> Response:
    """Answer a chat with the requested method; `stream: true` sends server-sent events."""
    try:
        raw = await request.body()
        try:
            body = json.loads(raw or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise api.bad_request(f"the request body is not valid JSON: {exc}", code="invalid_json") from None
        # File reads and imports stay off the event loop (the dev server flags blocking calls).
        req = await asyncio.to_thread(api.parse_request, body, await asyncio.to_thread(method_names))
        graph = await asyncio.to_thread(load_method, req.method)
        if not req.stream:
            output = await graph.ainvoke({"messages": req.messages}, context=req.context)
            if output.get("error"):
                raise api.run_failed(output)
            return JSONResponse(api.completion(req.method, output))
        events = stream_answer(req.messages, req.context, graph=graph)
        first = await anext(events)
        if isinstance(first, Finished) and first.output.get("error"):
            raise api.run_failed(first.output)
    except Exception as exc:
        return _error(_failure(exc))
    return StreamingResponse(
        _stream_body(req, first, events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


routes = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model:path}", get_model, methods=["GET"]),
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
]

app = Starlette(routes=routes)
"""The app langgraph.json mounts (`"http": {"app": "./routemoa/server/app.py:app"}`)."""
