"""The RouteMoA graph end to end on deterministic fake models."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from langchain_core.messages import AIMessage

from routemoa.context import Context
from routemoa.graph import build_graph
from routemoa.runner import run_query
from tests.fakes import is_aggregation


def reply(answer: str, self_score=None, peers=None) -> str:
    body = {"answer": answer}
    if self_score is not None:
        body["self_score"] = self_score
    if peers is not None:
        body["peer_scores"] = peers
    return json.dumps(body)


def layer_models(out, layer):
    return [m["name"] for m in out["trace"][layer - 1]["models"]]


def calls(out):
    return out["bill"]["calls"]


async def test_early_exit_after_layer_one(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "c"])
    fixed_prior({"a": 0.9, "b": 0.6, "c": 0.4})  # only a is within the tolerance band: it answers alone
    scripts["a"].reply = reply("4", 1.0)
    out = await run_query("2+2?", Context(pool=pool, top_k=2, max_layers=3))
    assert len(out["trace"]) == 1
    assert out["trace"][0]["decision"] == "early_exit"
    assert layer_models(out, 1) == ["a"]
    assert scripts["b"].calls == [] and scripts["c"].calls == []
    assert out["answer"] == "4"
    assert calls(out) == 1  # one answer: no aggregation
    assert isinstance(out["messages"][-1], AIMessage) and out["messages"][-1].content == "4"
    assert out["trace"][0]["scores"]["a"]["fused"] == pytest.approx(0.9 * 0.9 + 0.1 * 1.0)


async def test_early_exit_needs_another_model_to_back_the_answer(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "c"])
    fixed_prior({"a": 0.9, "b": 0.8, "c": 0.4})

    def a_reply(prompt):
        if is_aggregation(prompt):
            return "final"
        return reply("4", 1.0, [1.0, 0.0]) if "ANSWER_0" in prompt else reply("4", 1.0)

    scripts["a"].reply = a_reply
    scripts["b"].reply = lambda p: reply("4", 0.9, [1.0, 0.1]) if "ANSWER_0" in p else reply("5", 0.2)
    out = await run_query("2+2?", Context(pool=pool, top_k=2, max_layers=3))
    # a's fused score passes the threshold after layer 1, but nobody else has scored its answer yet
    assert out["trace"][0]["scores"]["a"]["fused"] > 0.76
    assert out["trace"][0]["decision"] == "next_layer" and "backed" in out["trace"][0]["reason"]
    # in layer 2, b scores a's answer 1.0 (a's score of its own answer is ignored): now it may stop
    assert out["trace"][1]["decision"] == "early_exit" and out["trace"][1]["reason"].startswith("a fused")
    assert out["trace"][1]["assessors"] == ["a", "b"] and out["trace"][1]["scores"]["b"]["cross"] == 0.0
    assert out["answer"] == "final" and calls(out) == 2 + 2 + 1
    assert scripts["c"].calls == []


async def test_full_run_to_max_layers(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b"])
    fixed_prior({"a": 0.3, "b": 0.2})
    out = await run_query("q", Context(pool=pool, top_k=2, max_layers=3, threshold=0.99))
    assert [e["decision"] for e in out["trace"]] == ["next_layer", "next_layer", "max_layers"]
    assert calls(out) == 2 * 3 + 1
    # layer 2 sees layer 1's answers; the last layer answers in plain text
    assert "ANSWER_0" in scripts["a"].calls[1] and "peer_scores" in scripts["a"].calls[1]
    assert "ANSWER_1" in scripts["a"].calls[2] and "peer_scores" not in scripts["a"].calls[2]


async def test_cross_assessment_changes_who_runs_next(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "c", "d"])
    fixed_prior({"a": 0.6, "b": 0.58, "c": 0.5, "d": 0.3})

    def b_reply(prompt):
        # in layer 2, b scores a's answer 0 (and its own 1, which is ignored)
        return reply("B", 0.9, [0.0, 1.0]) if "ANSWER_0" in prompt else reply("B", 0.5)

    scripts["a"].reply = lambda p: reply("A", 0.5, [1.0, 1.0]) if "ANSWER_0" in p else reply("A", 0.5)
    scripts["b"].reply = b_reply
    ctx = Context(pool=pool, top_k=2, max_layers=3, threshold=0.95, tolerance=0.5)
    out = await run_query("q", ctx)
    assert layer_models(out, 1) == ["a", "b"]
    assert layer_models(out, 2) == ["a", "b"]
    assert sorted(out["trace"][1]["assessors"]) == ["a", "b"]
    scores = out["trace"][1]["scores"]
    assert scores["a"]["cross"] == 0.0 and scores["b"]["cross"] == 1.0  # nobody's score of its own answer counts
    assert scores["a"]["self_cap"] == pytest.approx(0.3)  # a claimed 0.5, its peer gave 0.0: capped at 0 + margin
    assert layer_models(out, 3) == ["b", "c"]  # a demoted by the cross-assessment, c promoted

    scripts["a"].calls.clear()
    no_cross = await run_query("q", replace(ctx, cross_assessment=False))
    assert "a" in layer_models(no_cross, 3)


async def test_model_absent_from_layer_one_is_promoted(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "c"])
    fixed_prior({"a": 0.6, "b": 0.55, "c": 0.5})
    scripts["a"].reply = reply("A", 0.0)
    scripts["b"].reply = reply("B", 0.0)
    out = await run_query("q", Context(pool=pool, top_k=2, max_layers=2))
    assert layer_models(out, 1) == ["a", "b"]
    assert "c" in layer_models(out, 2)
    assert len(scripts["c"].calls) == 1 and "ANSWER_0" in scripts["c"].calls[0]


async def test_malformed_json_is_handled(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b"])
    fixed_prior({"a": 0.9, "b": 0.8})
    scripts["a"].reply = lambda p: (
        "merged" if is_aggregation(p) else "Sure!\n```json\n{'answer': 'x', 'self_score': 'high',}\n```"
    )
    scripts["b"].reply = '{"answer": "y", "self_score": NaN'
    out = await run_query("q", Context(pool=pool, top_k=2, max_layers=1))
    scores = out["trace"][0]["scores"]
    # the answers are read, but a scored reply without a readable self score costs the failure penalty
    assert scores["a"]["self"] is None and scores["b"]["self"] is None
    assert scores["a"]["fused"] == pytest.approx(0.9 * 0.5) and scores["b"]["fused"] == pytest.approx(0.8 * 0.5)
    assert out["answer"] == "merged" and not out["trace"][0]["errors"]


async def test_provider_error_and_timeout_degrade_not_crash(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "c"])
    fixed_prior({"a": 0.9, "b": 0.8, "c": 0.7})
    scripts["a"].error = ConnectionError("endpoint down")
    scripts["b"].delay = 5.0
    scripts["c"].reply = reply("C", 0.9)
    started = time.perf_counter()
    out = await run_query("q", Context(pool=pool, top_k=3, max_layers=1, call_timeout_s=0.3))
    assert time.perf_counter() - started < 3.0
    errors = out["trace"][0]["errors"]
    assert errors["a"].startswith("ConnectionError: endpoint down")
    assert errors["b"] == "timeout after 0.3s"
    assert out["answer"] == "C" and out["error"] is None
    assert out["trace"][0]["scores"]["a"]["fused"] == pytest.approx(0.9 * 0.5)  # failure penalty
    assert out["bill"]["models"]["a"]["failed_calls"] == 1


async def test_every_model_failing_ends_with_an_error_not_an_exception(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b"])
    fixed_prior({"a": 0.9, "b": 0.8})
    scripts["a"].error = RuntimeError("boom")
    scripts["b"].error = ValueError("bad key")
    out = await run_query("q", Context(pool=pool, top_k=2, max_layers=2))
    assert out["answer"] == ""
    assert "every model failed" in out["error"] and "boom" in out["error"] and "bad key" in out["error"]
    assert out["messages"][-1].content.startswith("RouteMoA could not answer")
    assert [e["decision"] for e in out["trace"]] == ["all_failed"]
    assert out["bill"]["calls"] == 2 and out["bill"]["models"]["a"]["failed_calls"] == 1


async def test_aggregator_failure_falls_back_to_best_answer(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b"])
    fixed_prior({"a": 0.9, "b": 0.8})

    def a_reply(prompt):
        if is_aggregation(prompt):
            raise RuntimeError("aggregator exploded")
        return reply("best", 1.0)

    scripts["a"].reply = a_reply
    scripts["b"].reply = reply("other", 0.1)
    out = await run_query("q", Context(pool=pool, top_k=2, max_layers=1))
    assert out["answer"] == "best"
    aggregation = out["trace"][-1]["aggregation"]
    assert aggregation["fallback"] is True and "aggregator exploded" in aggregation["reason"]


async def test_configured_aggregator_is_used(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "judge"])
    fixed_prior({"a": 0.9, "b": 0.8, "judge": 0.1})
    scripts["judge"].reply = "judged"
    out = await run_query("q", Context(pool=pool, top_k=2, max_layers=1, aggregator="judge"))
    assert out["answer"] == "judged" and out["trace"][-1]["aggregation"]["model"] == "judge"


async def test_bill_arithmetic(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b"], prices={"a": (1.0, 2.0), "b": (3.0, 4.0)})
    fixed_prior({"a": 0.9, "b": 0.8})
    scripts["a"].input_tokens, scripts["a"].output_tokens = 1000, 100
    scripts["b"].input_tokens, scripts["b"].output_tokens = 2000, 50
    out = await run_query("q", Context(pool=pool, top_k=2, max_layers=1))
    bill = out["bill"]
    a_call = (1000 * 1.0 + 100 * 2.0) / 1e6
    b_call = (2000 * 3.0 + 50 * 4.0) / 1e6
    assert bill["models"]["b"]["usd"] == pytest.approx(b_call)
    # a answers and (as the best-ranked model) aggregates
    assert bill["models"]["a"]["calls"] == 2 and bill["models"]["a"]["usd"] == pytest.approx(2 * a_call)
    assert bill["total_usd"] == pytest.approx(2 * a_call + b_call)
    assert bill["input_tokens"] == 4000 and bill["output_tokens"] == 250 and bill["calls"] == 3
    assert bill["wall_s"] > 0


async def test_layer_runs_models_concurrently(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "c"])
    fixed_prior({"a": 0.9, "b": 0.8, "c": 0.7})
    for name in "abc":
        scripts[name].delay = 0.3
        scripts[name].reply = reply(name, 0.1)
    out = await run_query("q", Context(pool=pool, top_k=3, max_layers=1))
    layer = [scripts[name].intervals[0] for name in "abc"]  # each model's layer-1 call
    assert all(end - start >= 0.3 for start, end in layer)
    assert max(start for start, _ in layer) < min(end for _, end in layer), "the three calls did not overlap"
    layer_wall = max(end for _, end in layer) - min(start for start, _ in layer)
    assert layer_wall < 0.9, f"a layer of three 0.3 s calls took {layer_wall:.2f} s"
    assert out["bill"]["calls"] == 4


async def test_thread_keeps_history(fake_pool, fixed_prior, scripts):
    from langgraph.checkpoint.memory import InMemorySaver

    pool = fake_pool(["a"])
    fixed_prior({"a": 0.9})
    graph = build_graph(checkpointer=InMemorySaver())
    ctx = Context(pool=pool, top_k=1, max_layers=1)
    first = await run_query("my name is Ada", ctx, graph=graph, thread_id="t1")
    second = await run_query("what is my name?", ctx, graph=graph, thread_id="t1")
    assert len(first["messages"]) == 2 and len(second["messages"]) == 4
    assert "my name is Ada" in scripts["a"].calls[-1]
    assert len(second["trace"]) == 1 and second["bill"]["calls"] == 1  # per-run state was reset


async def test_failed_layer_moves_on_to_other_models(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "c"])
    fixed_prior({"a": 0.9, "b": 0.85, "c": 0.8})
    scripts["a"].error = RuntimeError("down")
    scripts["b"].error = RuntimeError("down")
    scripts["c"].reply = reply("from c", 0.4)
    out = await run_query("q", Context(pool=pool, top_k=2, max_layers=2))
    assert layer_models(out, 2) == ["c"] and out["answer"] == "from c"
    assert out["trace"][0]["reason"].startswith("every model of this layer failed")


def test_each_method_is_wired_from_its_record_and_exported_where_langgraph_json_says():
    import routemoa.graph as graph_module
    from routemoa.graph import GRAPHS
    from routemoa.methods import METHODS, graph_entries

    assert list(GRAPHS) == list(METHODS) == list(graph_entries())
    for method in METHODS.values():
        compiled = GRAPHS[method.name]
        assert getattr(graph_module, method.export) is compiled and compiled.name == method.name
        assert graph_entries()[method.name]["path"] == f"./routemoa/graph.py:{method.export}"
        assert compiled.builder.context_schema is method.context
        edges = {(e.source, e.target) for e in compiled.get_graph().edges}
        assessment = method.assessment
        assert {("agent", assessment), (assessment, "select"), (assessment, "aggregate")} <= edges
    assert "assess" not in GRAPHS["smoa"].get_graph().nodes
    assert METHODS["smoa"].judged and not METHODS["routemoa"].judged


def test_a_new_method_is_one_record(monkeypatch):
    from routemoa.methods import METHODS, Method, MoAContext

    monkeypatch.setitem(
        METHODS,
        "moa_judged",
        Method(
            name="moa_judged", description="MoA whose layers a judge closes.", context=MoAContext, assessment="judge"
        ),
    )
    built = build_graph("moa_judged")
    assert built.name == "moa_judged" and "assess" not in built.get_graph().nodes
    assert {("agent", "judge"), ("judge", "select"), ("judge", "aggregate")} <= {
        (e.source, e.target) for e in built.get_graph().edges
    }


def test_no_node_or_edge_function_hops_to_a_worker_thread():
    """LangGraph runs a sync node or edge function of an async run in a worker thread (a thread hop per
    step); every one of ours is async."""
    from routemoa.graph import GRAPHS

    for name, compiled in GRAPHS.items():
        builder = compiled.builder
        paths = [spec.path for branches in builder.branches.values() for spec in branches.values()]
        for runnable in [*paths, *(node.runnable for node in builder.nodes.values())]:
            assert runnable.func is None and runnable.afunc is not None, (name, runnable.name)
