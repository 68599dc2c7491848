"""The `judge` checker: a pool model grades whether a free-form answer is equivalent to the reference.

Optional and never a default: a benchmark item asks for it with `"checker": "judge"`
and `routemoa eval run --judge MODEL` names the pool model. The verdict is part of
the item's cached result, so a resumed run does not pay for it twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from langchain_core.messages import HumanMessage

from routemoa import prompts
from routemoa.calls import call_model
from routemoa.parsing import find_object
from routemoa.providers import CallSettings
from routemoa.spec import ModelSpec

Judge = Callable[[dict, str], Awaitable[float]]


class JudgeError(RuntimeError):
    """The judge call failed or its reply holds no verdict; the item is left ungraded (retried on rerun)."""


def parse_verdict(text: str) -> float:
    """1.0 / 0.0 from `{"correct": true|false}` (or a bare CORRECT / INCORRECT); JudgeError otherwise."""
    obj = find_object(text)
    if obj is not None and isinstance(obj.get("correct"), bool):
        return float(obj["correct"])
    words = text.strip().strip("*`.\"'").upper()
    if words in ("CORRECT", "INCORRECT"):
        return float(words == "CORRECT")
    raise JudgeError(f"judge reply has no verdict: {text[:120]!r}")


def make_judge(spec: ModelSpec, settings: CallSettings) -> Judge:
    """An async grader that asks `spec` (temperature as in `settings`) with `prompts.GRADE_EQUIVALENCE`."""

    async def judge(item: dict, answer: str) -> float:
        references = [item.get("reference") or ""] + list(item.get("references") or [])
        prompt = prompts.GRADE_EQUIVALENCE.format(
            question=item.get("question") or "",
            references="\n".join(f"- {r}" for r in references if r.strip()),
            answer=answer,
        )
        result = await call_model(spec, [HumanMessage(prompt)], settings)
        if result.error:
            raise JudgeError(f"judge {spec.name}: {result.error}")
        return parse_verdict(result.text)

    return judge
