"""The methods the OpenAI endpoint serves: the graphs exported in langgraph.json, by name.

Inside a LangGraph server (`langgraph dev`, `langgraph up`, a deployment) the
server puts langgraph.json's `graphs` into the environment variable
LANGSERVE_GRAPHS; paths there are relative to the server's working directory.
Outside one, the file named by $ROUTEMOA_LANGGRAPH_CONFIG is read, else the
langgraph.json next to the package (a source checkout), else every method of
`routemoa.methods`. A graph added to langgraph.json (say
`moa`, `smoa`) therefore appears in `/v1/models` with no code change.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from routemoa.methods import graph_paths

GRAPHS_ENV = "LANGSERVE_GRAPHS"
CONFIG_ENV = "ROUTEMOA_LANGGRAPH_CONFIG"


def shipped_config() -> Path | None:
    """The langgraph.json of a source checkout (next to the package), if there is one."""
    path = Path(__file__).resolve().parents[2] / "langgraph.json"
    return path if path.is_file() else None


def _specs() -> tuple[dict[str, Any], Path]:
    """(graphs mapping, directory its relative paths are relative to)."""
    from_env = os.environ.get(GRAPHS_ENV)
    if from_env:
        return json.loads(from_env), Path.cwd()
    config = Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else shipped_config()
    if config is not None:
        graphs = json.loads(config.read_text()).get("graphs") or {}
        if graphs:
            return graphs, config.resolve().parent
    return graph_paths(), Path.cwd()


def method_names() -> list[str]:
    """Names of the exported graphs, in langgraph.json order."""
    return list(_specs()[0])


def _source(value: Any) -> str:
    """The "path_or_module:variable" string of one graphs entry (a string or {"path": ...})."""
    return value["path"] if isinstance(value, dict) else str(value)


def _module_for_file(file: Path):
    """Import a graph file: as its package module when it lies on sys.path, else by location."""
    for entry in sys.path:
        try:
            relative = file.relative_to(Path(entry or ".").resolve())
        except (ValueError, OSError):
            continue
        name = ".".join(relative.with_suffix("").parts)
        try:
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if found is not None and found.origin and Path(found.origin).resolve() == file:
            return importlib.import_module(name)
    name = "routemoa_method_" + "_".join(file.with_suffix("").parts[-2:]).replace("-", "_").replace(".", "_")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import graph file {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=None)
def _load(source: str, base: str):
    where, _, variable = source.rpartition(":")
    if "/" in where or where.endswith(".py"):
        file = Path(where) if Path(where).is_absolute() else Path(base) / where
        module = _module_for_file(file.resolve())
    else:
        module = importlib.import_module(where)
    graph = getattr(module, variable)
    return graph() if callable(graph) and not hasattr(graph, "astream") else graph


def load_method(name: str):
    """The compiled graph exported as `name` (KeyError if there is none); imported once."""
    graphs, base = _specs()
    return _load(_source(graphs[name]), str(base))
