"""Shared fixtures: fake models, fixed priors, a fake pool on disk."""

from __future__ import annotations

import pytest

from routemoa.scorer import Prior
from tests import fakes


@pytest.fixture
def scripts():
    """The fake models' scripts, cleared around each test."""
    fakes.SCRIPTS.clear()
    yield fakes.SCRIPTS
    fakes.SCRIPTS.clear()


@pytest.fixture
def fixed_prior(monkeypatch):
    """Replace the scorer with fixed priors: call it with {model: prior}."""

    def install(priors: dict[str, float]):
        def prior(query, pool):
            return Prior(scores={m: priors[m] for m in pool.names}, source={m: "fixed" for m in pool.names})

        monkeypatch.setattr("routemoa.nodes.score.pool_prior", prior)

    return install


@pytest.fixture
def fake_pool(tmp_path, scripts):
    """Write a pool of fake models named as given; returns its path."""

    def make(names, **kw):
        for name in names:
            scripts.setdefault(name, fakes.Script())
        return fakes.write_pool(tmp_path / "pool.yaml", names, **kw)

    return make
