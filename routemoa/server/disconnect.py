"""A client that leaves cancels its LangGraph API run, unless it asked otherwise.

The LangGraph API lets a client choose what happens to a run it waits on
(`/runs/stream`, `/runs/wait`, `/threads/{id}/runs/stream`, `/threads/{id}/runs/wait`)
when it disconnects: `"on_disconnect": "cancel"` or `"continue"`, and its default
is `continue` — a run nobody reads any more keeps paying for model calls. This
ASGI middleware (LangGraph's custom-middleware hook: the http app's middleware runs
for the built-in routes too) makes `cancel` the default: a request body without
`on_disconnect` gets `"on_disconnect": "cancel"`; one that names it is left alone,
as is every other request.
"""

from __future__ import annotations

import json

from routemoa.limits import CAPS

WAITED_RUNS = ("/runs/stream", "/runs/wait")
"""Path endings of the run routes whose client waits on the run."""


def with_cancel_default(body: bytes) -> bytes:
    """`body` with `"on_disconnect": "cancel"` when it is a JSON object without the field; else as is
    (the API answers a body it cannot read itself)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8 JSON, or nested too deep
        return body
    if not isinstance(payload, dict) or "on_disconnect" in payload:
        return body
    payload["on_disconnect"] = "cancel"
    return json.dumps(payload, ensure_ascii=False).encode()


class CancelOnDisconnect:
    """ASGI middleware: POSTs to a waited-on run route default to `on_disconnect: cancel`."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(WAITED_RUNS):
            await self.app(scope, receive, send)
            return
        limit, size = CAPS["body_bytes"].value(), 0
        chunks, message = [], {"more_body": True}
        while message.get("more_body"):
            message = await receive()
            if message["type"] != "http.request":  # the client left before its body arrived
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:  # answered at once: the rest of the body is never read
                await _refuse(
                    send, f"request body above the operator's cap of {limit} bytes (${CAPS['body_bytes'].env})"
                )
                return
        body = with_cancel_default(b"".join(chunks))
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later: the client's disconnect, which cancels the run

        await self.app(scope, replay, send)


async def _refuse(send, message: str) -> None:
    """A 413 with LangGraph's error shape (`detail`)."""
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
