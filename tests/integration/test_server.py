"""The real `langgraph dev` server (via `routemoa serve`): Studio's schemas and graph, LangGraph API streaming, threads.

The server's `routemoa` graph is the real graph; its models are fakes (see
tests/fakes_serving.py), so each run takes milliseconds after the encoder loads.
"""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from langgraph_sdk import get_client

from routemoa.context import Context

pytestmark = pytest.mark.integration

DESIGN_NODES = {"score", "select", "agent", "assess", "aggregate"}
DESIGN_EDGES = {
    ("__start__", "score"),
    ("score", "select"),
    ("select", "agent"),
    ("select", "aggregate"),
    ("agent", "assess"),
    ("assess", "select"),
    ("assess", "aggregate"),
    ("aggregate", "__end__"),
}
QUESTION = {"messages": [{"role": "user", "content": "What is 6*7?"}]}
OUTPUT_KEYS = {
    "messages",
    "answer",
    "bill",
    "trace",
    "error",
    "layer",
    "selected",
    "records",
    "self_scores",
    "cross_scores",
}
"""What a finished run returns over the API (the output schema plus the keys a run updates)."""


def _assistant(url: str) -> str:
    found = httpx.post(f"{url}/assistants/search", json={"graph_id": "routemoa"}, timeout=10).json()
    return found[0]["assistant_id"]


def test_studio_schemas_are_narrow_and_documented(dev_server):
    schemas = httpx.get(f"{dev_server.url}/assistants/{_assistant(dev_server.url)}/schemas", timeout=30).json()
    assert list(schemas["input_schema"]["properties"]) == ["messages"]
    progress = {
        "layer",
        "selected",
        "records",
        "self_scores",
        "cross_scores",
    }  # so that `updates` mode shows every node
    assert set(schemas["output_schema"]["properties"]) == {"messages", "answer", "bill", "trace", "error"} | progress
    context = schemas["context_schema"]["properties"]
    assert list(context) == [f.name for f in dataclasses.fields(Context)]
    for name, prop in context.items():
        assert prop.get("description"), f"context field {name} has no description"
    defaults = Context()
    scalar = [f.name for f in dataclasses.fields(Context) if not isinstance(getattr(defaults, f.name), list)]
    for name in scalar:
        assert context[name]["default"] == ("" if name == "pool" else getattr(defaults, name)), (
            name
        )  # "" = the server's default pool


def test_studio_shows_defaults_of_list_knobs(dev_server):
    schemas = httpx.get(f"{dev_server.url}/assistants/{_assistant(dev_server.url)}/schemas", timeout=30).json()
    context = schemas["context_schema"]["properties"]
    for name, value in vars(Context()).items():
        if isinstance(value, list):
            assert context[name].get("default") == value, name


def test_studio_graph_has_design_nodes_and_only_real_edges(dev_server):
    drawn = httpx.get(f"{dev_server.url}/assistants/{_assistant(dev_server.url)}/graph", timeout=30).json()
    nodes = {n["id"] for n in drawn["nodes"]} - {"__start__", "__end__"}
    assert nodes == DESIGN_NODES
    edges = {(e["source"], e["target"]) for e in drawn["edges"]}
    assert edges <= DESIGN_EDGES, f"spurious edges: {edges - DESIGN_EDGES}"
    assert DESIGN_EDGES - edges <= {("select", "aggregate")}, f"missing edges: {DESIGN_EDGES - edges}"


async def test_sdk_streams_layer_events_and_aggregator_tokens(dev_server):
    client = get_client(url=dev_server.url)
    events, tokens, final = [], [], {}
    async for part in client.runs.stream(
        None,
        "routemoa",
        input=QUESTION,
        context={"pool": dev_server.pool, "max_layers": 2, "threshold": 0.99},
        stream_mode=["custom", "messages-tuple", "values"],
    ):
        if part.event == "custom":
            events.append((part.data["event"], part.data["layer"]))
        elif part.event == "messages":
            message, meta = part.data
            if message["type"] == "AIMessageChunk" and message["content"]:
                assert meta["langgraph_node"] == "aggregate"  # agents' JSON calls are tagged nostream
                tokens.append(message["content"])
        elif part.event == "values":
            final = part.data
        assert part.event != "error", part.data
    assert events == [("layer_start", 1), ("layer_done", 1), ("layer_start", 2), ("layer_done", 2)]
    assert len(tokens) >= 3
    assert "".join(tokens) == final["answer"] == "fake-1 says 42 (aggregated)"
    assert set(final) == OUTPUT_KEYS
    assert final["bill"]["calls"] == 5 and [t["layer"] for t in final["trace"]] == [1, 2]


async def test_thread_keeps_the_conversation(dev_server):
    import fakes_serving

    fakes_serving.write_pool(dev_server.pools / "turns.yaml", 1, answer="turn {turns}")  # the operator adds a pool
    client = get_client(url=dev_server.url)
    thread = await client.threads.create()
    context = {"pool": "turns", "max_layers": 1}
    first = await client.runs.wait(thread["thread_id"], "routemoa", input=QUESTION, context=context)
    assert first["answer"] == "turn 1"
    second = await client.runs.wait(
        thread["thread_id"], "routemoa", input={"messages": [{"role": "user", "content": "And 6*8?"}]}, context=context
    )
    assert second["answer"] == "turn 2"  # the model saw both human turns
    assert [m["type"] for m in second["messages"]] == ["human", "ai", "human", "ai"]


def test_runs_wait_curl_example(dev_server):
    body = {
        "assistant_id": "routemoa",
        "input": {"messages": [{"role": "user", "content": "What is 6*7?"}]},
        "context": {"max_layers": 1, "pool": dev_server.pool},
    }
    out = httpx.post(f"{dev_server.url}/runs/wait", json=body, timeout=60).json()
    assert set(out) == OUTPUT_KEYS
    assert out["answer"]
