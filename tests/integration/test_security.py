"""Issue 8, server side, against the real `langgraph dev` server and a slow OpenAI-compatible stub on loopback.

- Clients name one of the operator's pools, on the OpenAI endpoint and in a LangGraph
  API run's context; a path, '..', an unknown name or `embedded` is refused with the
  allowed names and no file is opened (a FIFO would block the server if it were).
- Caps on work per request (layers, models per layer, answer tokens, messages,
  characters, body bytes) are refused with a message that names the cap.
- Bodies that are not UTF-8 JSON, nested 100,000 deep, or carry lone surrogates: 400.
- A client that disconnects cancels its run: no model call starts after it left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import threading
import time
from urllib.parse import urlparse

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from tests.served_app import ServedApp

pytestmark = pytest.mark.integration

QUESTION = [{"role": "user", "content": "What is 6*7?"}]
CALL_DELAY_S = 1.0
"""Seconds the stub takes to answer one agent call."""
TOKEN_DELAY_S = 0.2
"""Seconds between the stub's streamed tokens."""
STREAM_TOKENS = 25


class SlowStub:
    """An OpenAI-compatible chat-completions server that is slow and records every request."""

    def __init__(self):
        self.calls: list[float] = []
        """time.monotonic() when each request arrived."""
        self.tokens_sent: list[int] = []
        """Tokens each streamed answer got out before it ended or its client left."""
        self.lock = threading.Lock()

    def started_after(self, moment: float) -> int:
        with self.lock:
            return sum(1 for t in self.calls if t > moment)

    def count(self) -> int:
        with self.lock:
            return len(self.calls)

    async def completions(self, request: Request):
        body = await request.json()
        with self.lock:
            self.calls.append(time.monotonic())
        prompt = body["messages"][-1]["content"]
        if "self_score" in prompt:  # an agent: its JSON reply, after a while
            reply = {"answer": f"{body['model']} says 42", "self_score": 0.5}
            if "peer_scores" in prompt:
                reply["peer_scores"] = [0.5] * len(set(re.findall(r"\[ANSWER_(\d+) begin", prompt)))
            pieces, delay_s = [json.dumps(reply)], CALL_DELAY_S
        else:  # the aggregator: a slow stream of tokens
            pieces, delay_s = [f"t{i} " for i in range(STREAM_TOKENS)], TOKEN_DELAY_S
        if body.get("stream"):
            return StreamingResponse(self._stream(body["model"], pieces, delay_s), media_type="text/event-stream")
        text = "".join(pieces)
        await asyncio.sleep(CALL_DELAY_S)
        return JSONResponse(
            {
                "id": "cmpl-stub",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
            }
        )

    async def _stream(self, model: str, pieces: list[str], delay_s: float):
        index = len(self.tokens_sent)
        self.tokens_sent.append(0)

        def chunk(delta: dict, finish: str | None = None) -> str:
            return (
                "data: "
                + json.dumps(
                    {
                        "id": "cmpl-stub",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }
                )
                + "\n\n"
            )

        yield chunk({"role": "assistant", "content": ""})
        for piece in pieces:
            await asyncio.sleep(delay_s)
            yield chunk({"content": piece})
            self.tokens_sent[index] += 1
        yield chunk({}, "stop")
        yield "data: [DONE]\n\n"


@pytest.fixture(scope="module")
def stub(dev_server):
    """The slow stub on a free loopback port, and pool `slow` (three of its models) in the operator's directory."""
    recorder = SlowStub()
    server = ServedApp(
        Starlette(routes=[Route("/v1/chat/completions", recorder.completions, methods=["POST"])])
    ).start()
    models = [
        {
            "name": f"slow-{i}",
            "provider": "openai",
            "base_url": server.url,
            "model": f"slow-{i}",
            "description": d,
            "input_price": 1.0,
            "output_price": 2.0,
            "latency_s": CALL_DELAY_S,
        }
        for i, d in enumerate(["short factual answers", "arithmetic step by step", "checks answers"])
    ]
    (dev_server.pools / "slow.yaml").write_text(yaml.safe_dump({"models": models}))
    yield recorder
    (dev_server.pools / "slow.yaml").unlink()
    server.stop()


def _chat(dev_server, body: dict, **kw) -> httpx.Response:
    return httpx.post(f"{dev_server.url}/v1/chat/completions", json=body, timeout=60, **kw)


def _run_wait(dev_server, context: dict) -> httpx.Response:
    body = {"assistant_id": "routemoa", "input": {"messages": QUESTION}, "context": context}
    return httpx.post(f"{dev_server.url}/runs/wait", json=body, timeout=60)


def _refused_pools(dev_server, tmp_path) -> list[str]:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    return [
        str(fifo),
        str(dev_server.pools / "fake.yaml"),
        "../pools/fake",
        "pools/fake",
        "fake.yaml",
        "nosuch",
        "embedded",
        "fa ke",
    ]


def test_openai_endpoint_takes_pool_names_only(dev_server, tmp_path):
    for value in _refused_pools(dev_server, tmp_path):
        started = time.monotonic()
        r = _chat(dev_server, {"model": "routemoa", "messages": QUESTION, "routemoa": {"pool": value}})
        assert time.monotonic() - started < 10, value  # a FIFO opened would block until the timeout
        assert r.status_code == 400, (value, r.text)
        error = r.json()["error"]
        assert error["param"] == "routemoa.pool" and error["code"] == "pool_not_allowed", error
        assert "choose one of: failing, fake" in error["message"], error["message"]  # (+ pools other tests add)
        assert str(dev_server.pools) not in error["message"]
    named = _chat(
        dev_server, {"model": "routemoa", "messages": QUESTION, "routemoa": {"pool": "fake", "max_layers": 1}}
    )
    assert named.status_code == 200, named.text


def test_langgraph_runs_take_pool_names_only(dev_server, tmp_path):
    for value in _refused_pools(dev_server, tmp_path):
        r = _run_wait(dev_server, {"pool": value, "max_layers": 1})  # refused before the run (run_policy.py)
        assert r.status_code == 400, (value, r.text)
        assert "is not available on this server; choose one of: failing, fake" in r.json()["detail"], r.text
    out = _run_wait(dev_server, {"pool": "fake", "max_layers": 1}).json()
    assert out["answer"] == "fake-1 says 42 (aggregated)"
    assert (
        _run_wait(dev_server, {"max_layers": 1}).json()["answer"] == "fake-1 says 42 (aggregated)"
    )  # the default pool


def test_a_fifo_in_the_pools_directory_is_not_a_pool(dev_server):
    trap = dev_server.pools / "trap.yaml"
    os.mkfifo(trap)
    try:
        r = _chat(dev_server, {"model": "routemoa", "messages": QUESTION, "routemoa": {"pool": "trap"}})
        assert r.status_code == 400 and "choose one of: failing, fake" in r.json()["error"]["message"]
    finally:
        trap.unlink()


@pytest.mark.parametrize(
    ("extra", "cap", "param"),
    [
        ({"routemoa": {"max_layers": 9}}, "max_layers", "routemoa.max_layers"),
        ({"routemoa": {"top_k": 17}}, "top_k", "routemoa.top_k"),
        ({"max_tokens": 4097}, "max_tokens", "max_tokens"),
        ({"messages": QUESTION * 201}, "messages", "messages"),
        ({"messages": [{"role": "user", "content": "x" * 200_001}]}, "chars", "messages"),
    ],
)
def test_openai_requests_above_a_cap_name_it(dev_server, extra, cap, param):
    r = _chat(dev_server, {"model": "routemoa", "messages": QUESTION, **extra})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "cap_exceeded" and error["param"] == param
    assert error["message"].startswith(f"{cap} ") and f"$ROUTEMOA_CAP_{cap.upper()}" in error["message"]


@pytest.mark.parametrize(
    ("run_input", "says"),
    [
        (5, "input must be an object with 'messages'"),
        ({"messages": [{"role": ["user"], "content": "x"}]}, "input.messages: not readable as chat messages"),
        ({"messages": [["user", {"x": 1}]]}, "input.messages: not readable as chat messages"),
    ],
)
def test_langgraph_runs_with_unreadable_messages_are_a_400(dev_server, run_input, says):
    body = {"assistant_id": "routemoa", "input": run_input}
    r = httpx.post(f"{dev_server.url}/runs/wait", json=body, timeout=60)  # was 200 with a failed run
    assert r.status_code == 400 and r.json()["detail"].startswith(says), r.text


def test_langgraph_runs_above_a_cap_name_it(dev_server):
    for knob, value in (("max_layers", 9), ("top_k", 17), ("max_tokens", 4097)):
        r = _run_wait(dev_server, {knob: value})
        assert r.status_code == 400 and r.json()["detail"].startswith(f"{knob} {value} is above the operator's cap"), (
            r.text
        )


def _read_response(sock: socket.socket) -> str:
    """One HTTP response with a Content-Length, read from `sock` (it may come in several segments)."""
    data = b""
    while True:
        head, separator, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head, re.I) if separator else None
        if length and len(body) >= int(length.group(1)):
            return data.decode()
        piece = sock.recv(65536)
        if not piece:
            return data.decode()
        data += piece


def test_a_body_above_the_cap_is_refused_before_it_is_sent(dev_server):
    """413 as soon as the headers say 10 MB: the client has sent 64 KiB of it."""
    url = urlparse(dev_server.url)
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: 10000000\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(head + b'{"model": "routemoa", "messages": ["' + b"x" * 65536)
        reply = _read_response(sock)
        seconds = time.monotonic() - started
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert "body_bytes 10000000 is above the operator's cap of 2000000" in reply and seconds < 5


@pytest.mark.parametrize(
    ("raw", "code", "says"),
    [
        (
            b'{"model": "routemoa", "messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "invalid_json",
            "nested too deeply",
        ),
        (b'{"model": "routemoa", "messages": [{"role": "user", "content": "caf\xe9"}]}', "invalid_json", "not UTF-8"),
        (
            b'{"model": "routemoa", "messages": [{"role": "user", "content": "\\ud800 hi"}]}',
            "invalid_unicode",
            "messages[0].content",
        ),
        (
            b'{"model": "routemoa", "messages": [{"role": "user", "content": "hi"}], "routemoa": {"pool": "\\udfff"}}',
            "invalid_unicode",
            "routemoa.pool",
        ),
        (
            b'{"model": "routemoa", "messages": [{"role": "user", "content": "hi"}], "max_tokens": '
            + b"9" * 5000
            + b"}",
            "invalid_json",
            "not valid JSON",
        ),
    ],
)
def test_malformed_bodies_are_400_never_500(dev_server, raw, code, says):
    r = httpx.post(
        f"{dev_server.url}/v1/chat/completions", content=raw, headers={"content-type": "application/json"}, timeout=30
    )
    assert r.status_code == 400, r.text[:300]
    error = r.json()["error"]
    assert error["code"] == code and says in error["message"], error


SLOW_RUN = {"routemoa": {"pool": "slow", "top_k": 3, "max_layers": 3, "threshold": 0.99, "call_timeout_s": 30}}
"""Three layers of the three slow models and an aggregator: 10 calls, about 3 s and 5 s of streamed answer."""


def _send_and_leave(dev_server, stub: SlowStub, body: dict, *, leave_when) -> float:
    """POST `body` on a raw socket, close it once `leave_when()` is true; the moment it left."""
    url = urlparse(dev_server.url)
    payload = json.dumps(body).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((url.hostname, url.port), timeout=120)
    sock.sendall(head + payload)
    deadline = time.monotonic() + 120
    while not leave_when(sock) and time.monotonic() < deadline:
        time.sleep(0.02)
    left = time.monotonic()
    sock.close()
    return left


def test_the_slow_pool_makes_ten_calls_when_the_client_stays(dev_server, stub):
    before = stub.count()
    r = _chat(dev_server, {"model": "routemoa", "messages": QUESTION, **SLOW_RUN})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"].startswith("t0 t1")
    assert r.json()["routemoa"]["calls"] == stub.count() - before == 10


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_disconnects_cancels_its_run(dev_server, stub, stream):
    """Three layers of three slow models and an aggregator: 10 calls when the client stays.
    The client leaves once layer 2's three calls have reached the model server (they take 1 s);
    no call may start after that."""
    body = {"model": "routemoa", "messages": QUESTION, "stream": stream, **SLOW_RUN}
    before = stub.count()
    left = _send_and_leave(dev_server, stub, body, leave_when=lambda _sock: stub.count() - before >= 6)
    time.sleep(3 * CALL_DELAY_S + 1)  # the rest of layer 2, layer 3 and the aggregator would have started by now
    made, after = stub.count() - before, stub.started_after(left)
    print(f"\ncancellation (stream={stream}): {made} of 10 calls made, {after} started after the client left")
    assert after == 0 and made == 6


def test_a_client_that_leaves_mid_stream_stops_the_answer(dev_server, stub):
    """The client reads the first streamed token of the aggregator, then leaves: the aggregator's call
    to the model is abandoned (it would send 25 tokens, 0.2 s apart)."""
    body = {
        "model": "routemoa",
        "messages": QUESTION,
        "stream": True,
        "routemoa": {"pool": "slow", "top_k": 2, "max_layers": 1, "call_timeout_s": 30},
    }
    streams = len(stub.tokens_sent)
    seen = bytearray()

    def got_a_token(sock) -> bool:
        if sock is not None:
            sock.settimeout(0.05)
            with contextlib.suppress(TimeoutError):
                seen.extend(sock.recv(65536))
        return b'"content": "t0 ' in seen

    _send_and_leave(dev_server, stub, body, leave_when=got_a_token)
    assert got_a_token(None), seen[-500:]
    time.sleep(1)
    assert len(stub.tokens_sent) > streams, stub.tokens_sent  # the aggregator's is the last stream
    sent = stub.tokens_sent[-1]
    time.sleep(1)
    assert stub.tokens_sent[-1] == sent < 10, stub.tokens_sent
