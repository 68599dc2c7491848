"""`routemoa ask --thread T --resume` after `kill -9` in layer 2: the calls that finished are not paid again.

Real `routemoa ask` subprocesses against a loopback model server whose model `c`
stalls in layer 2; the thread lives in a SQLite file (ROUTEMOA_THREADS_DB).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from routemoa.cli import main
from tests.stub_faults import FaultStub

pytestmark = pytest.mark.integration

QUESTION = "What is two plus two?"
KNOBS = ["--max-layers", "2", "--top-k", "3", "--threshold", "1", "--aggregator", "a", "--quiet"]
STALL_S = 120.0
"""How long `c` keeps its layer-2 call open before the kill (the kill comes long before)."""
WAIT_S = 600.0
"""Patience for a CLI process on a busy machine (each takes seconds alone)."""


def ask_process(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`routemoa ask ...` in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "routemoa.cli", "ask", *args], env=env, capture_output=True, text=True, timeout=WAIT_S
    )


def ask_here(capsys, *args: str) -> tuple[int, str, str]:
    """`routemoa ask ...` in this process (the same code; no interpreter start): (status, stdout, stderr)."""
    capsys.readouterr()
    status = main(["ask", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def wait_for(condition, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"routemoa exited ({proc.returncode}) before {what}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def saved_layer_calls(db: Path, thread: str) -> tuple[int, int]:
    """(layer, agent calls of that layer whose writes are saved) in the thread's last checkpoint."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from routemoa.graph import build_graph

    async def read() -> tuple[int, int]:
        async with AsyncSqliteSaver.from_conn_string(str(db)) as saver:
            snapshot = await build_graph(checkpointer=saver).aget_state({"configurable": {"thread_id": thread}})
        done = [t for t in snapshot.tasks if t.name == "agent" and t.result is not None]
        return snapshot.values.get("layer") or 0, len(done)

    return asyncio.run(read())


def test_resume_after_kill_pays_only_the_unfinished_calls(tmp_path, monkeypatch, capsys):
    db = tmp_path / "threads.sqlite"
    monkeypatch.setenv("ROUTEMOA_THREADS_DB", str(db))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    killed = False
    with FaultStub() as stub:
        stub.stall = lambda seen: (
            STALL_S if seen["model"] == "c" and "ANSWER_" in seen["prompt"] and not killed else 0.0
        )
        pool = stub.write_pool(tmp_path / "pool.yaml", ["a", "b", "c"])

        status, out, err = ask_here(capsys, QUESTION, "--pool", pool, "--thread", "whole", *KNOBS, "--json")
        assert status == 0, err
        uninterrupted = len(stub.received)
        assert json.loads(out)["bill"]["calls"] == uninterrupted == 7  # 3 + 3 + the aggregator

        stub.received.clear()
        stub.answered.clear()
        proc = subprocess.Popen(
            [sys.executable, "-m", "routemoa.cli", "ask", QUESTION, "--pool", pool, "--thread", "t", *KNOBS],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(
                lambda: any(r["model"] == "c" and "ANSWER_" in r["prompt"] for r in stub.received),
                "c's layer-2 call",
                proc,
            )
            wait_for(
                lambda: sum("ANSWER_" in r["prompt"] for r in stub.answered) == 2, "a's and b's layer-2 answers", proc
            )
            wait_for(lambda: saved_layer_calls(db, "t") == (2, 2), "their saved writes", proc)
            finished = len(stub.answered)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        killed = True
        assert finished == 5  # layer 1 and two of layer 2's three calls

        status, out, err = ask_here(capsys, "another question", "--pool", pool, "--thread", "t", *KNOBS)
        assert status == 2 and err.count("\n") == 1 and "unfinished run" in err and "--resume" in err, err

        before = len(stub.received)
        resumed = ask_process(env, "--pool", pool, "--thread", "t", "--resume", *KNOBS, "--json")
        assert resumed.returncode == 0, resumed.stderr
        after_resume = len(stub.received) - before
        out = json.loads(resumed.stdout)
        assert out["answer"] == "a says 4, aggregated by a" and out["error"] is None
        assert out["bill"]["calls"] == uninterrupted and [e["layer"] for e in out["trace"]] == [1, 2]
        repaid = after_resume - (uninterrupted - finished)
        with capsys.disabled():  # the figure for the record (pytest -s shows it)
            print(
                f"\nresume: {after_resume} calls after --resume; uninterrupted run {uninterrupted}, "
                f"finished before kill -9 {finished}, re-paid {repaid}"
            )
        assert after_resume <= uninterrupted - finished

        status, out, err = ask_here(capsys, "--resume", "--pool", pool, "--thread", "t", *KNOBS)
        assert status == 2 and "no unfinished run" in err
        before = len(stub.received)
        status, out, err = ask_here(capsys, "And three plus three?", "--pool", pool, "--thread", "t", *KNOBS, "--json")
        assert status == 0 and json.loads(out)["answer"] == "a says 4, aggregated by a", err
        first_prompt = stub.received[before]["prompt"]
        assert (
            first_prompt.count(QUESTION) == 1 and "And three plus three?" in first_prompt
        )  # the question is stored once
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
