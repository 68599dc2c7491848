"""What Studio and LangGraph API clients see on a real `langgraph dev`: the assistant's description,
a state schema of real state only, every node's update in `updates` mode, and one id (with the
bill's usage) for the final answer across `messages` and `values`."""

from __future__ import annotations

import httpx
import pytest
from langgraph_sdk import get_client

from routemoa.methods import METHODS

pytestmark = pytest.mark.integration
QUESTION = {"messages": [{"role": "user", "content": "What is 6*7?"}]}
TASK_ONLY = {"model", "history", "previous_answers", "plain", "system_prompt"}
"""AgentTask fields that are a Send payload, not graph state."""


def _assistant(url: str) -> dict:
    """The assistant the server made from langgraph.json (other tests may add their own)."""
    found = httpx.post(
        f"{url}/assistants/search", json={"graph_id": "routemoa", "metadata": {"created_by": "system"}}, timeout=10
    ).json()
    return found[0]


def test_assistant_has_the_method_description(dev_server):
    assert _assistant(dev_server.url)["description"] == METHODS["routemoa"].description


def test_state_schema_holds_only_graph_state(dev_server):
    assistant = _assistant(dev_server.url)["assistant_id"]
    schemas = httpx.get(f"{dev_server.url}/assistants/{assistant}/schemas", timeout=30).json()
    state = set(schemas["state_schema"]["properties"])
    assert not state & TASK_ONLY
    assert {"messages", "answer", "bill", "trace", "records", "selected", "fused", "prior"} <= state


async def test_updates_show_every_node_and_the_answer_keeps_one_id(dev_server):
    client = get_client(url=dev_server.url)
    updates, chunks, values = [], [], []
    async for part in client.runs.stream(
        None,
        "routemoa",
        input=QUESTION,
        context={"pool": dev_server.pool, "max_layers": 1},
        stream_mode=["updates", "messages-tuple", "values"],
    ):
        if part.event == "updates":
            updates.append(part.data)
        elif part.event == "messages":
            chunks.append(part.data[0])
        elif part.event == "values":
            values.append(part.data)
    nodes = [name for update in updates for name in update]
    assert nodes == ["score", "select", "agent", "agent", "assess", "aggregate"]
    assert all(isinstance(value, dict) and value for update in updates for value in update.values()), updates
    by_node = {name: value for update in updates for name, value in update.items()}
    assert [p["name"] for p in by_node["select"]["selected"]] == ["fake-1", "fake-0"]
    assert by_node["agent"]["records"][0]["model"] in ("fake-0", "fake-1") and "self_scores" in by_node["assess"]
    final = values[-1]["messages"][-1]
    streamed = {c["id"] for c in chunks if c["type"] == "AIMessageChunk"}
    assert streamed == {final["id"]}  # the streamed tokens and the final answer are one message
    bill = values[-1]["bill"]
    assert final["usage_metadata"] == {
        "input_tokens": bill["input_tokens"],
        "output_tokens": bill["output_tokens"],
        "total_tokens": bill["input_tokens"] + bill["output_tokens"],
    }
