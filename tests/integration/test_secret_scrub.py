"""A provider that echoes its Authorization header: the key never reaches an output, a checkpoint, a log or a peer."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
import yaml
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from routemoa.context import Context
from routemoa.graph import build_graph
from routemoa.operator_pools import POOL_ENV, POOLS_DIR_ENV
from routemoa.runner import run_query
from tests.stub_faults import FaultStub

pytestmark = pytest.mark.integration

KEY = "sk-live-0123456789abcdef-ECHOED"
OTHER_KEY = "db-password-Zq8xY2wV"


@pytest.fixture
def stub(monkeypatch, caplog):
    monkeypatch.setenv("STUB_KEY", KEY)
    monkeypatch.setenv("OTHER_KEY", OTHER_KEY)
    caplog.set_level(logging.DEBUG)
    with FaultStub() as server:
        server.echo_auth = True
        server.always = {"echo": 500}  # every request fails with the Authorization header in its body
        server.echo_answer = {"leaky"}  # answers quoting the key it was sent
        yield server


def write_pool(stub: FaultStub, path: Path) -> str:
    """`echo` and `steady` use STUB_KEY, `leaky` uses OTHER_KEY."""
    stub.write_pool(path, ["echo", "steady", "leaky"], api_key_env="STUB_KEY")
    data = yaml.safe_load(path.read_text())
    data["models"][2]["api_key_env"] = "OTHER_KEY"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def assert_clean(text: str) -> None:
    assert KEY not in text and OTHER_KEY not in text


def files_text(folder: Path) -> str:
    """Every file of a folder (the SQLite database, its journal and WAL) as text."""
    return "".join(p.read_bytes().decode("latin-1") for p in folder.iterdir() if p.is_file())


async def test_run_query_output_checkpoints_logs_and_peers_hold_no_secret(stub, tmp_path, fixed_prior, caplog):
    pool = write_pool(stub, tmp_path / "pool.yaml")
    fixed_prior({"echo": 0.6, "steady": 0.5, "leaky": 0.5})
    folder = tmp_path / "threads"
    folder.mkdir()
    ctx = Context(pool=pool, top_k=3, tolerance=1.0, max_layers=2, threshold=1.0, aggregator="steady")
    async with AsyncSqliteSaver.from_conn_string(str(folder / "threads.sqlite")) as saver:
        out = await run_query("What is 2 + 2?", ctx, graph=build_graph(checkpointer=saver), thread_id="t")

    assert {r["auth"] for r in stub.received} == {f"Bearer {KEY}", f"Bearer {OTHER_KEY}"}  # the keys did go out
    assert stub.count("echo") >= 2 and stub.count("leaky") >= 2
    error = out["trace"][0]["errors"]["echo"]
    assert "[REDACTED]" in error and "\n" not in error and len(error) <= 300
    assert_clean(json.dumps(out, default=str))
    # the next layer and the aggregator saw leaky's answer, without its key
    assert any("leaky says 4 (my key: Bearer [REDACTED])" in r["prompt"] for r in stub.received)
    assert_clean("".join(r["prompt"] for r in stub.received))
    assert_clean(files_text(folder))
    assert_clean("\n".join(record.getMessage() for record in caplog.records))


async def test_openai_app_responses_hold_no_secret(stub, tmp_path, monkeypatch, fixed_prior, caplog):
    from routemoa.server.app import app

    pools = tmp_path / "pools"
    pools.mkdir()
    write_pool(stub, pools / "stub.yaml")
    monkeypatch.setenv(POOLS_DIR_ENV, str(pools))
    monkeypatch.setenv(POOL_ENV, "stub")
    fixed_prior({"echo": 0.6, "steady": 0.5, "leaky": 0.5})
    knobs = {"top_k": 3, "tolerance": 1.0, "max_layers": 2, "threshold": 1.0, "aggregator": "leaky"}
    body = {"model": "routemoa", "messages": [{"role": "user", "content": "What is 2 + 2?"}], "routemoa": knobs}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app", timeout=60) as client:
        plain = await client.post("/v1/chat/completions", json=body)
        streamed = await client.post("/v1/chat/completions", json={**body, "stream": True})
    assert plain.status_code == 200 and streamed.status_code == 200, plain.text
    assert (
        plain.json()["choices"][0]["message"]["content"]
        == "leaky says 4 (my key: Bearer [REDACTED]), aggregated by leaky"
    )
    assert stub.count("echo") >= 4  # both requests met the echoing provider
    assert_clean(plain.text + streamed.text)
    pieces = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
    text = [c["choices"][0]["delta"].get("content") for c in pieces if c.get("choices")]
    assert len([t for t in text if t]) > 5  # still streamed token by token, the key held back until it was whole
    assert "".join(t for t in text if t) == plain.json()["choices"][0]["message"]["content"]
    assert_clean("\n".join(record.getMessage() for record in caplog.records))


async def test_every_model_failing_gives_a_scrubbed_error(stub, tmp_path, monkeypatch, fixed_prior):
    from routemoa.server.app import app

    pools = tmp_path / "pools"
    pools.mkdir()
    stub.write_pool(pools / "down.yaml", ["echo"], api_key_env="STUB_KEY")
    monkeypatch.setenv(POOLS_DIR_ENV, str(pools))
    monkeypatch.setenv(POOL_ENV, "down")
    fixed_prior({"echo": 0.5})
    body = {"model": "routemoa", "messages": [{"role": "user", "content": "q"}], "routemoa": {"max_layers": 1}}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app", timeout=60) as client:
        r = await client.post("/v1/chat/completions", json=body)
    assert r.status_code == 502 and stub.count("echo") == 2
    assert_clean(r.text)
    out = await run_query("q", Context(pool=str(pools / "down.yaml"), max_layers=1))
    assert "[REDACTED]" in out["error"] and "\n" not in out["error"]
    assert_clean(out["error"] + json.dumps(out["messages"][-1].content))


async def test_streamed_tokens_are_scrubbed_and_share_the_answer_message_id(stub, tmp_path, fixed_prior):
    from langchain_core.messages import HumanMessage

    pool = write_pool(stub, tmp_path / "pool.yaml")
    fixed_prior({"echo": 0.6, "steady": 0.5, "leaky": 0.5})
    ctx = Context(pool=pool, top_k=3, tolerance=1.0, max_layers=1, aggregator="leaky")
    tokens, ids, final = [], set(), {}
    async for mode, data in build_graph().astream(
        {"messages": [HumanMessage("2+2?")]}, context=ctx, stream_mode=["messages", "values"]
    ):
        if mode == "messages":
            tokens.append(data[0].text)
            ids.add(data[0].id)
        else:
            final = data
    assert len([t for t in tokens if t]) > 5 and "".join(tokens) == final["answer"]
    assert final["answer"] == "leaky says 4 (my key: Bearer [REDACTED]), aggregated by leaky"
    assert ids == {final["messages"][-1].id}
