"""`routemoa serve` configuration: the server's environment and the startup check (no server is started)."""

from __future__ import annotations

import os

import pytest

from routemoa.cli import build_parser, main
from routemoa.limits import CAPS
from routemoa.operator_pools import POOL_ENV, POOLS_DIR_ENV, SERVER_ENV
from routemoa.server.cli import serve_env


@pytest.fixture
def operator(tmp_path, monkeypatch):
    """A working directory with pools/fast.yaml and pools/slow.yaml, and no pool or cap settings."""
    (tmp_path / "pools").mkdir()
    for name in ("fast", "slow"):
        (tmp_path / "pools" / f"{name}.yaml").write_text("models: []\n")
    monkeypatch.chdir(tmp_path)
    for variable in (POOL_ENV, POOLS_DIR_ENV, SERVER_ENV, *(cap.env for cap in CAPS.values())):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def _env(*argv: str) -> dict[str, str]:
    return serve_env(build_parser().parse_args(["serve", *argv]))


def test_serve_env_makes_operator_paths_absolute_and_keeps_names(operator):
    env = _env("--pools", "pools", "--pool", "fast")
    assert env[POOLS_DIR_ENV] == str(operator / "pools") and env[POOL_ENV] == "fast" and env[SERVER_ENV] == "1"
    assert _env("--pool", "pools/fast.yaml")[POOL_ENV] == str(operator / "pools" / "fast.yaml")
    assert _env("--pool", "embedded")[POOL_ENV] == "embedded"
    assert _env("--pools", "pools", "--pool", "nosuch")[POOL_ENV] == str(
        operator / "nosuch"
    )  # a path: the check refuses it


def test_cap_flags_set_the_cap_variables(operator):
    env = _env("--cap-max-layers", "2", "--cap-body-bytes", "1000")
    assert env["ROUTEMOA_CAP_MAX_LAYERS"] == "2" and env["ROUTEMOA_CAP_BODY_BYTES"] == "1000"
    assert "ROUTEMOA_CAP_TOP_K" not in env
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--cap-top-k", "0"])


@pytest.mark.parametrize(
    ("argv", "variables", "says"),
    [
        (["--pools", "missing"], {}, "cannot list the pools directory"),
        (
            ["--pools", "pools", "--pool", "nosuch"],
            {},
            "not a pool name of ROUTEMOA_POOLS, not 'embedded' and no such file",
        ),
        ([], {"ROUTEMOA_CAP_TOP_K": "many"}, "$ROUTEMOA_CAP_TOP_K must be a positive integer"),
        (
            ["--cap-max-layers", "2"],
            {},
            "$ROUTEMOA_CAP_MAX_LAYERS=2 is below the default max_layers 3 of method 'routemoa'",
        ),
    ],
)
def test_a_broken_configuration_stops_serve_with_one_line(operator, monkeypatch, capsys, argv, variables, says):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    saved = dict(os.environ)
    try:
        assert main(["serve", *argv]) == 2
    finally:
        os.environ.clear()
        os.environ.update(saved)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err


def test_serve_runs_several_jobs_at_once_by_default_and_takes_the_flag(tmp_path):
    from routemoa.server.cli import default_jobs, serve_command

    def jobs(*argv: str) -> str:
        command = serve_command(build_parser().parse_args(["serve", *argv]), tmp_path / "langgraph.json")
        return command[command.index("--n-jobs-per-worker") + 1]

    assert jobs() == str(default_jobs()) and default_jobs() >= 10
    assert jobs("--n-jobs-per-worker", "3") == "3"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--n-jobs-per-worker", "0"])


@pytest.mark.parametrize(
    ("port", "says"), [("0", "must be at least 1"), ("99999", "must be at most 65535"), ("x", "not an integer")]
)
def test_a_port_outside_1_to_65535_is_a_usage_error(port, says, capsys):
    with pytest.raises(SystemExit) as stopped:  # 99999 reached langgraph dev, which died with a traceback
        build_parser().parse_args(["serve", "--port", port])
    assert stopped.value.code == 2 and f"argument --port: {says}" in capsys.readouterr().err
    assert build_parser().parse_args(["serve", "--port", "65535"]).port == 65535


def test_the_config_of_an_installed_package_exports_every_method_by_module():
    import importlib
    import json
    from pathlib import Path

    from routemoa.graph import GRAPHS
    from routemoa.server.cli import INSTALLED_CONFIG, shipped_config

    assert shipped_config() == Path(__file__).resolve().parents[2] / "langgraph.json"
    shipped = json.loads(shipped_config().read_text())
    graphs = INSTALLED_CONFIG["graphs"]
    assert list(graphs) == list(shipped["graphs"]) == list(GRAPHS)
    for name, entry in graphs.items():
        module, attribute = entry["path"].split(":")
        assert getattr(importlib.import_module(module), attribute) is GRAPHS[name]
        assert entry["description"] == shipped["graphs"][name]["description"]
    for key in ("http", "auth"):
        where = INSTALLED_CONFIG[key]["app" if key == "http" else "path"]
        module, attribute = where.split(":")
        assert hasattr(importlib.import_module(module), attribute)
        assert shipped[key]["app" if key == "http" else "path"] == f"./{module.replace('.', '/')}.py:{attribute}"
