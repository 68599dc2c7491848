"""Server warm-up: what the first request would load is loaded at start, and no provider is called."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from routemoa import local_engine
from routemoa.local_engine import LocalEngine
from routemoa.operator_pools import POOL_ENV, SERVER_ENV
from routemoa.scorer.encoder import _lean, _load
from routemoa.server import app as app_module
from routemoa.server import warm as warm_module
from tests.stub_openai import StubOpenAI

pytestmark = pytest.mark.integration


def test_warm_loads_pool_and_encoder_and_calls_no_provider(tmp_path, monkeypatch):
    with StubOpenAI() as stub:
        monkeypatch.setenv(POOL_ENV, stub.write_pool(tmp_path / "pool.yaml", ["alpha", "beta"]))
        assert warm_module.warm() > 0
        assert stub.requests == []  # the client code ran on an in-process transport
    assert _lean.cache_info().currsize + _load.cache_info().currsize >= 1  # the serving encoder is loaded


def test_warm_loads_a_local_model_slot_per_local_pool_model(monkeypatch):
    fresh = LocalEngine(slots=3)
    monkeypatch.setattr(local_engine, "_ENGINE", fresh)
    monkeypatch.setenv(POOL_ENV, "embedded")  # three local models
    try:
        warm_module.warm()
        assert len(fresh._free) == 3  # a layer's three calls decode at once without loading first
    finally:
        fresh.close()


def test_the_app_warms_at_start_only_inside_a_server(monkeypatch):
    calls = []

    async def fake_warm_up():
        calls.append("warm")

    monkeypatch.setattr(warm_module, "warm_up", fake_warm_up)
    monkeypatch.delenv(SERVER_ENV, raising=False)
    monkeypatch.delenv("LANGSERVE_GRAPHS", raising=False)
    with TestClient(app_module.app):
        assert calls == []
    monkeypatch.setenv(SERVER_ENV, "1")
    with TestClient(app_module.app):
        assert calls == ["warm"]  # before the first request is accepted


async def test_a_failing_warm_up_is_logged_not_raised(monkeypatch, caplog):
    monkeypatch.setenv(POOL_ENV, "/nonexistent/pool.yaml")
    await warm_module.warm_up(timeout_s=30)
    assert "warm-up failed" in caplog.text
