"""Live benchmark files: JSONL, one item per line.

    {"id": "gsm8k-17", "question": "...", "reference": "42", "checker": "gsm8k"}
    {"id": "mmlu-3", "question": "...", "reference": "B", "checker": "choice", "choices": ["..", ".."], "task": "mmlu"}
    {"id": "nli-9", "question": "...", "reference": "entailment", "checker": "label",
     "labels": ["entailment", "neutral", "contradiction"], "aliases": {"entailment": ["蕴含"]}}

Required: `id`, `question`, `checker` (one of `routemoa.eval.checkers.CHECKERS`), `reference`.
Optional: `references` (more acceptable answers), `choices` (option texts, A first), `labels`,
`aliases` (label -> list of strings), `task` (report group; default: the checker). Ids are unique.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from routemoa.errors import UserError
from routemoa.eval.checkers import CHECKERS, PASS_MARK, grade
from routemoa.eval.checkers.choice import reference_letter
from routemoa.eval.checkers.text import normalize
from routemoa.jsonl import read_lines

REQUIRED = ("id", "question", "reference", "checker")
OPTIONAL = ("references", "choices", "labels", "aliases", "task")
FIELDS = REQUIRED + OPTIONAL


@dataclass(frozen=True)
class BenchmarkItem:
    """One question of a benchmark, with how to grade an answer to it."""

    id: str
    question: str
    reference: str
    checker: str
    references: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    task: str = ""

    @property
    def group(self) -> str:
        """The item's task for reports: `task`, else its checker."""
        return self.task or self.checker

    def as_dict(self) -> dict[str, Any]:
        """The item as `routemoa.eval.checkers.grade` reads it."""
        return {
            "id": self.id,
            "question": self.question,
            "reference": self.reference,
            "checker": self.checker,
            "references": list(self.references),
            "choices": list(self.choices),
            "labels": list(self.labels),
            "aliases": {k: list(v) for k, v in self.aliases.items()},
            "task": self.group,
        }

    def score(self, answer: str) -> float:
        """`grade` of `answer` for this item, in [0, 1]."""
        return grade(self.as_dict(), answer)

    def is_correct(self, answer: str) -> bool:
        """Whether `answer` is right (score at least 0.5)."""
        return self.score(answer) >= PASS_MARK


def _strings(value: object, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UserError(f"{where}: field '{key}' must be a list of non-empty strings")
    return tuple(value)


def _aliases(value: object, labels: tuple[str, ...], where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise UserError(f"{where}: field 'aliases' must be an object: label -> list of strings")
    for label, names in value.items():
        if label not in labels:
            raise UserError(f"{where}: aliases: '{label}' is not one of the item's labels")
        _strings(names, where, f"aliases.{label}")
    return {label: tuple(names) for label, names in value.items()}


def _check_consistent(item: BenchmarkItem, where: str) -> None:
    """Checker-specific requirements: a label item has labels and its reference is one; a choice
    item's reference names an option; at most 26 options."""
    if len(item.choices) > 26:
        raise UserError(f"{where}: field 'choices' has {len(item.choices)} options, at most 26 (A-Z)")
    if item.checker == "label":
        names = {normalize(n) for label in item.labels for n in (label, *item.aliases.get(label, ()))}
        if not item.labels:
            raise UserError(f"{where}: checker 'label' needs field 'labels'")
        if normalize(item.reference) not in names:
            raise UserError(f"{where}: reference '{item.reference}' is not one of the labels or aliases")
    if item.checker == "choice" and reference_letter(item.as_dict()) is None:
        raise UserError(f"{where}: reference '{item.reference}' is not an option letter (or an option's text)")


def parse_item(obj: object, where: str) -> BenchmarkItem:
    """Validate one decoded line; `where` (file:line) prefixes every error."""
    if not isinstance(obj, dict):
        raise UserError(f"{where}: expected a JSON object with fields {', '.join(REQUIRED)}")
    for key in REQUIRED:
        if not isinstance(obj.get(key), str) or (key != "reference" and not obj[key].strip()):
            raise UserError(f"{where}: field '{key}' is required and must be a non-empty string")
    unknown = sorted(set(obj) - set(FIELDS))
    if unknown:
        raise UserError(f"{where}: unknown field '{unknown[0]}' (known: {', '.join(FIELDS)})")
    if obj["checker"] not in CHECKERS:
        raise UserError(f"{where}: field 'checker' is '{obj['checker']}', expected one of {', '.join(CHECKERS)}")
    if "task" in obj and (not isinstance(obj["task"], str) or not obj["task"].strip()):
        raise UserError(f"{where}: field 'task' must be a non-empty string")
    labels = _strings(obj["labels"], where, "labels") if "labels" in obj else ()
    item = BenchmarkItem(
        **{k: obj[k] for k in REQUIRED},
        references=_strings(obj["references"], where, "references") if "references" in obj else (),
        choices=_strings(obj["choices"], where, "choices") if "choices" in obj else (),
        labels=labels,
        aliases=_aliases(obj["aliases"], labels, where) if "aliases" in obj else {},
        task=obj.get("task", ""),
    )
    _check_consistent(item, where)
    return item


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
