"""The optional `judge` checker: a pool model grades free-form answers, through the normal call path."""

from __future__ import annotations

import json

import pytest

from routemoa.cli import main
from routemoa.errors import UserError
from routemoa.eval.checkers import JudgeError, grade_async, make_judge
from routemoa.eval.checkers.judge import parse_verdict
from routemoa.pool import load_pool
from routemoa.providers import CallSettings

SETTINGS = CallSettings(temperature=0.0, max_tokens=64, timeout_s=5.0)
ITEM = {
    "checker": "judge",
    "question": "Why is the sky blue?",
    "reference": "Rayleigh scattering of sunlight",
    "references": ["short wavelengths scatter more"],
}


@pytest.mark.parametrize(
    "reply, score",
    [('{"correct": true}', 1.0), ('```json\n{"correct": false}\n```', 0.0), ("CORRECT", 1.0), ("**Incorrect**", 0.0)],
)
def test_parse_verdict(reply, score):
    assert parse_verdict(reply) == score


def test_parse_verdict_unreadable_is_an_error():
    with pytest.raises(JudgeError, match="no verdict"):
        parse_verdict("It depends.")


async def test_judge_grades_with_the_prompt_and_unwrapped_answer(fake_pool, scripts):
    pool = load_pool(fake_pool(["grader"]))
    scripts["grader"].reply = lambda prompt: (
        '{"correct": true}' if "scattering" in prompt.split("Answer to grade:")[1] else '{"correct": false}'
    )
    judge = make_judge(pool.get("grader"), SETTINGS)
    right = '{"answer": "Because of Rayleigh scattering: blue light scatters most.", "self_score": 0.9}'
    assert await grade_async(ITEM, right, judge) == 1.0
    assert await grade_async(ITEM, "Because it reflects the ocean.", judge) == 0.0
    prompt = scripts["grader"].calls[0]
    assert "Why is the sky blue?" in prompt and "- short wavelengths scatter more" in prompt
    assert "self_score" not in prompt  # the judge sees the unwrapped answer
    assert await grade_async(ITEM, "", judge) == 0.0 and len(scripts["grader"].calls) == 2  # empty: no call


async def test_judge_failures_raise_and_non_judge_items_never_call_it(fake_pool, scripts):
    pool = load_pool(fake_pool(["grader"]))
    scripts["grader"].error = RuntimeError("provider down")
    judge = make_judge(pool.get("grader"), SETTINGS)
    with pytest.raises(JudgeError, match="provider down"):
        await grade_async(ITEM, "an answer", judge)
    assert await grade_async({"checker": "gsm8k", "reference": "#### 4"}, "#### 4", judge) == 1.0
    assert len(scripts["grader"].calls) == 1
    with pytest.raises(UserError, match="needs a judge model"):
        await grade_async(ITEM, "an answer")


def test_eval_run_with_judge_caches_the_verdict(fake_pool, fixed_prior, scripts, tmp_path, capsys):
    pool = fake_pool(["a", "grader"])
    fixed_prior({"a": 0.9, "grader": 0.1})
    scripts["a"].reply = "Rayleigh scattering."
    scripts["grader"].reply = '{"correct": true}'
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({**ITEM, "id": "sky"}) + "\n")
    out = tmp_path / "out"
    argv = [
        "eval",
        "run",
        "--benchmark",
        str(bench),
        "--methods",
        "single:a",
        "--pool",
        pool,
        "--out",
        str(out),
        "--json",
        "--quiet",
        "--judge",
        "grader",
    ]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["accuracy"] == 1.0 and len(scripts["grader"].calls) == 1
    pending, cached = (json.loads(line) for line in (out / "results.jsonl").read_text().splitlines())
    assert pending["pending"] is True and "score" not in pending and pending["answer"] == "Rayleigh scattering."
    assert cached["score"] == 1.0 and cached["task"] == "judge" and "pending" not in cached
    assert main(argv) == 0 and len(scripts["grader"].calls) == 1  # resumed: the judge is not asked again
    assert main(argv[:-2]) == 2
    assert "--judge MODEL" in capsys.readouterr().err
    assert main(argv[:-1] + ["nobody"]) == 2
    assert "--judge: 'nobody' is not a pool model" in capsys.readouterr().err


def test_a_failed_grading_is_retried_without_running_the_method_again(
    fake_pool, fixed_prior, scripts, tmp_path, capsys
):
    pool = fake_pool(["a", "grader"])
    fixed_prior({"a": 0.9, "grader": 0.1})
    scripts["a"].reply = "Rayleigh scattering."
    scripts["grader"].error = RuntimeError("judge down")
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({**ITEM, "id": "sky"}) + "\n")
    out = tmp_path / "out"
    argv = ["eval", "run", "--benchmark", str(bench), "--methods", "single:a", "--pool", pool, "--out", str(out)]
    argv += ["--json", "--quiet", "--judge", "grader"]
    assert main(argv) == 1  # one item left ungraded
    assert "judge down" in capsys.readouterr().err and len(scripts["a"].calls) == 1
    scripts["grader"].error = None
    scripts["grader"].reply = '{"correct": true}'
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)[0]["accuracy"] == 1.0
    assert len(scripts["a"].calls) == 1 and len(scripts["grader"].calls) == 2  # graded again, not run again
