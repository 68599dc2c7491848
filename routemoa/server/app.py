"""OpenAI-compatible HTTP app: `GET /v1/models`, `GET /v1/models/{id}`, `POST /v1/chat/completions`,
and `POST /v1/route` (where a request would go, without running it).

langgraph.json mounts it into the LangGraph server (`"http": {"app": ...}`), so
one `langgraph dev` / LangGraph deployment serves Studio, the LangGraph API and
this endpoint. It also runs alone: `uvicorn routemoa.server.app:app`.

Each request runs the method's graph in this process (no thread, no
checkpoint: an OpenAI client sends the whole conversation every time). With
`stream: true` the aggregator's tokens are sent as they are generated; the
response waits for the first token so that a run in which every model failed
still gets a proper 5xx instead of a broken stream.

Requests are untrusted: the body is read up to the operator's size cap (413 at
once when Content-Length is above it), must be UTF-8 JSON (400 otherwise, at any
nesting depth), and a client that disconnects cancels its run, streaming or
not, so that no model call starts after it left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from routemoa.errors import UserError
from routemoa.graph import GRAPHS
from routemoa.limits import CapExceeded, check_cap
from routemoa.methods import METHODS
from routemoa.operator_pools import default_pool_name, is_server_process
from routemoa.runner import Finished, Token, stream_answer
from routemoa.server import catalog
from routemoa.server import openai_api as api
from routemoa.server.disconnect import CancelOnDisconnect

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
    # The details (paths, provider texts) stay in the server's log.
    return api.APIError(
        500, f"RouteMoA failed: {type(exc).__name__} (the server's log has the details)", type="server_error"
    )


def _models(names: list[str]) -> list[dict[str, Any]]:
    """`/v1/models` objects of `names`, each with the operator's default pool (reads files: run in a thread)."""
    from routemoa.operator_pools import default_pool_reference
    from routemoa.pool import PoolError, load_pool

    pool_name = default_pool_name() or "default"
    try:
        pool = load_pool(default_pool_reference())
    except PoolError as exc:
        log.error("default pool %r cannot be used: %s", pool_name, exc)
        pool = None
    return [catalog.method_entry(name, pool_name, pool) for name in names]


async def list_models(request: Request) -> Response:
    """Every method (methods.METHODS, the order of langgraph.json), with the pool it serves and that pool's models."""
    return JSONResponse({"object": "list", "data": await asyncio.to_thread(_models, list(METHODS))})


async def get_model(request: Request) -> Response:
    name = request.path_params["model"]
    if name not in METHODS:
        return _error(api.unknown_model(name))
    return JSONResponse((await asyncio.to_thread(_models, [name]))[0])


def _route(raw: bytes) -> dict[str, Any]:
    """`POST /v1/route`: the routing plan of a chat request's messages (no model is called)."""
    from routemoa.route import route

    try:
        body = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, RecursionError, ValueError):
        raise api.bad_request("the request body is not valid UTF-8 JSON", code="invalid_json") from None
    if not isinstance(body, dict):
        raise api.bad_request("the request body must be a JSON object", code="invalid_json")
    method = body.get("model") or "routemoa"
    if not isinstance(method, str) or method not in METHODS:
        raise api.unknown_model(method)
    messages = api.parse_messages(body.get("messages"))
    context = api.parse_context(body, method)
    plan = route(messages, context, method=method)
    plan["pool"] = (body.get(api.KNOBS_FIELD) or {}).get("pool") or default_pool_name() or "default"
    return plan


async def route_query(request: Request) -> Response:
    """Which models a chat request would go to, their priors and the first layer's expected cost; no LLM call."""
    try:
        raw = await _read_body(request)
        plan = await asyncio.to_thread(_route, raw)
    except Exception as exc:
        return _error(_failure(exc))
    return JSONResponse(plan)


def _sse(payload: Any) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def _stream_body(
    req: api.ChatRequest, first: Token | Finished, rest: AsyncIterator[Token | Finished]
) -> AsyncIterator[str]:
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
            summary: dict[str, Any] = {api.KNOBS_FIELD: api.summary(item.output)}
            yield _sse(api.chunk(completion_id, req.method, {}, "stop", **summary))
            if req.include_usage:
                yield _sse(
                    api.chunk(completion_id, req.method, None, usage=api.usage(item.output.get("bill")), **summary)
                )
    except Exception as exc:  # mid-stream: the status line is gone, send an error event
        yield _sse(_failure(exc).body())
    yield "data: [DONE]\n\n"


class ClientGone(Exception):
    """The client disconnected before its answer was ready; its run was cancelled."""


async def _read_body(request: Request) -> bytes:
    """The request body, refused (413) above the operator's cap: at once when Content-Length says
    so, else as soon as the bytes read pass it (the rest is never read)."""
    declared = request.headers.get("content-length")
    try:
        if declared is not None:
            if not declared.isdigit():
                raise api.bad_request("the Content-Length header is not a number")
            check_cap("body_bytes", int(declared))
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            check_cap("body_bytes", size)
            chunks.append(chunk)
    except CapExceeded as exc:
        raise api.APIError(exc.status, str(exc), code="cap_exceeded") from None
    return b"".join(chunks)


def _parse(raw: bytes) -> api.ChatRequest:
    """UTF-8 JSON -> a validated request (reads the operator's pools: run it in a thread)."""
    try:
        body = json.loads(raw.decode("utf-8") or "null")
    except UnicodeDecodeError as exc:
        raise api.bad_request(
            f"the request body is not UTF-8: byte {exc.start} cannot be decoded", code="invalid_json"
        ) from None
    except RecursionError:
        raise api.bad_request("the request body is not valid JSON: nested too deeply", code="invalid_json") from None
    except ValueError as exc:  # JSONDecodeError, or an integer literal too long to convert
        raise api.bad_request(f"the request body is not valid JSON: {str(exc)[:200]}", code="invalid_json") from None
    return api.parse_request(body)


async def _until_disconnect(request: Request) -> None:
    """Return when the client disconnects (the body has been read: nothing else arrives before)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _unless_gone(request: Request, work) -> Any:
    """Await `work` (a coroutine); cancel it and raise ClientGone if the client disconnects first."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_until_disconnect(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise ClientGone()
    return task.result()


async def _pump(body: AsyncIterator[str], queue: asyncio.Queue) -> None:
    """Run the stream `body` into `queue` (None at the end). Cancelling this task cancels the run
    where it awaits (the queue never blocks), so the graph's own cleanup runs at once."""
    try:
        async for piece in body:
            queue.put_nowait(piece)
    finally:
        queue.put_nowait(None)


async def _drain(queue: asyncio.Queue) -> AsyncIterator[str]:
    while (piece := await queue.get()) is not None:
        yield piece


class _RunStream(StreamingResponse):
    """Server-sent events of a run; when the response ends (finished, or the client disconnected,
    which Starlette notices while streaming) the run's task is cancelled."""

    def __init__(self, body: AsyncIterator[str]):
        queue: asyncio.Queue = asyncio.Queue()
        self.run = asyncio.create_task(_pump(body, queue))
        super().__init__(
            _drain(queue),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if not self.run.done():
                log.info("client disconnected from a streamed chat completion; run cancelled")
                self.run.cancel()
                await asyncio.gather(self.run, return_exceptions=True)


async def chat_completions(request: Request) -> Response:
    """Answer a chat with the requested method; `stream: true` sends server-sent events."""
    try:
        raw = await _read_body(request)
        # File reads stay off the event loop (the dev server flags blocking calls).
        req = await asyncio.to_thread(_parse, raw)
        graph = GRAPHS[req.method]
        if not req.stream:
            output = await _unless_gone(request, graph.ainvoke({"messages": req.messages}, context=req.context))
            if output.get("error"):
                raise api.run_failed(output)
            return JSONResponse(api.completion(req.method, output))
        events = stream_answer(req.messages, req.context, graph=graph)
        first = await _unless_gone(request, anext(events))
        if isinstance(first, Finished) and first.output.get("error"):
            raise api.run_failed(first.output)
    except ClientGone:
        log.info("client disconnected before its chat completion was ready; run cancelled")
        return Response(status_code=499)  # nobody reads it
    except Exception as exc:
        return _error(_failure(exc))
    return _RunStream(_stream_body(req, first, events))


routes = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model:path}", get_model, methods=["GET"]),
    Route("/v1/route", route_query, methods=["POST"]),
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    """Inside a server (langgraph dev, a LangGraph deployment, `routemoa serve`): warm the scorer,
    the default pool and its providers in a worker thread before the first request, not during it
    (see warm.py; LangGraph merges this app's lifespan with its own)."""
    if is_server_process():
        from routemoa.server.warm import warm_up

        await warm_up()
    yield


app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(CancelOnDisconnect)])
"""The app langgraph.json mounts (`"http": {"app": "./routemoa/server/app.py:app"}`)."""
