"""The `openai` provider (langchain-openai's ChatOpenAI) against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import json
import time

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from routemoa.context import Context
from routemoa.runner import run_query
from tests.served_app import ServedApp

pytestmark = pytest.mark.integration
SEEN: list[dict] = []


async def completions(request: Request) -> JSONResponse:
    body = await request.json()
    SEEN.append({"model": body["model"], "auth": request.headers.get("authorization"), "body": body})
    if body["model"] == "broken":
        return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error"}}, status_code=500)
    prompt = body["messages"][-1]["content"]
    wants_json = "self_score" in prompt
    text = json.dumps({"answer": f"{body['model']} says 4", "self_score": 0.9}) if wants_json else "4, aggregated"
    return JSONResponse(
        {
            "id": "cmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
        }
    )


@pytest.fixture(scope="module")
def endpoint():
    with ServedApp(Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])) as server:
        yield server.url


async def test_openai_provider_end_to_end(endpoint, tmp_path, monkeypatch, fixed_prior):
    monkeypatch.setenv("LOOPBACK_KEY", "sk-test-123")
    models = [
        {
            "name": n,
            "provider": "openai",
            "base_url": endpoint,
            "model": n,
            "api_key_env": "LOOPBACK_KEY",
            "input_price": 1.0,
            "output_price": 2.0,
            "description": n,
        }
        for n in ("alpha", "beta", "broken")
    ]
    pool = tmp_path / "pool.yaml"
    pool.write_text(yaml.safe_dump({"models": models}))
    fixed_prior({"alpha": 0.9, "beta": 0.85, "broken": 0.8})
    SEEN.clear()
    out = await run_query("What is 2 + 2?", Context(pool=str(pool), top_k=3, max_layers=1, max_tokens=64))
    assert out["answer"] == "4, aggregated" and out["error"] is None
    assert "500" in out["trace"][0]["errors"]["broken"] and "upstream exploded" in out["trace"][0]["errors"]["broken"]
    assert out["trace"][0]["scores"]["alpha"]["self"] == 0.9
    bill = out["bill"]
    call = (120 * 1.0 + 30 * 2.0) / 1e6
    assert bill["models"]["alpha"]["calls"] == 2 and bill["models"]["beta"]["calls"] == 1
    assert bill["total_usd"] == pytest.approx(3 * call)  # failed calls cost nothing
    assert {s["auth"] for s in SEEN} == {"Bearer sk-test-123"}
    assert all(s["body"].get("max_completion_tokens", s["body"].get("max_tokens")) == 64 for s in SEEN)
    assert "sk-test-123" not in json.dumps(out, default=str)


def _pool(tmp_path, endpoint, names=("alpha", "beta", "gamma")) -> str:
    models = [{"name": n, "provider": "openai", "base_url": endpoint, "model": n, "description": n} for n in names]
    pool = tmp_path / "pool.yaml"
    pool.write_text(yaml.safe_dump({"models": models}))
    return str(pool)


def test_repeated_asyncio_run_and_sync_chat_calls_all_answer(endpoint, tmp_path, fixed_prior):
    """Each asyncio.run / sync ChatRouteMoA call runs its own event loop; every one must reach the models."""
    import asyncio

    from routemoa.chat_model import ChatRouteMoA

    pool = _pool(tmp_path, endpoint)
    fixed_prior({"alpha": 0.9, "beta": 0.85, "gamma": 0.8})
    for _ in range(3):
        out = asyncio.run(run_query("What is 2 + 2?", Context(pool=pool, top_k=3, max_layers=1)))
        assert out["error"] is None and out["bill"]["models"]["alpha"]["failed_calls"] == 0, out["trace"]
    llm = ChatRouteMoA(pool=pool, max_layers=1)
    for _ in range(2):
        assert llm.invoke("What is 2 + 2?").content == "4, aggregated"
