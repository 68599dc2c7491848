"""`routemoa ask --thread ID --resume`: argument errors, refusing a new question on an unfinished thread, resuming."""

from __future__ import annotations

import asyncio
import json

import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from routemoa.cli import main
from routemoa.context import Context
from routemoa.graph import build_graph
from routemoa.runner import run_query
from tests.fakes import is_aggregation


@pytest.fixture
def pool(fake_pool, fixed_prior, scripts, tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTEMOA_THREADS_DB", str(tmp_path / "threads.sqlite"))
    path = fake_pool(["a", "b"])
    fixed_prior({"a": 0.5, "b": 0.5})
    scripts["a"].reply = lambda p: "final" if is_aggregation(p) else '{"answer": "4", "self_score": 0.5}'
    return path


def crash_during_layer_one(pool: str, db: str, scripts) -> None:
    """Start a run on thread `t` and stop it (as a crash would) after `a` answered and while `b` is still busy."""
    scripts["b"].delay = 30.0

    async def run():
        async with AsyncSqliteSaver.from_conn_string(db) as saver:
            task = asyncio.create_task(
                run_query(
                    "2+2?",
                    Context(pool=pool, max_layers=1, aggregator="a"),
                    graph=build_graph(checkpointer=saver),
                    thread_id="t",
                )
            )
            while not scripts["a"].calls:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # a's write reaches the checkpointer
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(run())
    scripts["b"].delay = 0.0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "--resume"], "error: --resume needs --thread ID"),
        (["ask", "q", "--thread", " "], "error: --thread needs a non-empty ID"),
        (["ask", "q", "--thread", ""], "error: --thread needs a non-empty ID"),
        (
            ["ask", "q", "--thread", "t", "--resume"],
            "error: --resume continues the thread's stored question; give no question",
        ),
        (["ask", "--thread", "t"], "error: the question is empty"),
        (["ask", "--thread", "fresh", "--resume"], "error: thread 'fresh' has no unfinished run to resume"),
    ],
)
def test_resume_argument_errors_are_one_line(pool, argv, message, capsys):
    assert main([*argv, "--pool", pool]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_an_unfinished_thread_refuses_a_new_question_and_resumes_without_repeating_calls(
    pool, scripts, tmp_path, capsys
):
    crash_during_layer_one(pool, str(tmp_path / "threads.sqlite"), scripts)
    assert len(scripts["a"].calls) == 1 and scripts["b"].calls == []

    assert main(["ask", "another question", "--pool", pool, "--thread", "t", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: thread 't' has an unfinished run (stopped before agent): continue it with "
        "`routemoa ask --thread t --resume`, or use another thread\n"
    )

    other = tmp_path / "other.yaml"
    other.write_text((tmp_path / "pool.yaml").read_text().replace("name: b", "name: z").replace("model: b", "model: z"))
    assert main(["ask", "--thread", "t", "--resume", "--pool", str(other)]) == 2
    assert "ran on models a, b; resume it with the same --pool" in capsys.readouterr().err

    assert (
        main(
            [
                "ask",
                "--thread",
                "t",
                "--resume",
                "--pool",
                pool,
                "--aggregator",
                "a",
                "--max-layers",
                "1",
                "--quiet",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["answer"] == "final" and out["bill"]["calls"] == 3
    assert len(scripts["a"].calls) == 2 and len(scripts["b"].calls) == 1  # a's layer call was not made again

    assert main(["ask", "and 3+3?", "--pool", pool, "--thread", "t", "--quiet", "--json"]) == 0
    assert scripts["b"].calls[-1].count("2+2?") == 1  # the first question is in the history once
