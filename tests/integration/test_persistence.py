"""Conversations that continue: `routemoa ask --thread` on SQLite, the graph on a real PostgreSQL checkpointer."""

from __future__ import annotations

import json

import fakes_serving
import pytest

from routemoa.cli import THREADS_DB_ENV, main
from routemoa.context import Context
from routemoa.graph import build_graph, graph
from routemoa.runner import run_query


@pytest.fixture
def turns_pool(tmp_path) -> str:
    """One fake model whose answer says how many human turns it was shown."""
    return str(fakes_serving.write_pool(tmp_path / "turns.yaml", 1, answer="turn {turns}"))


def test_exported_graph_has_no_checkpointer():
    assert graph.checkpointer is None  # the LangGraph server brings its own


def test_ask_thread_continues_from_sqlite(tmp_path, monkeypatch, capsys, turns_pool):
    monkeypatch.setenv(THREADS_DB_ENV, str(tmp_path / "threads.sqlite"))

    def ask(question: str, thread: str) -> dict:
        assert (
            main(["ask", question, "--thread", thread, "--pool", turns_pool, "--max-layers", "1", "--json", "--quiet"])
            == 0
        )
        return json.loads(capsys.readouterr().out)

    assert ask("What is 6*7?", "t1")["answer"] == "turn 1"
    assert ask("And 6*8?", "t1")["answer"] == "turn 2"  # the second turn saw the first one
    assert ask("Hello?", "t2")["answer"] == "turn 1"  # another thread starts fresh
    assert (tmp_path / "threads.sqlite").is_file()


@pytest.mark.integration
async def test_graph_on_postgres_checkpointer(postgres_url, turns_pool):
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    context = Context(pool=turns_pool, max_layers=1)
    async with AsyncPostgresSaver.from_conn_string(postgres_url) as saver:
        await saver.setup()
        routed = build_graph(checkpointer=saver)
        first = await run_query("What is 6*7?", context, graph=routed, thread_id="pg-1")
        second = await run_query("And 6*8?", context, graph=routed, thread_id="pg-1")
        assert (first["answer"], second["answer"]) == ("turn 1", "turn 2")
        assert [m.type for m in second["messages"]] == ["human", "ai", "human", "ai"]
        saved = await saver.aget_tuple({"configurable": {"thread_id": "pg-1"}})
        assert saved is not None and len(saved.checkpoint["channel_values"]["messages"]) == 4
    async with AsyncPostgresSaver.from_conn_string(postgres_url) as reopened:  # a new process would see the same
        again = await run_query("And 6*9?", context, graph=build_graph(checkpointer=reopened), thread_id="pg-1")
        assert again["answer"] == "turn 3"
