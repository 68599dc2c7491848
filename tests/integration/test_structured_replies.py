"""Scored replies over real HTTP: response_format per the pool's structured_output, and the free-text fallback.

A loopback OpenAI-compatible server (tests/loopback_server.py) honours response_format:
json_schema replies follow the schema sent (peer_scores of its length), json_object replies
are JSON, and model `no-format` answers 400 to any request that carries a response_format,
like servers without structured outputs do; without one it replies in prose around JSON.
"""

from __future__ import annotations

import json

import pytest
import yaml

from routemoa import calls
from routemoa.context import Context
from routemoa.runner import run_query
from tests.loopback_server import LoopbackServer, prompt_of

pytestmark = pytest.mark.integration
REJECTION = {
    "error": {
        "message": "Unrecognized request argument supplied: response_format",
        "type": "invalid_request_error",
        "param": "response_format",
        "code": None,
    }
}


def answer(body: dict) -> str | tuple[int, dict]:
    model, fmt, prompt = body["model"], body.get("response_format"), prompt_of(body)
    if model == "no-format" and fmt:
        return 400, REJECTION
    if "Candidate responses" in prompt:
        return "4, aggregated"
    if "self_score" not in prompt:
        return f"{model}: 4"
    if fmt and fmt["type"] == "json_schema":
        peers = fmt["json_schema"]["schema"]["properties"].get("peer_scores", {}).get("minItems", 0)
    else:
        peers = prompt.count(" begin m")
    reply = {"answer": f"{model} says 4", "self_score": 0.8, **({"peer_scores": [0.9] * peers} if peers else {})}
    return json.dumps(reply) if fmt else f"Sure! Here it is:\n```json\n{json.dumps(reply)}\n```"


@pytest.fixture
def server():
    with LoopbackServer(answer) as running:
        yield running


async def test_response_format_per_model_and_fallback_on_rejection(server, tmp_path, fixed_prior, monkeypatch):
    monkeypatch.setattr(calls, "FORMAT_REJECTED", set())
    models = [
        {"name": "schema", "provider": "openai", "base_url": server.url, "model": "schema", "description": "s"},
        {
            "name": "object",
            "provider": "openai",
            "base_url": server.url,
            "model": "object",
            "description": "o",
            "structured_output": "json_object",
        },
        {"name": "no-format", "provider": "openai", "base_url": server.url, "model": "no-format", "description": "n"},
    ]
    pool = tmp_path / "pool.yaml"
    pool.write_text(yaml.safe_dump({"models": models}))
    fixed_prior({"schema": 0.6, "object": 0.6, "no-format": 0.6})
    ctx = Context(pool=str(pool), top_k=3, max_layers=3, threshold=0.99, max_tokens=64)
    first = await run_query("What is 2 + 2?", ctx)
    second = await run_query("What is 2 + 2?", ctx)

    for out in (first, second):
        assert out["error"] is None and out["answer"] == "4, aggregated"
        for layer in out["trace"][:2]:  # both scored layers: every self score parsed, from JSON or prose
            assert {m: s["self"] for m, s in layer["scores"].items()} == {
                "schema": 0.8,
                "object": 0.8,
                "no-format": 0.8,
            }
        assert out["trace"][1]["scores"]["schema"]["cross"] == 0.9  # peer scores read from every model
    schema_formats = [b.get("response_format") for b in server.bodies if b["model"] == "schema"]
    layer1, layer2, plain, *_ = schema_formats
    assert layer1["type"] == "json_schema" and layer1["json_schema"]["name"] == "scored_reply"
    assert layer1["json_schema"]["schema"]["required"] == ["answer", "self_score"]
    assert layer2["json_schema"]["schema"]["properties"]["peer_scores"]["minItems"] == 3
    assert plain is None
    object_formats = [b.get("response_format") for b in server.bodies if b["model"] == "object"]
    assert object_formats[:2] == [{"type": "json_object"}] * 2
    rejected = [b for b in server.bodies if b["model"] == "no-format" and b.get("response_format")]
    assert len(rejected) == 1  # refused once, then remembered for the process
    assert {(server.url, "no-format")} == calls.FORMAT_REJECTED
    no_format = first["bill"]["models"]["no-format"]
    assert no_format["attempts"] == no_format["calls"] + 1 and no_format["failed_calls"] == 0
