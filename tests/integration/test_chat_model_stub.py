"""ChatRouteMoA and the Python API on a real OpenAI-compatible server on loopback (tests/stub_openai.py):
repeated calls in one process, batch, stream, async; call options reach the models; structured output; tools refused."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from langchain_core.exceptions import OutputParserException
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stub_openai import StubOpenAI

from routemoa.chat_model import ChatRouteMoA
from routemoa.context import Context
from routemoa.runner import run_query

pytestmark = pytest.mark.integration
Q = "What is 2 + 2?"


@pytest.fixture(scope="module")
def stub():
    with StubOpenAI() as server:
        yield server


@pytest.fixture
def pool(stub, tmp_path, fixed_prior) -> str:
    stub.requests.clear()
    stub.replies.clear()
    fixed_prior({"alpha": 0.9, "beta": 0.85})
    return stub.write_pool(tmp_path / "pool.yaml", ["alpha", "beta"])


def _aggregator_bodies(stub: StubOpenAI) -> list[dict]:
    return [b for b in stub.requests if "Candidate responses" in str(b["messages"])]


def _tokens(body: dict) -> int:
    return body.get("max_completion_tokens", body.get("max_tokens"))


def test_repeated_runs_in_one_process_all_answer(pool, stub):
    for _ in range(3):
        out = asyncio.run(run_query(Q, Context(pool=pool, max_layers=1)))
        assert out["error"] is None and out["answer"].startswith("4, aggregated by"), out["trace"]
    llm = ChatRouteMoA(pool=pool, max_layers=1)
    answers = [llm.invoke(Q).content for _ in range(2)]
    answers += [m.content for m in llm.batch([Q, "What is 3 + 1?"])]
    answers.append("".join(chunk.content for chunk in llm.stream(Q)))
    assert all(a.startswith("4, aggregated by") for a in answers), answers
    assert all(b["model"] in ("alpha", "beta") for b in stub.requests)


async def test_async_calls_and_astream_answer(pool):
    llm = ChatRouteMoA(pool=pool, max_layers=1)
    replies = await asyncio.gather(llm.ainvoke(Q), llm.ainvoke([("system", "Be brief."), ("user", Q)]))
    assert all(r.content.startswith("4, aggregated by") for r in replies)
    chunks = [c async for c in llm.astream(Q)]
    assert len([c for c in chunks if c.content]) >= 3  # the aggregator's tokens, as the stub streamed them
    assert "".join(c.content for c in chunks).startswith("4, aggregated by")


def test_temperature_max_tokens_and_stop_reach_the_calls(pool, stub):
    llm = ChatRouteMoA(pool=pool, max_layers=1, max_tokens=40).bind(temperature=0.4)
    llm.invoke(Q, stop=["END"])
    aggregator = _aggregator_bodies(stub)
    agents = [b for b in stub.requests if b not in aggregator]
    assert len(agents) == 2 and len(aggregator) == 1
    assert {b["temperature"] for b in agents} == {0.4} and aggregator[0]["temperature"] == pytest.approx(0.2)
    assert {_tokens(b) for b in stub.requests} == {40}
    assert aggregator[0]["stop"] == ["END"] and not any(
        b.get("stop") for b in agents
    )  # agents write JSON, not the answer


def test_stop_cuts_an_answer_that_was_not_aggregated(stub, tmp_path, fixed_prior):
    fixed_prior({"alpha": 0.9})
    pool = stub.write_pool(tmp_path / "one.yaml", ["alpha"])
    stub.replies["alpha"] = lambda body: '{"answer": "four END and more", "self_score": 0.9}'
    assert ChatRouteMoA(pool=pool, max_layers=1).invoke(Q, stop=["END"]).content == "four "


class Answer(BaseModel):
    answer: str
    confidence: float


def test_with_structured_output_asks_the_aggregator_for_the_schema(pool, stub):
    structured = ChatRouteMoA(pool=pool, max_layers=1).with_structured_output(Answer)
    result = structured.invoke(Q)
    assert result == Answer(answer="4", confidence=0.9)
    (aggregator,) = _aggregator_bodies(stub)
    schema = aggregator["response_format"]["json_schema"]
    assert aggregator["response_format"]["type"] == "json_schema" and schema["name"] == "Answer"
    assert set(schema["schema"]["properties"]) == {"answer", "confidence"}
    assert "matches this JSON schema" in str(aggregator["messages"])


def test_structured_output_validates_the_reply(pool, stub):
    stub.structured = {"answer": "4"}  # no confidence
    try:
        with pytest.raises(OutputParserException):
            ChatRouteMoA(pool=pool, max_layers=1).with_structured_output(Answer).invoke(Q)
        schema = {"title": "Reply", "type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
        with pytest.raises(ValueError, match="does not match the schema"):
            ChatRouteMoA(pool=pool, max_layers=1).with_structured_output(schema).invoke(Q)
        stub.structured = {"n": 4}
        assert ChatRouteMoA(pool=pool, max_layers=1).with_structured_output(schema).invoke(Q) == {"n": 4}
        raw = ChatRouteMoA(pool=pool, max_layers=1).with_structured_output(schema, include_raw=True).invoke(Q)
        assert (
            raw["parsed"] == {"n": 4} and raw["parsing_error"] is None and raw["raw"].usage_metadata["total_tokens"] > 0
        )
    finally:
        stub.structured = {"answer": "4", "confidence": 0.9}


def test_a_single_answer_still_goes_through_the_aggregator_for_a_format(stub, tmp_path, fixed_prior):
    fixed_prior({"alpha": 0.9})
    pool = stub.write_pool(tmp_path / "one.yaml", ["alpha"])
    stub.requests.clear()
    assert ChatRouteMoA(pool=pool, max_layers=1).with_structured_output(Answer).invoke(Q).answer == "4"
    assert len(stub.requests) == 2  # the agent, then the aggregator asked for the format


def test_tools_and_unknown_options_get_clear_errors(pool):
    llm = ChatRouteMoA(pool=pool)
    with pytest.raises(NotImplementedError, match=r"cannot call tools.*routemoa\.as_tool"):
        llm.bind_tools([Answer])
    with pytest.raises(ValueError, match="does not support the call option 'logprobs'"):
        llm.invoke(Q, logprobs=True)
    with pytest.raises(ValueError, match="top_k must be within"):
        llm.invoke(Q, top_k=0)
