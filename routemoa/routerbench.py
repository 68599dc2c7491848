"""RouterBench CSVs: the one reader of their rows, for scorer training, replay and evaluation.

One row per query: `sample_id`, `eval_name`, `prompt` (a Python-list literal
of the prompt string(s)), one column per model with its correctness (1.0 / 0.0,
empty = no result), `<model>|model_response` (a Python-list literal),
`<model>|total_cost` (dollars, empty = unknown) and `oracle_model_to_route_to`.

Every reader of this format reads it here, so the scorer learns from the same
prompt text that replay and evaluation route on.
"""

from __future__ import annotations

import ast
import csv
import math
import os
from dataclasses import dataclass

from routemoa.errors import UserError

COST_SUFFIX = "|total_cost"
RESPONSE_SUFFIX = "|model_response"
REQUIRED_COLUMNS = ("sample_id", "prompt")
MAX_CELL_CHARS = 1 << 30


@dataclass(frozen=True)
class RouterBenchRow:
    """One recorded query and every model's result on it, as the file has them."""

    sample_id: str
    eval_name: str
    """The benchmark of the query (e.g. `arc-challenge`); empty when the file has none."""
    prompt: str
    """The prompt text (see `prompt_text`)."""
    correct: dict[str, float | None]
    """Per model: 1.0 / 0.0 (or graded), None when the file has no result."""
    response: dict[str, str]
    """Per model: the recorded answer (see `response_text`)."""
    cost: dict[str, float | None]
    """Per model: dollars the recorded call cost, None when the cell is empty."""


@dataclass(frozen=True)
class RouterBenchFile:
    """The models of one RouterBench CSV (in the order of their correctness columns) and its rows."""

    models: tuple[str, ...]
    rows: tuple[RouterBenchRow, ...]


def _strings(cell: str) -> list[str] | None:
    """The strings of a cell holding a Python literal of a string or a list of strings; else None."""
    try:
        value = ast.literal_eval(cell)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    return items if all(isinstance(item, str) for item in items) else None


def prompt_text(cell: str) -> str:
    """The prompt of a `prompt` cell: its strings joined by newlines, a repeated string once.

    RouterBench stores a prompt as a list of strings; some rows hold the same
    prompt twice (14 of the ARC rows), which counts once. Any other cell is
    taken as the text itself.
    """
    items = _strings(cell)
    return cell if items is None else "\n".join(dict.fromkeys(items))


def response_text(cell: str) -> str:
    """The answer of a `<model>|model_response` cell: its last string (the reply to the last prompt)."""
    items = _strings(cell)
    if items is None:
        return cell
    return items[-1] if items else ""


def _number(cell: str, where: str) -> float | None:
    """A finite number cell; None when empty."""
    if not cell.strip():
        return None
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise UserError(f"{where}: expected a number, got {cell[:40]!r}")
    return value


def _models(header: list[str], path: str) -> tuple[str, ...]:
    """Model names from the `<model>|total_cost` columns, in the order of their correctness columns."""
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise UserError(f"{path}: not a RouterBench CSV: missing column '{missing[0]}'")
    costed = {c[: -len(COST_SUFFIX)] for c in header if c.endswith(COST_SUFFIX)}
    if not costed:
        raise UserError(f"{path}: not a RouterBench CSV: no '<model>{COST_SUFFIX}' columns")
    for model in sorted(costed):
        for column in (model, model + RESPONSE_SUFFIX):
            if column not in header:
                raise UserError(f"{path}: model '{model}' has no column '{column}'")
    return tuple(c for c in header if c in costed)


def _row(row: dict[str, str], models: tuple[str, ...], where: str) -> RouterBenchRow:
    return RouterBenchRow(
        sample_id=row["sample_id"],
        eval_name=row.get("eval_name") or "",
        prompt=prompt_text(row["prompt"]),
        correct={m: _number(row[m], f"{where}: column '{m}'") for m in models},
        response={m: response_text(row[m + RESPONSE_SUFFIX]) for m in models},
        cost={m: _number(row[m + COST_SUFFIX], f"{where}: column '{m}{COST_SUFFIX}'") for m in models},
    )


def read_routerbench(path: str | os.PathLike) -> RouterBenchFile:
    """Every row of a RouterBench CSV; a bad file or cell is a UserError naming file, line and column."""
    where = os.fspath(path)
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        with open(where, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, restval="")
            models = _models(list(reader.fieldnames or []), where)
            rows = tuple(_row(row, models, f"{where}:{reader.line_num}") for row in reader)
    except OSError as exc:
        raise UserError(f"{where}: cannot read RouterBench CSV ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{where}: not UTF-8 (invalid byte at offset {exc.start})") from None
    except csv.Error as exc:
        raise UserError(f"{where}: invalid CSV ({exc})") from None
    return RouterBenchFile(models=models, rows=rows)
