"""ChatRouteMoA on a pool of fake models: invoke, ainvoke, stream, usage and metadata, failures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fakes_serving

from routemoa.chat_model import ChatRouteMoA, RouteMoAFailed


@pytest.fixture
def pool(tmp_path) -> str:
    return str(fakes_serving.write_pool(tmp_path / "pool.yaml", 2))


def _check_reply(reply) -> None:
    assert reply.content == "fake-1 says 42 (aggregated)"
    bill = reply.response_metadata["bill"]
    assert bill["calls"] == 3 and bill["total_usd"] > 0
    assert reply.usage_metadata["input_tokens"] == bill["input_tokens"] > 0
    assert reply.usage_metadata["output_tokens"] == bill["output_tokens"] > 0
    trace = reply.response_metadata["trace"]
    assert [m["name"] for m in trace[0]["models"]] == ["fake-1", "fake-0"]
    assert reply.response_metadata["decision"] == trace[-1]["decision"] == "max_layers"


def test_invoke_returns_answer_with_bill_trace_and_usage(pool):
    _check_reply(ChatRouteMoA(pool=pool, max_layers=1).invoke("What is 6*7?"))


async def test_ainvoke_accepts_a_message_list(pool):
    llm = ChatRouteMoA(pool=pool, max_layers=1)
    reply = await llm.ainvoke([("system", "Be brief."), ("user", "What is 6*7?")])
    _check_reply(reply)


def test_stream_yields_the_aggregator_tokens_then_usage(pool):
    chunks = list(ChatRouteMoA(pool=pool, max_layers=1).stream("What is 6*7?"))
    assert len([c for c in chunks if c.content]) >= 3  # token by token, not one block
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    _check_reply(total)


async def test_astream_single_answer_arrives_whole(tmp_path):
    pool = str(fakes_serving.write_pool(tmp_path / "one.yaml", 1, answer="only one"))
    text = "".join([c.content async for c in ChatRouteMoA(pool=pool, max_layers=1).astream("hi")])
    assert text == "only one"  # one model: no aggregation call, the answer comes in the last chunk


def test_every_model_failing_raises(tmp_path):
    pool = str(fakes_serving.write_pool(tmp_path / "down.yaml", 2, fail=True))
    with pytest.raises(RouteMoAFailed, match="every model failed"):
        ChatRouteMoA(pool=pool, max_layers=1).invoke("hi")


def test_bad_knob_is_a_value_error(pool):
    with pytest.raises(ValueError, match="max_layers"):
        ChatRouteMoA(pool=pool, max_layers=0).invoke("hi")
    with pytest.raises(ValueError, match=r"unknown field .unknown_knob."):
        ChatRouteMoA(pool=pool, knobs={"unknown_knob": 1}).context()


def test_a_misspelt_field_is_a_type_error_not_ignored(pool):
    with pytest.raises(
        TypeError, match=r"^ChatRouteMoA got an unexpected keyword argument 'max_layer' \(its knobs: pool,"
    ):
        ChatRouteMoA(pool=pool, max_layer=1)  # was accepted and ignored: the run used 3 layers
    model = ChatRouteMoA(pool=pool, max_layers=1, tags=["mine"], metadata={"k": 1}, disable_streaming=True)
    assert model.tags == ["mine"] and model.context().max_layers == 1  # LangChain's own fields still pass


def test_default_pool_follows_the_context_default(monkeypatch):
    from routemoa.chat_model import ChatRouteMoA

    assert ChatRouteMoA().context().pool == "embedded"
    monkeypatch.setenv("ROUTEMOA_POOL", "/srv/pool.yaml")
    assert ChatRouteMoA().context().pool == "/srv/pool.yaml"
    assert ChatRouteMoA(pool="mine.yaml").context().pool == "mine.yaml"
