"""The OpenAI-compatible app in process (httpx ASGITransport): shapes, knobs, errors, method registry."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fakes_serving  # registers the fake provider kinds

from routemoa.operator_pools import POOL_ENV, POOLS_DIR_ENV
from routemoa.server import openai_api as api
from routemoa.server.app import _parse, _route, app

Q = [{"role": "user", "content": "What is 6*7?"}]


@pytest.fixture
def pools(tmp_path, monkeypatch) -> Path:
    """The operator's pools directory: `fake` (the default, two fake models) and `down` (two failing)."""
    folder = tmp_path / "pools"
    folder.mkdir()
    fakes_serving.write_pool(folder / "fake.yaml", 2)
    fakes_serving.write_pool(folder / "down.yaml", 2, fail=True)
    monkeypatch.setenv(POOLS_DIR_ENV, str(folder))
    monkeypatch.setenv(POOL_ENV, "fake")
    return folder


@pytest.fixture
async def client(pools):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as c:
        yield c


async def test_models_lists_the_graphs_of_langgraph_json_in_its_order(client):
    listed = (await client.get("/v1/models")).json()
    shipped = json.loads((Path(__file__).parents[2] / "langgraph.json").read_text())["graphs"]
    assert listed["object"] == "list" and [m["id"] for m in listed["data"]] == list(shipped) == [
        "routemoa",
        "moa",
        "smoa",
        "single",
        "random_k",
    ]
    assert [m["description"] for m in listed["data"]] == [g["description"] for g in shipped.values()]
    assert (await client.get("/v1/models/moa")).json()["id"] == "moa"
    for unknown in ("nope", "graph", "routemoa.graph:moa"):
        missing = await client.get(f"/v1/models/{unknown}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
    chat = await client.post("/v1/chat/completions", json={"model": "graph", "messages": Q})
    assert (
        chat.status_code == 404
        and chat.json()["error"]["param"] == "model"
        and "routemoa, moa, smoa" in chat.json()["error"]["message"]
    )


async def test_completion_has_usage_from_the_bill_and_a_routing_summary(client):
    r = await client.post(
        "/v1/chat/completions", json={"model": "routemoa", "messages": Q, "routemoa": {"max_layers": 1}}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "routemoa"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "fake-1 says 42 (aggregated)"}
    usage, summary = body["usage"], body["routemoa"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert summary["layers"] == [["fake-1", "fake-0"]] and summary["decision"] == "max_layers"
    assert summary["aggregator"] == "fake-1" and summary["calls"] == 3 and summary["total_usd"] > 0


async def test_stream_sends_tokens_then_summary_then_usage(client):
    body = {
        "model": "routemoa",
        "messages": Q,
        "stream": True,
        "stream_options": {"include_usage": True},
        "routemoa": {"max_layers": 1},
    }
    r = await client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    lines = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "fake-1 says 42 (aggregated)"
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]) >= 3
    finish = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] == "stop"]
    assert finish and finish[0]["routemoa"]["layers"] == [["fake-1", "fake-0"]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "gpt-9", "messages": Q}, 404, "model"),
        ({"messages": Q}, 400, "model"),
        ({"model": "routemoa", "messages": []}, 400, "messages"),
        ({"model": "routemoa", "messages": [{"role": "user", "content": "  "}]}, 400, "messages"),
        ({"model": "routemoa", "messages": [{"role": "tool", "content": "x"}]}, 400, "messages[0].role"),
        ({"model": "routemoa", "messages": [{"role": ["user"], "content": "x"}]}, 400, "messages[0].role"),
        ({"model": "routemoa", "messages": [{"role": {"user": 1}, "content": "x"}]}, 400, "messages[0].role"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"max_layers": 0}}, 400, "routemoa.max_layers"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"max_layers": "two"}}, 400, "routemoa.max_layers"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"threshold": 1.5}}, 400, "routemoa.threshold"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"warp": 9}}, 400, "routemoa.warp"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"pool": "/nonexistent.yaml"}}, 400, "routemoa.pool"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"pool": "../fake"}}, 400, "routemoa.pool"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"pool": "embedded"}}, 400, "routemoa.pool"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"max_layers": 9}}, 400, "routemoa.max_layers"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"top_k": 17}}, 400, "routemoa.top_k"),
        ({"model": "routemoa", "messages": Q, "max_tokens": 4097}, 400, "max_tokens"),
        ({"model": "routemoa", "messages": Q * 201}, 400, "messages"),
        ({"model": "routemoa", "messages": [{"role": "user", "content": "x" * 200_001}]}, 400, "messages"),
        ({"model": "routemoa", "messages": Q, "routemoa": {"aggregator": "nobody"}}, 400, "routemoa.aggregator"),
        ({"model": "routemoa", "messages": Q, "temperature": 7}, 400, "temperature"),
        ({"model": "routemoa", "messages": Q, "n": 3}, 400, "n"),
        ([1, 2], 400, None),
    ],
)
async def test_bad_requests_get_openai_style_4xx(client, body, status, param):
    r = await client.post("/v1/chat/completions", json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    assert error["type"] == "invalid_request_error" and error["param"] == param


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["routemoa", "moa", "user", "system", "assistant", "tool", "fake", "json_schema", "text"]),
)
_KEYS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["model", "messages", "role", "content", "routemoa", "stream", "max_tokens", "pool", "top_k"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)),
    max_leaves=20,
)
_BODIES = st.one_of(
    _VALUES,
    st.fixed_dictionaries(
        {"model": _SCALARS, "messages": st.lists(st.dictionaries(_KEYS, _VALUES, max_size=4), max_size=3)},
        optional={
            "routemoa": st.dictionaries(_KEYS, _VALUES, max_size=4),
            "stream": _VALUES,
            "response_format": _VALUES,
        },
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_BODIES)
def test_any_json_body_is_a_request_or_a_4xx(pools, body):
    """Chat and route requests are parsed in full or refused with a 4xx (an unexpected exception would be a 500)."""
    raw = json.dumps(body).encode()
    for parse in (_parse, _route):
        try:
            parse(raw)
        except api.APIError as exc:
            assert 400 <= exc.status < 500 and str(exc), (exc.status, str(exc))


async def test_malformed_json_is_a_400(client):
    r = await client.post("/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("stream", [False, True])
async def test_every_model_failing_is_a_502_with_the_reason(client, stream):
    r = await client.post(
        "/v1/chat/completions",
        json={"model": "routemoa", "messages": Q, "stream": stream, "routemoa": {"pool": "down", "max_layers": 1}},
    )
    assert r.status_code == 502
    error = r.json()["error"]
    assert error["type"] == "provider_error" and "fake-0 is down" in error["message"]


async def test_a_body_above_the_cap_is_refused_without_reading_the_rest(client, monkeypatch):
    monkeypatch.setenv("ROUTEMOA_CAP_BODY_BYTES", "1000")
    sent: list[int] = []

    async def chunks():  # no Content-Length: the app counts what it reads
        for i in range(100):
            sent.append(i)
            yield b"x" * 100

    r = await client.post("/v1/chat/completions", content=chunks())
    assert r.status_code == 413 and r.json()["error"]["code"] == "cap_exceeded"
    assert (
        "above the operator's cap of 1000 bytes per request body ($ROUTEMOA_CAP_BODY_BYTES)"
        in r.json()["error"]["message"]
    )
    assert len(sent) <= 12


async def test_an_operator_pool_that_cannot_load_is_a_500_without_its_path(client, pools):
    (pools / "broken.yaml").write_text("models: [")
    r = await client.post(
        "/v1/chat/completions", json={"model": "routemoa", "messages": Q, "routemoa": {"pool": "broken"}}
    )
    assert r.status_code == 500 and r.json()["error"]["code"] == "invalid_pool"
    assert "pool 'broken' is misconfigured" in r.json()["error"]["message"] and str(pools) not in r.text
