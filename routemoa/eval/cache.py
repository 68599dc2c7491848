"""Result cache of a live evaluation: one JSON line per (method, item id), appended as results arrive.

Loaded on start, so an interrupted run resumes where it stopped without paying twice: a run's
answer is stored before it is graded, so a grading failure (the judge down) costs a regrade on
rerun, not a second run. A later line for the same key replaces an earlier one. A torn last
line (the process died mid-write) is ignored.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

PENDING = "pending"
"""Field of a stored row whose paid work is done but whose grading is not (see `get_or_run`)."""


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
        self,
        method: str,
        item_id: str,
        run: Callable[[], Awaitable[dict[str, Any]]],
        finish: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None = None,
    ) -> dict[str, Any]:
        """The finished result of (method, item_id); a new one is `await run()` (the paid work).

        With `finish` (grading), `run`'s fields are stored at once, marked PENDING, before
        `await finish(row)` adds the rest; if `finish` raises, the pending row stays, and the next
        call finishes it without running again."""
        row = self.get(method, item_id)
        if row is None:
            row = {**await run(), "method": method, "id": item_id}
            if finish is None:
                self.put(row)
                return row
            row[PENDING] = True
            self.put(row)
        if row.get(PENDING) and finish is not None:
            done = {key: value for key, value in row.items() if key != PENDING}
            row = {**done, **await finish(done)}
            self.put(row)
        return row
