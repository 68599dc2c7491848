"""The OpenAI endpoint's standard parameters against real models on loopback (tests/stub_openai.py):
honoured ones reach the calls, the others are a 400 that names them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stub_openai import StubOpenAI

from routemoa.operator_pools import POOL_ENV, POOLS_DIR_ENV
from routemoa.server.app import app

pytestmark = pytest.mark.integration
Q = [{"role": "user", "content": "What is 2 + 2?"}]
FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "Answer", "schema": {"type": "object", "properties": {"answer": {"type": "string"}}}},
}


@pytest.fixture(scope="module")
def stub():
    with StubOpenAI() as server:
        yield server


@pytest.fixture
async def client(stub, tmp_path, monkeypatch, fixed_prior):
    folder = tmp_path / "pools"
    folder.mkdir()
    stub.write_pool(folder / "stub.yaml", ["alpha", "beta"])
    monkeypatch.setenv(POOLS_DIR_ENV, str(folder))
    monkeypatch.setenv(POOL_ENV, "stub")
    fixed_prior({"alpha": 0.9, "beta": 0.85})
    stub.requests.clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as c:
        yield c


def _aggregator(stub: StubOpenAI) -> dict:
    (body,) = [b for b in stub.requests if "Candidate responses" in str(b["messages"])]
    return body


@pytest.mark.parametrize("stream", [False, True])
async def test_response_format_stop_temperature_and_max_tokens_reach_the_models(client, stub, stream):
    body = {
        "model": "routemoa",
        "messages": Q,
        "stream": stream,
        "response_format": FORMAT,
        "stop": "END",
        "temperature": 0.6,
        "max_completion_tokens": 50,
        "routemoa": {"max_layers": 1},
    }
    r = await client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    if stream:
        chunks = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
        content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    else:
        content = r.json()["choices"][0]["message"]["content"]
    assert json.loads(content) == stub.structured
    aggregator = _aggregator(stub)
    assert aggregator["response_format"] == FORMAT and aggregator["stop"] == ["END"]
    assert aggregator["temperature"] == pytest.approx(0.3)  # the aggregator writes at half the temperature
    assert {b.get("max_completion_tokens", b.get("max_tokens")) for b in stub.requests} == {50}
    assert {b["temperature"] for b in stub.requests if b is not aggregator} == {0.6}


@pytest.mark.parametrize(
    "extra, param",
    [
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "tools"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"seed": 7}, "seed"),
        ({"logprobs": True}, "logprobs"),
        ({"top_p": 0.5}, "top_p"),
        ({"frequency_penalty": 0.5}, "frequency_penalty"),
        ({"made_up": 1}, "made_up"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stop": 3}, "stop"),
        ({"response_format": {"type": "xml"}}, "response_format"),
        ({"response_format": {"type": "json_schema"}}, "response_format"),
    ],
)
async def test_parameters_not_honoured_are_a_400_naming_them(client, stub, extra, param):
    r = await client.post("/v1/chat/completions", json={"model": "routemoa", "messages": Q, **extra})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param and param in error["message"]
    assert not stub.requests  # refused before any model call


async def test_neutral_and_null_values_are_accepted(client):
    body = {
        "model": "routemoa",
        "messages": Q,
        "seed": None,
        "logprobs": False,
        "top_p": 1,
        "tool_choice": "none",
        "presence_penalty": 0,
        "user": "u-1",
        "routemoa": {"max_layers": 1},
    }
    r = await client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
