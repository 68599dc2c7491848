"""The OpenAI-compatible endpoint of a real `langgraph dev` server, through the official `openai` client and curl.

These are the requests docs/serving.md shows. The server's default pool for
these requests is the fixture's two fake models (`routemoa serve --pools DIR --pool fake`).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import openai
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def client(dev_server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{dev_server.url}/v1", api_key="not-needed", max_retries=0, timeout=60)


def test_models_lists_the_methods(client):
    from routemoa.methods import METHODS

    # every method, in METHODS order, although this server's langgraph.json exports only `routemoa`
    assert [m.id for m in client.models.list()] == list(METHODS)
    reply = client.chat.completions.create(
        model="moa", messages=[{"role": "user", "content": "What is 6*7?"}], extra_body={"routemoa": {"max_layers": 1}}
    )
    assert reply.model == "moa" and reply.model_extra["routemoa"]["layers"] == [["fake-0", "fake-1"]]


def test_chat_completion_with_knobs(client):
    reply = client.chat.completions.create(
        model="routemoa",
        messages=[{"role": "user", "content": "What is 6*7?"}],
        extra_body={"routemoa": {"max_layers": 1}},
    )
    assert reply.choices[0].message.content == "fake-1 says 42 (aggregated)"
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens > 0
    summary = reply.model_extra["routemoa"]
    assert summary["layers"] == [["fake-1", "fake-0"]] and summary["decision"] == "max_layers"
    assert summary["total_usd"] > 0 and summary["wall_s"] >= 0


def test_chat_completion_stream(client):
    stream = client.chat.completions.create(
        model="routemoa",
        messages=[{"role": "user", "content": "What is 6*7?"}],
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"routemoa": {"max_layers": 1}},
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) >= 3 and "".join(pieces) == "fake-1 says 42 (aggregated)"
    assert chunks[-1].usage.total_tokens > 0


def test_errors_are_openai_errors(client, dev_server):
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model="routemoa", messages=[])
    assert empty.value.body["param"] == "messages"
    with pytest.raises(openai.BadRequestError) as knob:
        client.chat.completions.create(
            model="routemoa", messages=[{"role": "user", "content": "hi"}], extra_body={"routemoa": {"top_k": 0}}
        )
    assert knob.value.body["param"] == "routemoa.top_k"
    with pytest.raises(openai.InternalServerError) as down:
        client.chat.completions.create(
            model="routemoa",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"routemoa": {"pool": dev_server.failing_pool, "max_layers": 1}},
        )
    assert down.value.status_code == 502 and "every model failed" in down.value.message
    raw = httpx.post(
        f"{dev_server.url}/v1/chat/completions", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert raw.status_code == 400 and raw.json()["error"]["code"] == "invalid_json"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_example(dev_server):
    body = '{"model": "routemoa", "messages": [{"role": "user", "content": "What is 6*7?"}], "routemoa": {"max_layers": 1}}'
    out = subprocess.run(
        ["curl", "-s", f"{dev_server.url}/v1/chat/completions", "-H", "Content-Type: application/json", "-d", body],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    reply = json.loads(out)
    assert reply["choices"][0]["message"]["content"] and reply["routemoa"]["layers"]
