"""The typed contracts: runs produce exactly the shapes of routemoa/contracts.py, a new run starts from
fresh state (state.new_run), and no node module imports another."""

from __future__ import annotations

import ast
import json
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from langgraph.checkpoint.memory import InMemorySaver
from typing_extensions import get_type_hints, is_typeddict

import routemoa.nodes
from routemoa.context import Context
from routemoa.contracts import Bill, LayerDone, LayerStart, TraceEntry
from routemoa.graph import build_graph
from routemoa.methods import SMoAContext
from routemoa.runner import run_query
from routemoa.state import CARRIED_OVER, AgentRecord, State, new_run
from tests.fakes import is_aggregation


def mismatches(value: Any, tp: Any, where: str = "value") -> list[str]:
    """Where `value` departs from the type `tp` (TypedDicts: no missing required key, no unknown key)."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any:
        return []
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not a dict"]
        hints = get_type_hints(tp)
        found = [f"{where}: no '{k}'" for k in sorted(tp.__required_keys__ - value.keys())]
        found += [f"{where}: unknown key '{k}'" for k in sorted(value.keys() - hints.keys())]
        for key in sorted(value.keys() & hints.keys()):
            found += mismatches(value[key], hints[key], f"{where}.{key}")
        return found
    if origin is Literal:
        return [] if value in args else [f"{where}: {value!r} is not one of {args}"]
    if origin in (Union, types.UnionType):
        return [] if any(not mismatches(value, a, where) for a in args) else [f"{where}: {value!r} is not {tp}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not a list"]
        return [m for i, item in enumerate(value) for m in mismatches(item, args[0], f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not a dict"]
        return [
            m for k, v in value.items() for m in mismatches(k, args[0], where) + mismatches(v, args[1], f"{where}[{k}]")
        ]
    if tp is type(None):
        return [] if value is None else [f"{where}: {value!r} is not None"]
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not a number"]
    return (
        []
        if isinstance(value, tp) and not (tp is int and isinstance(value, bool))
        else [f"{where}: {value!r} is not {tp}"]
    )


def check_run(out: dict, events: list[dict]) -> None:
    """Every boundary value of a finished run has its contract's shape."""
    problems = mismatches(out["bill"], Bill, "bill")
    problems += [m for i, e in enumerate(out["trace"]) for m in mismatches(e, TraceEntry, f"trace[{i}]")]
    kinds = {"layer_start": LayerStart, "layer_done": LayerDone}
    problems += [m for i, e in enumerate(events) for m in mismatches(e, kinds[e["event"]], f"event[{i}]")]
    assert not problems, problems
    assert "aggregation" in out["trace"][-1]


def test_the_checker_catches_a_departure():
    entry = {"layer": 1, "models": [], "scores": {}, "errors": {}, "decision": "next_layer", "reason": "r"}
    assert mismatches(entry, TraceEntry) == []
    assert [m.split(":")[0] for m in mismatches({**entry, "decision": "maybe"}, TraceEntry)] == ["value.decision"]
    assert mismatches({**entry, "layer": "1"}, TraceEntry) == ["value.layer: '1' is not <class 'int'>"]
    assert mismatches({**entry, "extra": 1}, TraceEntry) == ["value: unknown key 'extra'"]
    assert mismatches({k: v for k, v in entry.items() if k != "reason"}, TraceEntry) == ["value: no 'reason'"]


def scored(answer: str, self_score: float, peers: int) -> str:
    body: dict[str, Any] = {"answer": answer, "self_score": self_score}
    if peers:
        body["peer_scores"] = [0.5] * peers
    return json.dumps(body)


async def test_a_routemoa_run_with_aggregation_follows_the_contracts(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "c"])
    fixed_prior({"a": 0.5, "b": 0.4, "c": 0.3})
    scripts["a"].reply = lambda p: "final" if is_aggregation(p) else scored("4", 0.6, p.count("[ANSWER_") // 2)
    scripts["b"].reply = lambda p: scored("4", 0.5, p.count("[ANSWER_") // 2)
    scripts["c"].reply = ""  # an empty reply: an error record
    events: list[dict] = []
    out = await run_query(
        "2+2?", Context(pool=pool, top_k=3, tolerance=1.0, max_layers=2, threshold=0.99), on_event=events.append
    )
    assert [e["decision"] for e in out["trace"]] == ["next_layer", "max_layers"] and out["answer"] == "final"
    assert out["trace"][0]["errors"] == {"c": "empty answer"} and out["trace"][-1]["aggregation"]["model"] == "a"
    check_run(out, events)
    roles = {r["role"] for r in out["records"]}
    assert roles == {"agent", "aggregator"}
    assert not [m for r in out["records"] for m in mismatches(r, AgentRecord, "record")]


async def test_an_smoa_run_and_its_judge_follow_the_contracts(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b", "c"])
    fixed_prior({"a": 0.5, "b": 0.4, "c": 0.3})
    scripts["a"].reply = lambda p: json.dumps({"keep": [1], "stop": False}) if "As the judge" in p else "A"
    events: list[dict] = []
    out = await run_query(
        "q", SMoAContext(pool=pool, max_layers=2, judge_keep=1), graph=build_graph("smoa"), on_event=events.append
    )
    assert out["trace"][0]["kept"] == ["b"]
    check_run(out, events)
    assert "judge" in {r["role"] for r in out["records"]}
    assert not [m for r in out["records"] for m in mismatches(r, AgentRecord, "record")]


async def test_a_budget_stop_follows_the_contracts(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b"])
    fixed_prior({"a": 0.5, "b": 0.4})
    scripts["a"].reply = scripts["b"].reply = scored("42", 0.5, 0)
    events: list[dict] = []
    context = Context(pool=pool, top_k=2, tolerance=1.0, max_layers=3, threshold=0.99, max_tokens=64, max_usd=0.0005)
    out = await run_query("q", context, on_event=events.append)
    assert out["trace"][-1]["decision"] == "over_budget" and out["bill"]["budget_stop"]["step"].startswith("layer")
    check_run(out, events)


def test_new_run_resets_every_state_key_but_the_carried_over_ones():
    keys = State.__required_keys__ | State.__optional_keys__
    fresh = new_run("routemoa", "q", 1.0, {"a": 0.5}, {"a": "trained"})
    assert set(CARRIED_OVER) <= keys
    assert set(fresh) == keys - set(CARRIED_OVER), "a State key a run writes needs a fresh value in new_run"
    assert fresh["fused"] == fresh["prior"] and fresh["fused"] is not fresh["prior"]


async def test_a_second_run_on_a_thread_starts_from_fresh_state(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b"])
    fixed_prior({"a": 0.5, "b": 0.4})
    scripts["a"].reply = lambda p: "final" if is_aggregation(p) else scored("4", 0.5, p.count("[ANSWER_") // 2)
    scripts["b"].reply = lambda p: scored("4", 0.5, p.count("[ANSWER_") // 2)
    graph = build_graph(checkpointer=InMemorySaver())
    knobs = dict(pool=pool, top_k=2, tolerance=1.0, threshold=0.99)
    first = await run_query("q1", Context(max_layers=2, **knobs), graph=graph, thread_id="t")
    second = await run_query("q2", Context(max_layers=1, **knobs), graph=graph, thread_id="t")
    assert first["bill"]["calls"] == 5 and len(first["trace"]) == 2
    assert second["bill"]["calls"] == 3 and len(second["trace"]) == 1 and len(second["records"]) == 3
    state = (await graph.aget_state({"configurable": {"thread_id": "t"}})).values
    assert state["question"] == "q2" and state["layer"] == 1 and len(state["messages"]) == 4


def test_no_node_module_imports_another():
    folder = Path(routemoa.nodes.__file__).parent
    nodes = {f"routemoa.nodes.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__"}
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = (
                    "routemoa.nodes" + (f".{node.module}" if node.module else "") if node.level else node.module or ""
                )
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found += [f"{path.name} imports {n}" for n in names if n in nodes or n == "routemoa.nodes"]
    assert nodes and found == []
