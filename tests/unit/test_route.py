"""Where a query would go without running it (`route`, `routemoa route`, `POST /v1/route`) and what
`/v1/models` tells a client about each method's pool."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fakes_serving

from routemoa.cli import main
from routemoa.operator_pools import POOL_ENV, POOLS_DIR_ENV
from routemoa.route import route
from routemoa.scorer import Prior
from routemoa.server.app import app

PRIORS = {"fake-0": 0.6, "fake-1": 0.9, "fake-2": 0.85}


@pytest.fixture
def pool(tmp_path, monkeypatch) -> str:
    """Three fake models (prices 1/2, 2/3, 3/4 $ per million) whose calls would fail: routing must not call them."""
    monkeypatch.setattr(
        "routemoa.route.pool_prior", lambda q, p: Prior({m: PRIORS[m] for m in p.names}, {m: "fixed" for m in p.names})
    )
    return str(fakes_serving.write_pool(tmp_path / "pool.yaml", 3, fail=True))


def test_route_gives_priors_first_layer_reasons_and_expected_cost(pool):
    plan = route("What is 6*7?", {"pool": pool, "top_k": 2, "max_tokens": 100})
    assert [p["model"] for p in plan["prior"]] == ["fake-1", "fake-2", "fake-0"]
    assert [p["model"] for p in plan["first_layer"]] == ["fake-1", "fake-2"]
    first = plan["first_layer"][0]
    assert first["reason"].startswith("rank 1") and first["score"] == 0.9
    # prompt tokens at $2/M plus at most 100 answer tokens at $3/M (fake-1's prices)
    assert 100 * 3e-6 < first["expected_usd"] < 100 * 3e-6 + 1000 * 2e-6
    assert plan["expected_usd"] == pytest.approx(sum(p["expected_usd"] for p in plan["first_layer"]))


def test_route_follows_the_method(pool):
    plan = route("What is 6*7?", {"pool": pool}, method="moa")
    assert {p["model"] for p in plan["first_layer"]} == set(PRIORS)
    assert route("hi", {"pool": pool, "selection": "single", "model": "fake-0"})["first_layer"][0]["model"] == "fake-0"


def test_cli_route_prints_the_plan_and_json(pool, capsys):
    assert main(["route", "What is 6*7?", "--pool", pool, "--top-k", "1"]) == 0
    text = capsys.readouterr().out
    assert "first layer calls 1 model(s)" in text and "rank 1" in text and "fake-0" in text
    assert main(["route", "What is 6*7?", "--pool", pool, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["method"] == "routemoa"
    assert main(["route", "x", "--pool", pool, "--top-k", "0"]) == 2
    assert "top_k" in capsys.readouterr().err


@pytest.fixture
async def client(pool, tmp_path, monkeypatch):
    folder = tmp_path / "pools"
    folder.mkdir()
    (folder / "main.yaml").write_text(Path(pool).read_text())
    monkeypatch.setenv(POOLS_DIR_ENV, str(folder))
    monkeypatch.setenv(POOL_ENV, "main")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as c:
        yield c


async def test_http_route_next_to_models(client):
    body = {"model": "routemoa", "messages": [{"role": "user", "content": "What is 6*7?"}], "routemoa": {"top_k": 1}}
    r = await client.post("/v1/route", json=body)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["pool"] == "main" and [p["model"] for p in plan["first_layer"]] == ["fake-1"]
    bad = await client.post("/v1/route", json={**body, "routemoa": {"pool": "/etc/passwd"}})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "routemoa.pool"
    assert (await client.post("/v1/route", json={**body, "model": "nope"})).status_code == 404
    assert (await client.post("/v1/route", content=b"{")).status_code == 400


async def test_models_list_each_method_with_its_pool_prices_and_context(client):
    data = (await client.get("/v1/models")).json()["data"]
    assert [m["id"] for m in data] == ["routemoa", "moa", "smoa", "single", "random_k"]
    routemoa = data[0]
    assert routemoa["description"].startswith("RouteMoA") and routemoa["pool"]["name"] == "main"
    models = {m["id"]: m for m in routemoa["pool"]["models"]}
    assert set(models) == set(PRIORS)
    assert models["fake-1"]["pricing"] == {"prompt": "0.000002", "completion": "0.000003"}
    assert models["fake-1"]["context_length"] == 8192 == routemoa["context_length"]
    assert "options" not in json.dumps(routemoa) and "base_url" not in json.dumps(routemoa)
    single = (await client.get("/v1/models/single")).json()
    assert single["id"] == "single" and single["pool"]["name"] == "main"
