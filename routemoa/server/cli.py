"""`routemoa serve`: the LangGraph dev server with Studio, the LangGraph API and the OpenAI endpoint.

It runs `langgraph dev` (from `langgraph-cli[inmem]`) on the project's
langgraph.json — the one of a source checkout, or one generated with module
paths when the package is installed without its checkout — offline: no
browser, no analytics, no version check, no LangSmith tracing. `--pools DIR`
($ROUTEMOA_POOLS) is the directory of pools clients may name (NAME.yaml),
`--pool` the default pool ($ROUTEMOA_POOL) of every run whose context names
none, and `--cap-*` the operator's caps on work per request ($ROUTEMOA_CAP_*).
`--n-jobs-per-worker` is how many runs of the LangGraph API execute at once
(langgraph dev's own default is 1; a deployment's is N_JOBS_PER_WORKER=10).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from routemoa.errors import UserError
from routemoa.limits import CAPS, check_caps
from routemoa.methods import graph_entries
from routemoa.operator_pools import POOL_ENV, POOLS_DIR_ENV, SERVER_ENV, check_operator_config, is_pool_name
from routemoa.pool import EMBEDDED_POOL

OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
}
"""Environment for a server that must not reach the internet."""

INSTALLED_CONFIG = {
    "dependencies": ["."],
    "graphs": graph_entries(module_paths=True),
    "http": {"app": "routemoa.server.app:app"},
    "auth": {"path": "routemoa.server.run_policy:auth"},
}
"""langgraph.json used when the package runs without its source checkout."""


def shipped_config() -> Path | None:
    """The langgraph.json of a source checkout (next to the package), if there is one."""
    path = Path(__file__).resolve().parents[2] / "langgraph.json"
    return path if path.is_file() else None


JOBS_PER_CORE = 10
"""Default concurrent runs per CPU core: a run mostly waits on its providers, and one core keeps about
ten runs' graph work going (benchmarks/server_throughput.py)."""


def default_jobs() -> int:
    """Concurrent LangGraph API runs for this machine: JOBS_PER_CORE per CPU core."""
    return JOBS_PER_CORE * (os.cpu_count() or 1)


def serve_command(args: argparse.Namespace, config: Path) -> list[str]:
    """The `langgraph dev` command line for these arguments."""
    if importlib.util.find_spec("langgraph_cli") is not None:
        base = [sys.executable, "-m", "langgraph_cli"]
    else:
        base = [shutil.which("langgraph") or "langgraph"]
    command = [*base, "dev", "--config", str(config), "--host", args.host, "--port", str(args.port), "--no-browser"]
    command += ["--n-jobs-per-worker", str(getattr(args, "n_jobs_per_worker", None) or default_jobs())]
    if not args.reload:
        command.append("--no-reload")
    return command


def serve_env(args: argparse.Namespace) -> dict[str, str]:
    """The server's environment: ours plus the offline switches, ROUTEMOA_SERVER=1, the pools
    directory and default pool (absolute: the server runs in another directory) and the caps."""
    env = {**os.environ, **OFFLINE_ENV, SERVER_ENV: "1"}
    if args.pools:
        env[POOLS_DIR_ENV] = args.pools
    if env.get(POOLS_DIR_ENV):
        env[POOLS_DIR_ENV] = os.path.abspath(env[POOLS_DIR_ENV])
    if args.pool:
        env[POOL_ENV] = args.pool
    default = env.get(POOL_ENV)
    if default and not _is_named_pool(default, env.get(POOLS_DIR_ENV)):
        env[POOL_ENV] = os.path.abspath(default)  # a path the operator chose
    for name, cap in CAPS.items():
        value = getattr(args, f"cap_{name}", None)
        if value is not None:
            env[cap.env] = str(value)
    return env


def _is_named_pool(value: str, pools: str | None) -> bool:
    """Whether the default pool `value` is `embedded` or a NAME of the pools directory (else a path)."""
    if value == EMBEDDED_POOL:
        return True
    if not pools:
        return False
    return is_pool_name(value) and os.path.isfile(os.path.join(pools, value + ".yaml"))


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the server in the foreground until it stops (Ctrl-C)."""
    if importlib.util.find_spec("langgraph_api") is None:
        raise UserError('`routemoa serve` needs the LangGraph dev server: pip install "langgraph-cli[inmem]"')
    env = serve_env(args)
    # Only the configuration is checked here, not the pools' contents: provider kinds registered
    # inside the server (plugins, tests) are unknown to this process; the server checks each request.
    os.environ.update(env)  # this process only checks the configuration, then waits for the server
    check_caps()
    names = check_operator_config()
    print(
        f"routemoa serve: clients may name the pools {', '.join(names) or '(none)'}; default {env.get(POOL_ENV) or EMBEDDED_POOL}",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory(prefix="routemoa-serve-") as tmp:
        config = Path(args.config).resolve() if args.config else shipped_config()
        if config is None:
            config = Path(tmp) / "langgraph.json"
            config.write_text(json.dumps(INSTALLED_CONFIG))
        if not config.is_file():
            raise UserError(f"{config}: no such langgraph.json")
        return subprocess.call(serve_command(args, config), cwd=config.parent, env=env)


def _positive(text: str) -> int:
    """An argparse type: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be at most 65535, got {value}")
    return value


def register(subparsers) -> argparse.ArgumentParser:
    """Add the `serve` sub-command to `routemoa`'s sub-parsers; its handler returns an exit code."""
    serve = subparsers.add_parser(
        "serve",
        help="serve Studio, the LangGraph API and an OpenAI-compatible endpoint (langgraph dev)",
        description=__doc__.split("\n\n")[1],
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=2024, help="port, 1-65535 (default: 2024)")
    serve.add_argument(
        "--pools",
        metavar="DIR",
        help=f"directory of the pools clients may name: NAME.yaml is pool NAME (${POOLS_DIR_ENV})",
    )
    serve.add_argument(
        "--pool",
        help=f"default pool of runs that name none: a NAME of --pools, a YAML file or 'embedded' (${POOL_ENV}; default: embedded)",
    )
    for name, cap in CAPS.items():
        serve.add_argument(
            f"--cap-{name.replace('_', '-')}",
            type=_positive,
            metavar="N",
            help=f"most {cap.what} a client may ask for (${cap.env}; default {cap.default})",
        )
    serve.add_argument(
        "--n-jobs-per-worker",
        type=_positive,
        metavar="N",
        help=f"LangGraph API runs executed at once (default: {JOBS_PER_CORE} per CPU core, {default_jobs()} here)",
    )
    serve.add_argument("--config", help="langgraph.json to serve (default: the project's)")
    serve.add_argument("--reload", action="store_true", help="restart when source files change")
    serve.set_defaults(handler=cmd_serve)
    return serve
