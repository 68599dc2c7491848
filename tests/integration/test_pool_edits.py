"""A pool file edited while a run is under way, on a real loopback OpenAI-compatible server: the run
finishes (a broken save falls back to the last version that loaded; a model removed after it answered
still aggregates), and the next run sees the file as it is."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from routemoa.context import Context
from routemoa.graph import GRAPHS
from routemoa.pool import PoolError
from routemoa.runner import run_query
from tests.stub_openai import StubOpenAI

pytestmark = pytest.mark.integration


def edits_on_first_call(stub: StubOpenAI, edit):
    """A reply function that runs `edit()` once, at its first call, then answers as the stub does."""
    calls = []

    def reply(body: dict) -> str:
        if not calls:
            edit()
        calls.append(body)
        return stub.default_text(body)

    return reply


def remove_model(pool_file: Path, name: str) -> None:
    """Save `pool_file` without model `name`."""
    data = yaml.safe_load(pool_file.read_text())
    data["models"] = [m for m in data["models"] if m["name"] != name]
    pool_file.write_text(yaml.safe_dump(data))


async def test_a_pool_file_broken_during_a_run_lets_it_finish_and_fails_the_next(tmp_path, fixed_prior, caplog):
    with StubOpenAI() as stub:
        pool = stub.write_pool(tmp_path / "pool.yaml", ["alpha", "beta"])
        fixed_prior({"alpha": 0.6, "beta": 0.5})
        stub.replies["alpha"] = edits_on_first_call(stub, lambda: (tmp_path / "pool.yaml").write_text("models: ["))
        ctx = Context(pool=pool, top_k=2, max_layers=2, threshold=1.0)
        with caplog.at_level(logging.WARNING, logger="routemoa.run_pool"):
            out = await run_query("What is 2 + 2?", ctx)
        assert out["error"] is None and out["answer"]
        assert out["bill"]["calls"] == 5  # both layers of two, then the aggregator
        assert caplog.text.count("last version of the file that loaded") == 1  # once, not once per step
        assert "invalid YAML" in caplog.text
        with pytest.raises(PoolError, match="invalid YAML") as raised:
            await run_query("What is 3 + 3?", ctx)
        assert "\n" not in str(raised.value)


async def test_a_model_removed_after_it_answered_still_aggregates_its_run(tmp_path, fixed_prior):
    with StubOpenAI() as stub:
        pool = stub.write_pool(tmp_path / "pool.yaml", ["alpha", "beta"])
        fixed_prior({"alpha": 0.62, "beta": 0.6})
        stub.replies["alpha"] = edits_on_first_call(stub, lambda: remove_model(tmp_path / "pool.yaml", "alpha"))
        out = await run_query("What is 2 + 2?", Context(pool=pool, top_k=2, max_layers=1, threshold=1.0))
        assert out["error"] is None
        assert out["answer"] == "4, aggregated by alpha"  # alpha ranked best; its run keeps it
        assert out["bill"]["calls"] == 3

        fixed_prior({"beta": 0.5})
        after = await run_query("What is 3 + 3?", Context(pool=pool, top_k=2, max_layers=1, threshold=1.0))
        assert {r["model"] for r in after["records"]} == {"beta"}  # a new run picks from the file as it is


async def test_an_smoa_run_with_a_budget_survives_its_configured_aggregator_being_removed(tmp_path, fixed_prior):
    with StubOpenAI() as stub:
        pool = stub.write_pool(tmp_path / "pool.yaml", ["alpha", "beta", "gamma"])
        fixed_prior({"alpha": 0.62, "beta": 0.6, "gamma": 0.5})
        stub.replies["alpha"] = edits_on_first_call(stub, lambda: remove_model(tmp_path / "pool.yaml", "gamma"))
        ctx = Context(pool=pool, top_k=3, max_layers=2, threshold=1.0, aggregator="gamma", judge_keep=1, max_usd=5.0)
        out = await run_query("What is 2 + 2?", ctx, graph=GRAPHS["smoa"])
        assert out["error"] is None
        assert [t["layer"] for t in out["trace"]] == [1, 2]  # layer 2's budget estimate priced gamma's judging
        judges = [(r["layer"], r["model"]) for r in out["records"] if r["role"] == "judge"]
        assert judges == [(1, "gamma"), (2, "gamma")]  # the run keeps the judge it started with
