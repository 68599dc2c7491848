"""Result cache of a live evaluation: one JSON line per (method, item id), appended as results arrive.

Loaded on start, so an interrupted run resumes where it stopped without paying twice.
A torn last line (the process died mid-write) is ignored.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


class ResultCache:
    """Results keyed by (method, id), persisted to an append-only JSONL file."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._results: dict[tuple[str, str], dict[str, Any]] = {}
        if self.path.exists():
            # a line cut by a killed run (even inside a UTF-8 character) is skipped, not fatal
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    row = json.loads(line)
                    self._results[(row["method"], row["id"])] = row
                except (ValueError, KeyError, TypeError, RecursionError):
                    continue

    def __len__(self) -> int:
        return len(self._results)

    def get(self, method: str, item_id: str) -> dict[str, Any] | None:
        """The stored result, or None."""
        return self._results.get((method, item_id))

    def put(self, result: dict[str, Any]) -> None:
        """Store a result (must have `method` and `id`) and append it to the file at once."""
        key = (result["method"], result["id"])
        line = json.dumps(result, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            self._results[key] = result

    def results(self) -> list[dict[str, Any]]:
        """Every stored result, in insertion order."""
        return list(self._results.values())

    async def get_or_run(
        self, method: str, item_id: str, run: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """The cached result, else `await run()` (which returns the result fields), stored then returned."""
        cached = self.get(method, item_id)
        if cached is not None:
            return cached
        result = {**await run(), "method": method, "id": item_id}
        self.put(result)
        return result
