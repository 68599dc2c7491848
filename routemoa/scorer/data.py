"""Scorer training data: the JSONL format, importers for RouterBench and RouterDC, the mixed-task protocol.

One query per line::

    {"query": str, "scores": {model: float in [0, 1]}, "task": str, "costs": {model: dollars}}

`task` and `costs` are optional. A model absent from `scores` has no result for that query.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from routemoa.errors import UserError
from routemoa.jsonl import parse_json, read_lines, read_text
from routemoa.routerbench import read_routerbench

MIXED_PROTOCOLS = ("mixed-train", "mixed-test")
MIXED_TRAIN_CAP = 1000
MIXED_TEST_CAP = 500
MIXED_SPLIT_FILES = ("MATH_prealgebra", "mbpp")
MIXED_SEED = 0


@dataclass(frozen=True)
class Record:
    """One query with its per-model scores (1 = correct, 0 = wrong, graded in between)."""

    query: str
    scores: dict[str, float]
    task: str | None = None
    costs: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        """The JSONL object for this record (optional fields only when set)."""
        out: dict = {"query": self.query, "scores": self.scores}
        if self.task is not None:
            out["task"] = self.task
        if self.costs:
            out["costs"] = self.costs
        return out


def _number_map(value, what: str, where: str, unit_interval: bool) -> dict[str, float]:
    if not isinstance(value, dict):
        raise UserError(f"{where}: field '{what}' must be an object of model -> number")
    out = {}
    for model, v in value.items():
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
        if not ok or (unit_interval and v > 1):
            bound = "in [0, 1]" if unit_interval else ">= 0"
            raise UserError(f"{where}: field '{what}': model '{model}' has {v!r}, expected a number {bound}")
        out[str(model)] = float(v)
    return out


def parse_record(obj, where: str) -> Record:
    """Validate one decoded JSONL object; `where` (file:line) prefixes errors."""
    if not isinstance(obj, dict):
        raise UserError(f"{where}: expected a JSON object")
    unknown = sorted(set(obj) - {"query", "scores", "task", "costs"})
    if unknown:
        raise UserError(f"{where}: unknown field '{unknown[0]}' (known: query, scores, task, costs)")
    query = obj.get("query")
    if not isinstance(query, str) or not query.strip():
        raise UserError(f"{where}: field 'query' must be a non-empty string")
    scores = _number_map(obj.get("scores"), "scores", where, unit_interval=True)
    if not scores:
        raise UserError(f"{where}: field 'scores' must name at least one model")
    task = obj.get("task")
    if task is not None and not isinstance(task, str):
        raise UserError(f"{where}: field 'task' must be a string")
    costs = _number_map(obj.get("costs", {}), "costs", where, unit_interval=False)
    return Record(query, scores, task or None, costs)


def read_jsonl(path: str | Path) -> list[Record]:
    """Records of a JSONL file; a bad line raises UserError naming file and line."""
    records = [parse_record(obj, where) for where, obj in read_lines(path, "data file")]
    if not records:
        raise UserError(f"{path}: no records")
    return records


def write_jsonl(records: list[Record], path: str | Path) -> None:
    """Write records as JSONL (one object per line)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")


def task_from_filename(path: str | Path) -> str:
    """`gsm8k-train.json` -> `gsm8k`, `mmlu_test.json` -> `mmlu`, `mbpp.json` -> `mbpp`."""
    return re.sub(r"[-_](train|test)$", "", Path(path).stem)


def import_routerdc(path: str | Path) -> list[Record]:
    """A RouterDC JSON list of {question, scores}; the task tag comes from the file name."""
    path = Path(path)
    items = parse_json(read_text(path, "RouterDC file"), str(path))
    if not isinstance(items, list):
        raise UserError(f"{path}: expected a JSON list of {{question, scores}} objects")
    task = task_from_filename(path)
    records = []
    for index, item in enumerate(items):
        where = f"{path}: item {index}"
        if not isinstance(item, dict) or "question" not in item:
            raise UserError(f"{where}: expected an object with 'question' and 'scores'")
        records.append(parse_record({"query": item["question"], "scores": item.get("scores"), "task": task}, where))
    return records


def import_routerbench(path: str | Path) -> list[Record]:
    """A RouterBench CSV (read by routemoa.routerbench): correctness becomes the scores, `<model>|total_cost` the costs.

    A model with an empty correctness cell has no result for that query; a query with no result is skipped.
    """
    fallback_task = task_from_filename(path)
    records = []
    for row in read_routerbench(path).rows:
        scores = {model: value for model, value in row.correct.items() if value is not None}
        if not scores:
            continue
        costs = {model: row.cost[model] for model in scores if row.cost[model] is not None}
        obj = {"query": row.prompt, "scores": scores, "task": row.eval_name or fallback_task, "costs": costs}
        records.append(parse_record(obj, f"{path}: sample_id {row.sample_id!r}"))
    return records


def import_files(kind: str, paths: list[str | Path]) -> list[Record]:
    """Records of several source files of one kind ('routerbench' or 'routerdc'), in order."""
    reader = {"routerbench": import_routerbench, "routerdc": import_routerdc}[kind]
    return [record for path in paths for record in reader(path)]


def mixed_protocol(directory: str | Path, split: str, seed: int = MIXED_SEED) -> list[Record]:
    """The RouterDC mixed-task split of a routerdc7 folder.

    mixed-train: every `*train.json` (first 1000 per task) plus a seeded half of
    MATH_prealgebra.json and of mbpp.json; mixed-test: every `*test.json` (first 500
    per task) plus the other halves.
    """
    if split not in MIXED_PROTOCOLS:
        raise UserError(f"unknown protocol '{split}' (known: {', '.join(MIXED_PROTOCOLS)})")
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(f"{directory}: the mixed-task protocol needs the routerdc7 folder")
    train = split == "mixed-train"
    files = sorted(directory.glob("*train.json" if train else "*test.json"))
    cap = MIXED_TRAIN_CAP if train else MIXED_TEST_CAP
    records = [r for path in files for r in import_routerdc(path)[:cap]]
    for name in MIXED_SPLIT_FILES:
        path = directory / f"{name}.json"
        if not path.is_file():
            raise UserError(f"{path}: missing (the mixed-task protocol splits it in half)")
        items = import_routerdc(path)
        order = list(range(len(items)))
        random.Random(f"{seed}:{name}").shuffle(order)
        half = order[: len(order) // 2] if train else order[len(order) // 2 :]
        records.extend(items[i] for i in sorted(half))
    if not records:
        raise UserError(f"{directory}: no routerdc files for {split}")
    return records


def label_matrix(records: list[Record], models: list[str]) -> np.ndarray:
    """Scores as a (n_records, n_models) float32 array, NaN where a model has no result."""
    out = np.full((len(records), len(models)), np.nan, dtype=np.float32)
    index = {m: j for j, m in enumerate(models)}
    for i, record in enumerate(records):
        for model, value in record.scores.items():
            if model in index:
                out[i, index[model]] = value
    return out


def pool_models(records: list[Record]) -> list[str]:
    """Every model named in the records, in first-seen order."""
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record.scores))
    return list(seen)
