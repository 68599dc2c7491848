"""`routemoa serve`: the LangGraph dev server with Studio, the LangGraph API and the OpenAI endpoint.

It runs `langgraph dev` (from `langgraph-cli[inmem]`) on the project's
langgraph.json — the one of a source checkout, or one generated with module
paths when the package is installed without its checkout — offline: no
browser, no analytics, no version check, no LangSmith tracing. `--pool` sets
the default pool ($ROUTEMOA_POOL) of every run whose context names none.
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

from routemoa.context import POOL_ENV
from routemoa.errors import UserError
from routemoa.methods import graph_paths
from routemoa.server.methods import shipped_config

OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
}
"""Environment for a server that must not reach the internet."""

INSTALLED_CONFIG = {
    "dependencies": ["."],
    "graphs": graph_paths(),
    "http": {"app": "routemoa.server.app:app"},
}
"""langgraph.json used when the package runs without its source checkout."""


def serve_command(args: argparse.Namespace, config: Path) -> list[str]:
    """The `langgraph dev` command line for these arguments."""
    if importlib.util.find_spec("langgraph_cli") is not None:
        base = [sys.executable, "-m", "langgraph_cli"]
    else:
        base = [shutil.which("langgraph") or "langgraph"]
    command = [*base, "dev", "--config", str(config), "--host", args.host, "--port", str(args.port), "--no-browser"]
    if not args.reload:
        command.append("--no-reload")
    return command


def serve_env(args: argparse.Namespace) -> dict[str, str]:
    """The server's environment: ours plus the offline switches, and the default pool."""
    env = {**os.environ, **OFFLINE_ENV}
    if args.pool:
        env[POOL_ENV] = args.pool
    return env


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the server in the foreground until it stops (Ctrl-C)."""
    if importlib.util.find_spec("langgraph_api") is None:
        raise UserError('`routemoa serve` needs the LangGraph dev server: pip install "langgraph-cli[inmem]"')
    if args.pool and args.pool != "embedded":
        # Only existence is checked here: provider kinds registered inside the server
        # (plugins, tests) are unknown to this process; the server validates each request.
        if not Path(args.pool).is_file():
            raise UserError(f"{args.pool}: no such pool file")
        args.pool = str(Path(args.pool).resolve())
    with tempfile.TemporaryDirectory(prefix="routemoa-serve-") as tmp:
        config = Path(args.config).resolve() if args.config else shipped_config()
        if config is None:
            config = Path(tmp) / "langgraph.json"
            config.write_text(json.dumps(INSTALLED_CONFIG))
        if not config.is_file():
            raise UserError(f"{config}: no such langgraph.json")
        return subprocess.call(serve_command(args, config), cwd=config.parent, env=serve_env(args))


def register(subparsers) -> argparse.ArgumentParser:
    """Add the `serve` sub-command to `routemoa`'s sub-parsers; its handler returns an exit code."""
    serve = subparsers.add_parser(
        "serve",
        help="serve Studio, the LangGraph API and an OpenAI-compatible endpoint (langgraph dev)",
        description=__doc__.split("\n\n")[1],
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=2024, help="port (default: 2024)")
    serve.add_argument("--pool", help="default pool YAML of runs that name none (default: embedded)")
    serve.add_argument("--config", help="langgraph.json to serve (default: the project's)")
    serve.add_argument("--reload", action="store_true", help="restart when source files change")
    serve.set_defaults(handler=cmd_serve)
    return serve

