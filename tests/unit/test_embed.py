"""RouteMoA embedded in a user's agent: `as_node` in a parent graph with its own context_schema,
`as_tool` called by a ReAct agent whose (fake) model calls tools."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.graph import START, MessagesState, StateGraph

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fakes_serving

import routemoa
from routemoa.errors import UserError


@pytest.fixture
def pool(tmp_path) -> str:
    return str(fakes_serving.write_pool(tmp_path / "pool.yaml", 2))


@dataclass
class AppContext:
    """A parent's own context: nothing RouteMoA knows."""

    user: str
    pool_file: str
    depth: int = 1


def _parent(node, context_schema=AppContext) -> Any:
    builder = StateGraph(MessagesState, context_schema=context_schema)
    builder.add_node("answer", node)
    builder.add_edge(START, "answer")
    return builder.compile()


async def test_node_in_a_parent_with_its_own_context(pool):
    seen: list[str] = []

    def knobs(app: AppContext) -> dict:
        seen.append(app.user)
        return {"pool": app.pool_file, "max_layers": app.depth}

    parent = _parent(routemoa.as_node("routemoa", context=knobs))
    out = await parent.ainvoke({"messages": [("user", "What is 6*7?")]}, context=AppContext(user="ann", pool_file=pool))
    assert seen == ["ann"]
    assert [m.text for m in out["messages"]] == ["What is 6*7?", "fake-1 says 42 (aggregated)"]
    answer = out["messages"][-1]
    assert (
        answer.response_metadata["bill"]["calls"] == 3
        and answer.response_metadata["trace"][0]["decision"] == "max_layers"
    )
    assert (
        answer.usage_metadata["total_tokens"]
        == answer.response_metadata["bill"]["input_tokens"] + answer.response_metadata["bill"]["output_tokens"]
    )


async def test_node_with_fixed_knobs_and_a_dict_context_with_extra_keys(pool):
    parent = _parent(routemoa.as_node("moa", context={"pool": pool, "max_layers": 1}), context_schema=None)
    out = await parent.ainvoke(
        {"messages": [("user", "What is 6*7?")]}, context={"user": "bob", "pool": "elsewhere", "top_k": 0}
    )
    assert out["messages"][-1].response_metadata["trace"][0]["models"][0]["reason"] == "every pool model (MoA)"


async def test_parent_streams_the_aggregator_tokens(pool):
    parent = _parent(routemoa.as_node(context=lambda app: {"pool": app.pool_file, "max_layers": 1}))
    tokens = []
    async for _ns, _mode, data in parent.astream(
        {"messages": [("user", "What is 6*7?")]},
        context=AppContext(user="x", pool_file=pool),
        stream_mode=["messages"],
        subgraphs=True,
    ):
        message, _meta = data
        if type(message).__name__ == "AIMessageChunk" and message.text:
            tokens.append(message.text)
    assert "".join(tokens) == "fake-1 says 42 (aggregated)"


def test_bad_knobs_fail_when_the_node_or_tool_is_made(pool):
    with pytest.raises(UserError, match="top_k"):
        routemoa.as_node(context={"top_k": 0})
    with pytest.raises(UserError, match="unknown method"):
        routemoa.as_tool("nope")


class ToolCallingFake(BaseChatModel):
    """Calls the first tool once with the user's question, then answers with what the tool returned."""

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"

    def bind_tools(self, tools, **kwargs):
        self.__dict__["tool_names"] = [t.name for t in tools]
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            message = AIMessage(content=f"The panel says: {last.content}")
        else:
            call = {
                "name": self.__dict__["tool_names"][0],
                "args": {"question": last.text},
                "id": "call-1",
                "type": "tool_call",
            }
            message = AIMessage(content="", tool_calls=[call])
        return ChatResult(generations=[ChatGeneration(message=message)])


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")  # langchain (create_agent) is not a dependency
async def test_tool_in_a_react_agent(pool):
    from langgraph.prebuilt import create_react_agent

    tool = routemoa.as_tool(context={"pool": pool, "max_layers": 1})
    agent = create_react_agent(ToolCallingFake(), [tool])
    out = await agent.ainvoke({"messages": [("user", "What is 6*7?")]})
    tool_message = next(m for m in out["messages"] if isinstance(m, ToolMessage))
    assert tool_message.name == "routemoa" and tool_message.content == "fake-1 says 42 (aggregated)"
    assert out["messages"][-1].content == "The panel says: fake-1 says 42 (aggregated)"
    assert tool.invoke({"question": "What is 6*7?"}) == "fake-1 says 42 (aggregated)"  # sync too


async def test_tool_reports_a_failed_run_as_text(tmp_path):
    down = str(fakes_serving.write_pool(tmp_path / "down.yaml", 2, fail=True))
    result = await routemoa.as_tool(context={"pool": down, "max_layers": 1}).ainvoke({"question": "hi"})
    assert result.startswith("RouteMoA could not answer: every model failed")
