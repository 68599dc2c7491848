"""The graph runs on a replay pool: recorded answers, recorded dollars in the bill."""

import yaml

from routemoa.context import Context
from routemoa.eval.replay_pool import replay_pool
from routemoa.runner import run_query
from tests.unit.test_replay import write_csv


async def test_graph_bills_recorded_dollars(tmp_path, fixed_prior):
    data = write_csv(tmp_path / "tiny.csv")
    specs = replay_pool(data).models
    doc = {
        "models": [
            {"name": s.name, "provider": "replay", "description": s.description, "options": {"path": [str(data)]}}
            for s in specs
        ]
    }
    pool = tmp_path / "pool.yaml"
    pool.write_text(yaml.safe_dump(doc))
    fixed_prior({"cheap": 0.9, "big": 0.2})
    out = await run_query("Question: Name a prime above 10.", Context(pool=str(pool), top_k=1, max_layers=1))
    assert out["error"] is None
    assert out["answer"] == "12"  # cheap's recorded answer
    bill = out["bill"]
    assert bill["models"]["cheap"]["calls"] >= 1
    recorded = {"cheap": 1.0, "big": 10.0}
    for name, row in bill["models"].items():
        assert row["usd"] == row["calls"] * recorded[name]
    assert bill["total_usd"] == sum(row["usd"] for row in bill["models"].values())
