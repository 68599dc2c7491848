"""benchmarks/orchestration.py's "bare" baseline sends RouteMoA's own requests, on a real loopback server:
its ratios mean something only if bare makes the same calls (it once sent three scored calls more a run)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from tests.stub_openai import StubOpenAI

pytestmark = pytest.mark.integration

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "orchestration.py"


def _orchestration():
    spec = importlib.util.spec_from_file_location("orchestration_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _comparable(body: dict) -> str:
    """A request body with the random candidate markers blanked, and the aggregator's model too (RouteMoA
    picks the best-ranked one, bare the first)."""
    aggregator = "Candidate responses" in json.dumps(body["messages"])
    text = json.dumps({**body, "model": "?" if aggregator else body["model"]}, sort_keys=True)
    return re.sub(r"m[0-9a-f]{8}\b", "mX", text)


async def test_bare_sends_the_requests_routemoa_sends(tmp_path, fixed_prior):
    bench = _orchestration()
    fixed_prior(dict.fromkeys(bench.MODELS, 0.5))
    with StubOpenAI() as stub:
        for name in bench.MODELS:  # low self scores: no early exit, all three layers run (as on the benchmark's stub)
            stub.replies[name] = lambda body, name=name: (
                json.dumps({"answer": f"{name} says 4", "self_score": 0.1, "peer_scores": [0.1] * 3})
                if "self_score" in json.dumps(body["messages"])
                else f"{name}: 4"
            )
        ctx = bench.Context(pool=bench.write_pool(tmp_path, stub.url), top_k=3, max_layers=3, threshold=1.0)
        await bench.routemoa_run(ctx)
        routemoa = sorted(map(_comparable, stub.requests))
        stub.requests.clear()
        await bench.bare_run(ctx)
        bare = sorted(map(_comparable, stub.requests))
    assert len(routemoa) == 10
    assert sum('"response_format"' in body for body in routemoa) == 6  # layers 1 and 2 scored, layer 3 free text
    assert bare == routemoa
