"""A liar cannot buy the answer: three honest models and one liar (tests/liar_models.py), bounded runs.

The full harness on a loopback HTTP server is benchmarks/liar_pool.py. Before the robust
cross-assessment the liar's answer was final, and its score forced the early exit, in 60/60 runs;
the honest pool alone made 7 calls per run (4 with priors high enough to stop after layer 1).
"""

from __future__ import annotations

import re

import pytest

from routemoa.context import Context
from routemoa.runner import run_query
from tests import fakes
from tests.liar_models import HONEST, LIAR, correct_sum, is_correct, questions, reply_for

RUNS = 12


def install(scripts, names):
    for name in names:
        scripts[name] = fakes.Script(reply=lambda prompt, name=name: reply_for(name, prompt))


def exit_author(entry: dict) -> str | None:
    found = re.match(r"(\S+) fused", entry["reason"])
    return found.group(1) if entry["decision"] == "early_exit" and found else None


@pytest.mark.parametrize("prior", [0.56, 0.85])
async def test_liar_cannot_buy_the_answer(tmp_path, fixed_prior, scripts, prior):
    names = [*HONEST, LIAR]
    install(scripts, names)
    pool = fakes.write_pool(tmp_path / "pool.yaml", names)
    fixed_prior({n: prior for n in names})
    liar_final = liar_exits = exits = 0
    for question in questions(RUNS):
        out = await run_query(question, Context(pool=pool, top_k=4))
        assert is_correct(question, out["answer"]), out["trace"]
        liar_final += str(correct_sum(question) + 1) in out["answer"]
        found = [exit_author(e) for e in out["trace"] if e["decision"] == "early_exit"]
        exits += len(found)
        liar_exits += found.count(LIAR)
        assert out["trace"][-1]["aggregation"].get("model") != LIAR
    assert liar_final == 0 and liar_exits == 0 and exits == RUNS


@pytest.mark.parametrize("prior, calls_before", [(0.56, 7), (0.85, 4)])
async def test_honest_pool_keeps_its_answers_and_calls(tmp_path, fixed_prior, scripts, prior, calls_before):
    install(scripts, HONEST)
    pool = fakes.write_pool(tmp_path / "pool.yaml", list(HONEST))
    fixed_prior({n: prior for n in HONEST})
    for question in questions(RUNS):
        out = await run_query(question, Context(pool=pool, top_k=4))
        assert is_correct(question, out["answer"])
        assert out["bill"]["calls"] == calls_before
