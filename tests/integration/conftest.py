"""Fixtures for integration tests: a real `langgraph dev` server on loopback, fake pools, a PostgreSQL server.

`dev_server` (session scope) starts `routemoa serve` — i.e. `langgraph dev` —
on a free 127.0.0.1 port with a test-only langgraph.json written in a temp
folder: graph `routemoa` is `tests/fakes_serving.py:graph`, which registers the
deterministic `fake` provider inside the server process before exporting the
real graph; the http app is the shipped OpenAI-compatible app. The operator's
pools are a directory (`routemoa serve --pools DIR --pool fake`): `fake` (two
fake models, the default) and `failing`; clients name them (`context={"pool":
dev_server.pool}`), and a test may add a pool file to `dev_server.pools`
while the server runs. The server is stopped at teardown.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import fakes_serving  # noqa: E402  (registers the fake provider in this process too)

SERVER_START_TIMEOUT_S = 180
OFFLINE_ENV = {"LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGGRAPH_NO_VERSION_CHECK": "true", "LANGSMITH_TRACING": "false"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class DevServer:
    """A running test server."""

    url: str
    pools: Path
    """The operator's pools directory (ROUTEMOA_POOLS): NAME.yaml is pool NAME."""
    pool: str
    """Name of two fake models (the default pool)."""
    failing_pool: str
    """Name of two fake models that always fail."""
    config: Path
    log: Path


def _write_config(folder: Path) -> Path:
    import json

    from routemoa.methods import METHODS

    config = folder / "langgraph.json"
    config.write_text(
        json.dumps(
            {
                "dependencies": [str(REPO)],
                "graphs": {
                    "routemoa": {
                        "path": f"{TESTS / 'fakes_serving.py'}:graph",
                        "description": METHODS["routemoa"].description,
                    }
                },
                "http": {"app": f"{REPO / 'routemoa' / 'server' / 'app.py'}:app"},
                "auth": {"path": f"{REPO / 'routemoa' / 'server' / 'run_policy.py'}:auth"},
            }
        )
    )
    return config


def _wait_ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"langgraph dev exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"langgraph dev not ready after {SERVER_START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started: its own process group, politely, then firmly."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory):
    """`routemoa serve` (langgraph dev) with the fake graph on a free loopback port."""
    folder = tmp_path_factory.mktemp("devserver")
    pools = folder / "pools"
    pools.mkdir()
    fakes_serving.write_pool(pools / "fake.yaml", 2)
    fakes_serving.write_pool(pools / "failing.yaml", 2, fail=True)
    config = _write_config(folder)
    port = free_port()
    log = folder / "server.log"
    command = [
        sys.executable,
        "-m",
        "routemoa.cli",
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        "--pools",
        "pools",
        "--pool",
        "fake",
    ]  # relative to cwd, as an operator types it
    env = {**os.environ, **OFFLINE_ENV, "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log)
        yield DevServer(url=url, pools=pools, pool="fake", failing_pool="failing", config=config, log=log)
    finally:
        _stop(proc)


@pytest.fixture
def fake_pool(tmp_path) -> str:
    """A pool file of two fake models, for in-process runs."""
    return str(fakes_serving.write_pool(tmp_path / "pool.yaml", 2))


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres_user(command: list[str]) -> list[str]:
    """initdb refuses root: run PostgreSQL binaries as `nobody` when we are root."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as an unprivileged user")
    return [runuser, "-u", "nobody", "--", *command]


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL 15 server on a free loopback port; yields its connection URL, stops it after."""
    if not (PG_BIN / "initdb").is_file() or not (PG_BIN / "pg_ctl").is_file():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN}")
    folder = Path(tempfile.mkdtemp(prefix="routemoa-pg-", dir="/tmp"))  # /tmp: traversable by `nobody`
    if os.geteuid() == 0:
        shutil.chown(folder, user="nobody")
    data, port = folder / "data", free_port()
    subprocess.run(
        _as_postgres_user(
            [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = str(PG_BIN / "pg_ctl")
    subprocess.run(
        _as_postgres_user(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "-t", "60", "start"]
        ),
        check=True,
        capture_output=True,
        timeout=90,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres_user([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True, timeout=60
        )
        shutil.rmtree(folder, ignore_errors=True)
