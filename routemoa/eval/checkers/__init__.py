"""Answer checkers: how right is a model's answer to a benchmark item?

`grade(item, answer) -> float` in [0, 1] is the one entry point (correct at >= 0.5).
It first unwraps a JSON-wrapped reply (`{"answer": ...}`, fenced or not), then runs
the item's checker. One module per family: `numeric` (math, gsm8k, with
`equivalence` on math-verify), `choice`, `label`, `text` (exact, short_answer, rouge),
`code`, `judge` (model-graded, async only: `grade_async`); `unwrap` for JSON replies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from routemoa.errors import UserError
from routemoa.eval.checkers.choice import check_choice, choice_letter
from routemoa.eval.checkers.code import check_code, extract_code, run_program
from routemoa.eval.checkers.judge import Judge, JudgeError, make_judge
from routemoa.eval.checkers.label import check_label, committed_label
from routemoa.eval.checkers.numeric import check_gsm8k, check_math, final_math_answers, gsm8k_final_number
from routemoa.eval.checkers.text import check_exact, check_rouge, check_short_answer, normalize
from routemoa.eval.checkers.unwrap import unwrap_answer

PASS_MARK = 0.5
"""An answer counts as correct when its grade is at least this."""

CHECKERS: dict[str, Callable[[dict, str], float] | None] = {
    "math": check_math,
    "gsm8k": check_gsm8k,
    "choice": check_choice,
    "label": check_label,
    "short_answer": check_short_answer,
    "exact": check_exact,
    "normalized": check_exact,
    "rouge": check_rouge,
    "code": check_code,
    "judge": None,  # model-graded: grade_async with a judge
}


def _checker(item: dict):
    kind = item.get("checker")
    if kind not in CHECKERS:
        raise UserError(f"unknown checker '{kind}' (known: {', '.join(CHECKERS)})")
    return CHECKERS[kind]


def grade(item: dict, answer: str) -> float:
    """Score in [0, 1] of `answer` for a benchmark item (a dict with at least `checker` and `reference`)."""
    checker = _checker(item)
    if checker is None:
        raise UserError("checker 'judge' needs a judge model: use grade_async(..., judge=...) (CLI: --judge MODEL)")
    text = unwrap_answer(answer or "")
    if not text.strip():
        return 0.0
    return min(1.0, max(0.0, float(checker(item, text))))


async def grade_async(item: dict, answer: str, judge: Judge | None = None) -> float:
    """`grade` off the event loop (in a worker thread); `judge` items are graded by the judge model."""
    if _checker(item) is not None:
        return await asyncio.to_thread(grade, item, answer)
    if judge is None:
        raise UserError("checker 'judge' needs a judge model (routemoa eval run --judge MODEL)")
    text = unwrap_answer(answer or "")
    return await judge(item, text) if text.strip() else 0.0


def check(kind: str, answer: str, reference: str) -> bool:
    """Old entry point: is `answer` right for a one-reference item of checker `kind`?"""
    return grade({"checker": kind, "reference": reference}, answer) >= PASS_MARK


__all__ = [
    "CHECKERS",
    "PASS_MARK",
    "Judge",
    "JudgeError",
    "check",
    "check_choice",
    "check_code",
    "check_exact",
    "check_gsm8k",
    "check_label",
    "check_math",
    "check_rouge",
    "check_short_answer",
    "choice_letter",
    "committed_label",
    "extract_code",
    "final_math_answers",
    "grade",
    "grade_async",
    "gsm8k_final_number",
    "make_judge",
    "normalize",
    "run_program",
    "unwrap_answer",
]
