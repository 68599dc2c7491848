"""The per-request path on a real loopback OpenAI-compatible server: agents' replies, which nobody
sees token by token, are one plain request each; only the aggregator streams."""

from __future__ import annotations

import pytest

from routemoa.context import Context
from routemoa.runner import Token, stream_answer
from tests.stub_openai import StubOpenAI

pytestmark = pytest.mark.integration


async def test_agents_are_not_streamed_and_the_aggregator_is(tmp_path, fixed_prior):
    with StubOpenAI() as stub:
        pool = stub.write_pool(tmp_path / "pool.yaml", ["alpha", "beta"])
        fixed_prior({"alpha": 0.5, "beta": 0.5})
        ctx = Context(pool=pool, top_k=2, max_layers=1, threshold=1.0, aggregator="alpha")
        events = [event async for event in stream_answer("What is 2 + 2?", ctx)]

    agents = [b for b in stub.requests if "self_score" in str(b["messages"])]
    aggregator = [b for b in stub.requests if "self_score" not in str(b["messages"])]
    assert len(agents) == 2 and len(aggregator) == 1
    assert not any(b.get("stream") for b in agents)
    assert aggregator[0].get("stream") is True
    tokens = "".join(e.text for e in events if isinstance(e, Token))
    assert tokens == events[-1].output["answer"] == "4, aggregated by alpha"
    assert events[-1].output["bill"]["calls"] == 3
