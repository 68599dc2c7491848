"""Live benchmark files: JSONL, one item per line.

    {"id": "gsm8k-17", "question": "...", "reference": "42", "checker": "gsm8k"}

`checker` is one of `routemoa.eval.checkers.CHECKERS`; ids must be unique.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from routemoa.errors import UserError
from routemoa.eval.checkers import CHECKERS, check
from routemoa.jsonl import read_lines

FIELDS = ("id", "question", "reference", "checker")


@dataclass(frozen=True)
class BenchmarkItem:
    """One question of a benchmark, with how to check an answer to it."""

    id: str
    question: str
    reference: str
    checker: str

    def is_correct(self, answer: str) -> bool:
        """Whether `answer` is right according to this item's checker."""
        return check(self.checker, answer, self.reference)


def parse_item(obj: object, where: str) -> BenchmarkItem:
    """Validate one decoded line; `where` (file:line) prefixes every error."""
    if not isinstance(obj, dict):
        raise UserError(f"{where}: expected a JSON object with fields {', '.join(FIELDS)}")
    for key in FIELDS:
        if not isinstance(obj.get(key), str) or (key != "reference" and not obj[key].strip()):
            raise UserError(f"{where}: field '{key}' is required and must be a non-empty string")
    unknown = sorted(set(obj) - set(FIELDS))
    if unknown:
        raise UserError(f"{where}: unknown field '{unknown[0]}' (known: {', '.join(FIELDS)})")
    if obj["checker"] not in CHECKERS:
        raise UserError(f"{where}: field 'checker' is '{obj['checker']}', expected one of {', '.join(CHECKERS)}")
    return BenchmarkItem(**{k: obj[k] for k in FIELDS})


def load_benchmark(path: str | os.PathLike) -> list[BenchmarkItem]:
    """Every item of a benchmark file, in file order; errors name the file and line."""
    items, seen = [], set()
    for where, obj in read_lines(path, "benchmark"):
        item = parse_item(obj, where)
        if item.id in seen:
            raise UserError(f"{where}: id '{item.id}' is duplicated")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise UserError(f"{path}: no items")
    return items
