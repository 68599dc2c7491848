"""max_usd: the expected cost of a layer / of the aggregation, and the graph stopping before it passes the budget."""

from __future__ import annotations

import json

import pytest

from routemoa.budget import OVER_BUDGET, check_budget, expected_call_usd, prompt_tokens, spent_usd
from routemoa.context import Context
from routemoa.runner import run_query
from routemoa.spec import ModelSpec
from tests.fakes import is_aggregation

SPEC = ModelSpec(name="m", provider="fake", description="d", input_price=1.0, output_price=4.0)


def test_expected_call_cost_counts_the_prompt_and_every_allowed_answer_token():
    assert prompt_tokens(0) == 1 and prompt_tokens(4) == 1 and prompt_tokens(5) == 2
    assert expected_call_usd(SPEC, prompt_chars=400, max_tokens=50) == pytest.approx((100 * 1.0 + 50 * 4.0) / 1e6)
    assert spent_usd([{"usd": 0.25}, {"usd": 0.5}]) == 0.75 and spent_usd([]) == 0


def test_check_budget():
    assert check_budget(0.0, spent=5.0, expected=5.0).fits  # 0 = no budget
    assert check_budget(1.0, spent=0.4, expected=0.6).fits
    check = check_budget(1.0, spent=0.5, expected=0.6)
    assert not check.fits and check.details() == {"max_usd": 1.0, "spent_usd": 0.5, "expected_usd": 0.6}
    assert check.reason("layer 2 (a)") == (
        "layer 2 (a) would pass the budget: expected $0.600000 + spent $0.500000 vs max_usd $1.000000"
    )


@pytest.fixture
def pool(fake_pool, fixed_prior, scripts):
    """Two answering models (calls cost $0.00012 each: 100 in, 10 out) and a pricey aggregator."""
    path = fake_pool(["a", "b", "judge"], prices={"judge": (50.0, 500.0)})
    fixed_prior({"a": 0.3, "b": 0.2, "judge": 0.1})
    scripts["judge"].reply = "the aggregate"
    return path


def ctx(pool: str, max_usd: float, **knobs) -> Context:
    knobs = {
        "top_k": 2,
        "tolerance": 0.2,
        "max_layers": 3,
        "threshold": 0.99,
        "max_tokens": 64,
        "aggregator": "a",
        **knobs,
    }
    return Context(pool=pool, max_usd=max_usd, **knobs)


async def test_no_budget_runs_every_layer(pool, scripts):
    scripts["a"].reply = lambda p: "final" if is_aggregation(p) else '{"answer": "42", "self_score": 0.5}'
    out = await run_query("q", ctx(pool, 0.0))
    assert [e["decision"] for e in out["trace"]] == ["next_layer", "next_layer", "max_layers"]
    assert out["bill"]["calls"] == 7 and out["answer"] == "final" and out["bill"]["budget_stop"] is None


@pytest.mark.parametrize("max_usd", [0.0002, 0.0005, 0.0008, 0.0009, 0.0011])
async def test_the_run_stays_within_the_budget_and_says_where_it_stopped(pool, scripts, max_usd):
    scripts["a"].reply = lambda p: "final" if is_aggregation(p) else '{"answer": "42", "self_score": 0.5}'
    out = await run_query("q", ctx(pool, max_usd))
    trace, bill = out["trace"], out["bill"]
    assert bill["total_usd"] <= max_usd
    ran = [e["layer"] for e in trace if e["models"]]
    aggregated = out["answer"] == "final"
    assert bill["calls"] == 2 * len(ran) + aggregated
    stops = [e for e in trace if e["decision"] == OVER_BUDGET]
    if stops:  # a layer did not start: it is the last entry, with the figures that stopped it
        stop = trace[-1]
        assert stops == [stop] and stop["models"] == [] and stop["budget"]["models"] == ["a", "b"]
        assert ran == list(range(1, stop["layer"]))
        assert stop["budget"]["spent_usd"] == pytest.approx(bill["total_usd"] - aggregated * 0.00012)
        assert stop["budget"]["spent_usd"] + stop["budget"]["expected_usd"] > max_usd
        assert bill["budget_stop"] == {
            "step": f"layer {stop['layer']}",
            **{k: v for k, v in stop["budget"].items() if k != "models"},
        }
    else:
        assert ran == [1, 2, 3]
        assert bill["budget_stop"] is None or bill["budget_stop"]["step"] == "aggregation"
    if ran and not aggregated:
        assert trace[-1]["aggregation"]["decision"] == OVER_BUDGET and out["answer"] == "42"
    if not ran:  # not even layer 1 fits: no call at all, and the error says why
        assert scripts["a"].calls == [] and out["answer"] == ""
        assert out["error"].startswith("no answer within the budget: layer 1 (a, b) would pass the budget")
    else:
        assert out["error"] is None


async def test_more_budget_never_buys_fewer_calls(pool, scripts):
    budgets = (0.0002, 0.0004, 0.0006, 0.0008, 0.0009, 0.001, 0.0015)
    calls = [(await run_query("q", ctx(pool, usd)))["bill"]["calls"] for usd in budgets]
    assert calls == sorted(calls) and calls[0] == 0 and calls[-1] == 7, calls


async def test_an_aggregator_over_budget_is_not_called(pool, scripts):
    out = await run_query("q", ctx(pool, 0.002, aggregator="judge", max_layers=1))
    assert scripts["judge"].calls == [] and out["bill"]["calls"] == 2
    aggregation = out["trace"][-1]["aggregation"]
    assert aggregation["decision"] == OVER_BUDGET and aggregation["model"] is None
    assert (
        aggregation["reason"].startswith("aggregation by judge would pass the budget")
        and "returned a's answer" in aggregation["reason"]
    )
    assert out["answer"] == "42" and out["error"] is None
    assert out["bill"]["budget_stop"] == {"step": "aggregation", **aggregation["budget"]}
    out = await run_query("q", ctx(pool, 1.0, aggregator="judge", max_layers=1))
    assert out["answer"] == "the aggregate" and len(scripts["judge"].calls) == 1


def test_an_smoa_layer_counts_its_judge_call(pool):
    from routemoa.layer_plan import layer_expected_usd
    from routemoa.pool import load_pool
    from routemoa.state import AgentTask

    def tasks(method: str, names: list[str]) -> list[AgentTask]:
        return [
            AgentTask(
                method=method,
                model=n,
                layer=1,
                question="q",
                history=[],
                previous_answers=[],
                plain=True,
                system_prompt=None,
            )
            for n in names
        ]

    specs, ctx = load_pool(pool), Context(pool=pool, judge_keep=2, max_tokens=64, aggregator="judge")
    judge = layer_expected_usd(tasks("smoa", ["a", "b", "judge"]), specs, ctx) - layer_expected_usd(
        tasks("moa", ["a", "b", "judge"]), specs, ctx
    )
    assert judge > 500 * 64 / 1e6  # the judge's answer tokens at its output price, at least
    assert layer_expected_usd(tasks("smoa", ["a", "b"]), specs, ctx) == layer_expected_usd(
        tasks("moa", ["a", "b"]), specs, ctx
    )


def test_cli_budget_flag(pool, capsys):
    from routemoa.cli import main

    assert main(["ask", "q", "--pool", pool, "--max-usd", "0.00001", "--json", "--quiet"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["bill"]["calls"] == 0 and out["error"].startswith("no answer within the budget: layer 1")
    assert main(["ask", "q", "--pool", pool, "--max-usd", "-1"]) == 2
    assert "max_usd must be >= 0" in capsys.readouterr().err
