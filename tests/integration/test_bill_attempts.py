"""Honest bill: every HTTP request a provider served is on the bill (the graph retries, not the SDK)."""

from __future__ import annotations

import pytest

from routemoa.calls import MAX_ATTEMPTS
from routemoa.context import Context
from routemoa.runner import run_query
from tests.stub_faults import FaultStub

pytestmark = pytest.mark.integration

MODELS = ["steady", "flaky", "limited", "down", "refused"]


@pytest.fixture
def stub():
    with FaultStub() as server:
        yield server


async def test_billed_attempts_equal_the_requests_the_provider_answered(stub, tmp_path, fixed_prior):
    stub.fail = {"flaky": [502], "limited": [429]}  # the first request fails, the retry and later ones succeed
    stub.always = {"down": 503, "refused": 400}
    pool = stub.write_pool(tmp_path / "pool.yaml", MODELS)
    fixed_prior({m: 0.5 for m in MODELS})
    ctx = Context(pool=pool, top_k=len(MODELS), tolerance=1.0, max_layers=2, threshold=1.0, aggregator="steady")
    out = await run_query("What is 2 + 2?", ctx)

    assert out["answer"] == "steady says 4, aggregated by steady", out
    bill = out["bill"]
    for model in MODELS:
        assert bill["models"][model]["attempts"] == stub.count(model), model
    assert bill["attempts"] == len(stub.received) == len(stub.answered)
    # 400 is not retried; 5xx and 429 are, once: "down" failed both tries in layer 1 and sat layer 2 out
    assert bill["models"]["refused"] == {**bill["models"]["refused"], "calls": 1, "attempts": 1, "failed_calls": 1}
    assert bill["models"]["down"]["calls"] == 1 and bill["models"]["down"]["attempts"] == MAX_ATTEMPTS
    for model in ("flaky", "limited"):
        assert bill["models"][model]["calls"] == 2 and bill["models"][model]["failed_calls"] == 0
        assert bill["models"][model]["attempts"] == 3
    assert bill["calls"] < bill["attempts"]
    assert "503" in out["trace"][0]["errors"]["down"] and "\n" not in out["trace"][0]["errors"]["down"]


async def test_a_call_does_not_retry_past_its_timeout(stub, tmp_path, fixed_prior):
    stub.always = {"down": 500}
    stub.stall = lambda seen: 1.5
    pool = stub.write_pool(tmp_path / "pool.yaml", ["down"])
    fixed_prior({"down": 0.5})
    out = await run_query("q", Context(pool=pool, max_layers=1, call_timeout_s=1.8))
    # 1.5 s for the 500, then a retry would start after the deadline: no second request
    assert out["bill"]["models"]["down"]["attempts"] == stub.count("down") == 1
    assert out["error"] and out["bill"]["calls"] == 1


async def test_negative_usage_a_provider_reports_is_not_billed(stub, tmp_path, fixed_prior):
    stub.usage = {"liar": {"prompt_tokens": -100_000, "completion_tokens": -100_000, "total_tokens": -200_000}}
    pool = stub.write_pool(tmp_path / "pool.yaml", ["liar", "steady"])
    fixed_prior({"liar": 0.5, "steady": 0.5})
    ctx = Context(pool=pool, top_k=2, max_layers=2, threshold=1.0, aggregator="steady")
    bill = (await run_query("What is 2 + 2?", ctx))["bill"]
    liar, steady = bill["models"]["liar"], bill["models"]["steady"]
    assert liar["calls"] == 2 and liar["input_tokens"] > 0 and liar["output_tokens"] > 0  # estimated from the text
    assert liar["usd"] > 0 and bill["total_usd"] == pytest.approx(liar["usd"] + steady["usd"])  # was -$0.60
