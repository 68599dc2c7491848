"""Replay data: recorded results of several models on several queries, from RouterBench-style CSVs.

The files are read by routemoa.routerbench (the reader scorer training uses
too); this module keeps what replay needs: records, their lookup by prompt and
a cache per file version.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from routemoa.errors import UserError
from routemoa.routerbench import RouterBenchRow, read_routerbench


class ReplayError(RuntimeError):
    """A replayed call that has no recording (the graph records it as a provider failure)."""


@dataclass(frozen=True)
class ReplayRecord:
    """One recorded query and every model's result on it."""

    sample_id: str
    eval_name: str
    prompt: str
    correct: dict[str, float | None]
    """Per model: 1.0 / 0.0, or None when the data has no result."""
    response: dict[str, str]
    cost: dict[str, float]
    """Per model: dollars the recorded call cost (0 when the data has none)."""

    @classmethod
    def from_row(cls, row: RouterBenchRow) -> ReplayRecord:
        """The record of one RouterBench row; an empty cost cell counts as 0 dollars."""
        cost = {model: usd or 0.0 for model, usd in row.cost.items()}
        return cls(row.sample_id, row.eval_name, row.prompt, row.correct, row.response, cost)

    @property
    def question(self) -> str:
        """The item actually asked: the prompt's last paragraph (drops a shared few-shot prefix)."""
        blocks = [b for b in self.prompt.split("\n\n") if b.strip()]
        return blocks[-1].strip() if blocks else self.prompt


@dataclass(frozen=True)
class ReplayData:
    """Recorded results of several models on several queries."""

    models: tuple[str, ...]
    records: tuple[ReplayRecord, ...]

    @functools.cached_property
    def _by_prompt(self) -> dict[str, ReplayRecord]:
        return {r.prompt: r for r in self.records}

    @functools.cached_property
    def _longest_first(self) -> list[ReplayRecord]:
        return sorted(self._by_prompt.values(), key=lambda r: len(r.prompt), reverse=True)

    def lookup(self, text: str) -> ReplayRecord:
        """The record whose prompt is `text`, else the longest recorded prompt contained in it."""
        record = self._by_prompt.get(text) or self._by_prompt.get(text.strip())
        if record is not None:
            return record
        for record in self._longest_first:
            if record.prompt in text:
                return record
        raise ReplayError(f"no recorded prompt is contained in the query ({text[:60]!r}...)")


@functools.lru_cache(maxsize=16)
def _read_cached(path: str, _mtime_ns: int) -> ReplayData:
    table = read_routerbench(path)
    if not table.rows:
        raise UserError(f"{path}: no rows")
    return ReplayData(models=table.models, records=tuple(ReplayRecord.from_row(row) for row in table.rows))


def load_replay(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> ReplayData:
    """Read one or more replay CSVs (cached per file version); models are those every file has."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not paths:
        raise UserError("no replay data files given")
    parts = []
    for path in paths:
        file = Path(path)
        try:
            stat = file.stat()
        except OSError as exc:
            raise UserError(f"{file}: cannot read replay data ({exc.strerror or exc})") from None
        parts.append(_read_cached(str(file.resolve()), stat.st_mtime_ns))
    models = tuple(m for m in parts[0].models if all(m in p.models for p in parts[1:]))
    if not models:
        raise UserError(f"the replay files {', '.join(map(str, paths))} share no model")
    return ReplayData(models=models, records=tuple(r for p in parts for r in p.records))
