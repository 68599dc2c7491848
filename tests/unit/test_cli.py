"""`routemoa ask` as a user runs it: output shapes and one-line errors."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from routemoa import cli
from routemoa.cli import main
from routemoa.operator_pools import POOL_ENV, POOLS_DIR_ENV


@pytest.fixture
def pool(fake_pool, fixed_prior, scripts):
    path = fake_pool(["a", "b"])
    fixed_prior({"a": 0.9, "b": 0.8})
    scripts["a"].reply = '{"answer": "seven", "self_score": 1.0}'
    return path


def test_ask_json(pool, capsys):
    assert main(["ask", "3+4?", "--pool", pool, "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"answer", "bill", "trace"}
    assert out["bill"]["total_usd"] > 0 and out["bill"]["wall_s"] > 0
    assert isinstance(out["trace"], list) and out["trace"][0]["layer"] == 1


def test_ask_table_and_progress(pool, capsys):
    assert main(["ask", "3+4?", "--pool", pool, "--max-layers", "1"]) == 0
    captured = capsys.readouterr()
    assert "layer" in captured.out and "prior" in captured.out and "total" in captured.out
    assert "layer 1: calling a, b" in captured.err


def test_an_answer_cannot_send_terminal_escapes(pool, scripts, capsys):
    hostile = "seven\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07 \u202eevil\nline two\tend"
    scripts["a"].reply = lambda prompt: (
        json.dumps({"answer": hostile, "self_score": 1.0}) if "self_score" in prompt else hostile
    )
    scripts["b"].reply = scripts["a"].reply
    assert main(["ask", "3+4?", "--pool", pool, "--max-layers", "1", "--quiet"]) == 0
    answer = capsys.readouterr().out.split("\n\n")[0]
    assert answer == "seven\\x1b[2J\\x1b]52;c;cm0gLXJmIH4=\\x07 \\u202eevil\nline two\tend"  # lines and tabs kept
    assert main(["ask", "3+4?", "--pool", pool, "--max-layers", "1", "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"] == hostile  # --json carries the text as it is


def test_ask_thread_continues_a_conversation(pool, scripts, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ROUTEMOA_THREADS_DB", str(tmp_path / "threads.sqlite"))
    assert main(["ask", "my name is Ada", "--pool", pool, "--thread", "t", "--quiet"]) == 0
    assert main(["ask", "what is my name?", "--pool", pool, "--thread", "t", "--quiet"]) == 0
    assert "my name is Ada" in scripts["b"].calls[-1]


def test_without_pool_ask_and_route_use_the_default_pool_of_the_environment(pool, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "pools"
    folder.mkdir()
    (folder / "mine.yaml").write_text(Path(pool).read_text())
    for default, pools in ((pool, None), ("mine", str(folder))):  # a file, then a NAME of $ROUTEMOA_POOLS
        monkeypatch.setenv(POOL_ENV, default)
        if pools:
            monkeypatch.setenv(POOLS_DIR_ENV, pools)
        assert main(["ask", "3+4?", "--json", "--quiet", "--max-layers", "1"]) == 0
        assert [m["name"] for m in json.loads(capsys.readouterr().out)["trace"][0]["models"]] == ["a", "b"]
        assert main(["route", "3+4?", "--json"]) == 0
        assert [p["model"] for p in json.loads(capsys.readouterr().out)["prior"]] == ["a", "b"]
    monkeypatch.setenv(POOL_ENV, str(tmp_path / "gone.yaml"))
    assert main(["ask", "3+4?", "--quiet"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'gone.yaml'}: cannot read pool file")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "  "], "error: the question is empty"),
        (["ask", "q", "--pool", "/no/such/pool.yaml"], "error: /no/such/pool.yaml: cannot read pool file"),
        (["ask", "q", "--max-layers", "0"], "error: invalid context: max_layers must be within [1, 16], got 0"),
        (["ask", "q", "--aggregator", "nobody"], "error: context field 'aggregator': 'nobody' is not in pool"),
    ],
)
def test_errors_are_one_line(argv, message, capsys, fixed_prior):
    fixed_prior({"direct-solver": 0.5, "step-reasoner": 0.5, "careful-verifier": 0.5})
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err


def test_the_command_freezes_the_heap_before_exiting_with_mains_code(monkeypatch):
    """`routemoa` is `cli.run`: the interpreter's exit then skips collecting LangChain's heap (~0.4 s)."""
    (command,) = [e for e in entry_points(group="console_scripts") if e.name == "routemoa"]
    assert command.value == "routemoa.cli:run"
    calls = []
    monkeypatch.setattr(cli, "main", lambda: calls.append("main") or 3)
    monkeypatch.setattr(cli.gc, "freeze", lambda: calls.append("freeze"))
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 3 and calls == ["main", "freeze"]
