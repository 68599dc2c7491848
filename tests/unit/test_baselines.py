"""Baselines built from the same parts: exact numbers of calls, and the ablation switches."""

from __future__ import annotations

import json

import pytest

from routemoa.context import Context
from routemoa.graph import build_graph
from routemoa.methods import METHODS, MoAContext, RandomContext, SingleContext, SMoAContext
from routemoa.runner import run_query
from tests.fakes import is_aggregation

NAMES = ["a", "b", "c", "d"]


@pytest.fixture
def pool(fake_pool, fixed_prior):
    fixed_prior({"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6})
    return fake_pool(NAMES)


def calls_by_model(scripts):
    return {name: len(s.calls) for name, s in scripts.items()}


@pytest.mark.parametrize("layers", [1, 2, 3])
async def test_moa_makes_n_times_l_plus_one_calls(pool, scripts, layers):
    out = await run_query("q", MoAContext(pool=pool, max_layers=layers), graph=build_graph("moa"))
    assert out["bill"]["calls"] == len(NAMES) * layers + 1
    assert all("self_score" not in call for s in scripts.values() for call in s.calls)  # plain answers
    assert [e["decision"] for e in out["trace"]][-1] == "max_layers"


async def test_smoa_judge_keeps_k_and_moderator_can_stop(pool, scripts):
    def judge_or_answer(prompt):
        if "As the judge" in prompt:
            return json.dumps({"keep": [2, 0], "stop": False})
        return "merged" if is_aggregation(prompt) else "A"

    scripts["a"].reply = judge_or_answer
    out = await run_query("q", SMoAContext(pool=pool, max_layers=2, judge_keep=2), graph=build_graph("smoa"))
    # n answers per layer + one judge call per layer + the aggregator
    assert out["bill"]["calls"] == len(NAMES) * 2 + 2 + 1
    assert out["trace"][0]["kept"] == ["c", "a"]
    assert out["answer"] == "merged"
    second_layer_prompt = scripts["d"].calls[1]
    assert "ANSWER_1" in second_layer_prompt and "ANSWER_2" not in second_layer_prompt
    assert any(role in scripts["d"].calls[0] for role in ("skeptical", "analyst", "expert", "teacher"))

    scripts["a"].reply = lambda p: json.dumps({"keep": [0, 1], "stop": True}) if "As the judge" in p else "A"
    stopped = await run_query("q", SMoAContext(pool=pool, max_layers=3), graph=build_graph("smoa"))
    assert [e["decision"] for e in stopped["trace"]] == ["early_exit"]
    assert stopped["bill"]["calls"] == len(NAMES) + 1 + 1


async def test_single_model_is_one_call(pool, scripts):
    out = await run_query("q", SingleContext(pool=pool, model="c"), graph=build_graph("single"))
    assert out["bill"]["calls"] == 1 and calls_by_model(scripts)["c"] == 1


async def test_random_k_is_k_plus_one_calls_and_seeded(pool, scripts):
    graph = build_graph("random_k")
    first = await run_query("q", RandomContext(pool=pool, top_k=2), graph=graph)
    again = await run_query("q", RandomContext(pool=pool, top_k=2), graph=graph)
    assert first["bill"]["calls"] == 3
    assert [m["name"] for m in first["trace"][0]["models"]] == [m["name"] for m in again["trace"][0]["models"]]


async def test_no_early_exit_ablation_runs_every_layer(pool, scripts):
    scripts["a"].reply = scripts["b"].reply = json.dumps({"answer": "A", "self_score": 1.0})
    base = dict(pool=pool, top_k=2, max_layers=3)
    assert len((await run_query("q", Context(**base)))["trace"]) == 1  # a and b give the same answer: backed
    assert len((await run_query("q", Context(**base, early_exit=False)))["trace"]) == 3


async def test_no_cost_awareness_ablation_ignores_price(fake_pool, fixed_prior, scripts):
    fixed_prior({"pricey": 0.8, "cheap": 0.8})
    pool = fake_pool(["pricey", "cheap"], prices={"pricey": (10.0, 30.0), "cheap": (0.1, 0.2)})
    aware = await run_query("q", Context(pool=pool, top_k=1, max_layers=1))
    blind = await run_query("q", Context(pool=pool, top_k=1, max_layers=1, cost_aware=False))
    assert aware["trace"][0]["models"][0]["name"] == "cheap"
    assert blind["trace"][0]["models"][0]["name"] == "pricey"


def test_every_method_has_a_graph_with_the_design_nodes():
    for method in METHODS:
        nodes = set(build_graph(method).get_graph().nodes)
        assert {"score", "select", "agent", "aggregate"} <= nodes
    assert "assess" in build_graph("routemoa").get_graph().nodes


def test_langgraph_json_exports_every_method():
    from pathlib import Path

    from routemoa.methods import graph_entries

    shipped = json.loads((Path(__file__).parents[2] / "langgraph.json").read_text())["graphs"]
    assert shipped == graph_entries()
