"""The package's import graph: no circle, and no module importing a higher layer.

The layers are declared once, in pyproject.toml ([tool.importlinter]; docs/architecture.md
explains them); `lint-imports` checks them and this test runs it. The module-level circle
search below covers what the package-level contracts cannot see: a package's `__init__`
importing its own modules that import it back. Both count every import statement, those
inside functions included: a deferred import is still a dependency.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"
"""import-linter's `lint-imports` command, run by this interpreter."""


def find_circle(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle of the directed graph `edges` (module -> modules it imports) as a path that
    ends where it starts, or None when there is none (depth-first search, no recursion)."""
    done: set[str] = set()
    for start in sorted(edges):
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        todo = [iter(sorted(edges.get(start, ())))]
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                todo.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
            elif nxt in on_path:
                return path[path.index(nxt) :] + [nxt]
            elif nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                todo.append(iter(sorted(edges.get(nxt, ()))))
    return None


def test_find_circle_finds_one_and_only_real_ones():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"a"}}) == ["a", "a"]
    assert find_circle({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) is None


def test_no_module_imports_itself_back():
    graph = grimp.build_graph("routemoa", cache_dir=None)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    circle = find_circle(edges)
    if circle:
        pytest.fail("import circle: " + " -> ".join(circle), pytrace=False)


def test_layer_contracts_hold():
    """pyproject.toml's contracts: every module of `routemoa` sits in a declared layer, imports
    only its own or lower layers, and sibling packages form no circle."""
    done = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", "pyproject.toml", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "160"},
    )
    if done.returncode != 0:
        pytest.fail(done.stdout[-6000:] + done.stderr[-2000:], pytrace=False)
