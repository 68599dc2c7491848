"""examples/chat_agent.py: RouteMoA as a node of another agent, run on fake models."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import fakes_serving
import pytest

from routemoa.context import Context

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chat_agent.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("routemoa_example_chat_agent", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # typing needs the module registered to resolve the state's annotations
    spec.loader.exec_module(module)
    return module


async def test_question_goes_through_routemoa_node(example, tmp_path):
    pool = str(fakes_serving.write_pool(tmp_path / "pool.yaml", 2))
    out = await example.agent.ainvoke(
        {"messages": [("user", "What is 6*7?")]}, context=Context(pool=pool, max_layers=1)
    )
    texts = [m.text for m in out["messages"]]
    assert texts[:2] == ["What is 6*7?", "fake-1 says 42 (aggregated)"]  # no duplicated history from the subgraph
    assert len(texts) == 3 and texts[2].startswith("[3 calls to fake-0, fake-1; $")
    assert out["bill"]["calls"] == 3 and out["trace"][0]["decision"] == "max_layers"


async def test_small_talk_skips_routemoa(example):
    out = await example.agent.ainvoke({"messages": [("user", "hello!")]})
    assert [m.text for m in out["messages"]] == ["hello!", "Hello! Ask me anything."]
    assert "bill" not in out


async def test_subgraph_tokens_and_layer_events_reach_the_parent_stream(example, tmp_path):
    pool = str(fakes_serving.write_pool(tmp_path / "pool.yaml", 2))
    tokens, events = [], []
    async for namespace, mode, data in example.agent.astream(
        {"messages": [("user", "What is 6*7?")]},
        context=Context(pool=pool, max_layers=1),
        stream_mode=["messages", "custom"],
        subgraphs=True,
    ):
        if mode == "custom":
            events.append(data["event"])
        elif type(data[0]).__name__ == "AIMessageChunk" and data[0].text:
            assert namespace and namespace[0].startswith("routemoa:")
            tokens.append(data[0].text)
    assert events == ["layer_start", "layer_done"]
    assert "".join(tokens) == "fake-1 says 42 (aggregated)"
