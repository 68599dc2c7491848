"""run_pool without a run: what a step gets when nothing earlier loaded the file, or never knew the model."""

from __future__ import annotations

import pytest
import yaml

from routemoa.errors import UserError
from routemoa.pool import PoolError
from routemoa.run_pool import pool_at_start, run_model, run_models, run_pool


def write(path, names):
    models = [
        {"name": n, "provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": n, "description": f"model {n}"}
        for n in names
    ]
    path.write_text(yaml.safe_dump({"models": models}))
    return str(path)


def test_a_file_that_never_loaded_has_no_fallback(tmp_path):
    (tmp_path / "pool.yaml").write_text("models: [")
    with pytest.raises(PoolError, match="invalid YAML"):
        run_pool(str(tmp_path / "pool.yaml"))


def test_a_model_the_process_never_loaded_is_a_one_line_error(tmp_path):
    pool = write(tmp_path / "pool.yaml", ["alpha"])
    with pytest.raises(UserError, match="model 'zeta' is no longer in the pool") as raised:
        run_model(pool, "zeta")  # e.g. a run resumed in a new process after an edit removed it
    assert "\n" not in str(raised.value)


def test_a_removed_model_keeps_its_last_settings_and_the_pool_is_the_current_one(tmp_path):
    pool = write(tmp_path / "pool.yaml", ["alpha", "beta"])
    assert pool_at_start(pool).names == ["alpha", "beta"]
    write(tmp_path / "pool.yaml", ["beta", "gamma-with-a-longer-name"])  # another size: a new version
    assert run_pool(pool).names == ["beta", "gamma-with-a-longer-name"]
    assert run_model(pool, "alpha").name == "alpha"


def test_a_layers_models_come_with_their_settings_even_if_one_was_just_removed(tmp_path):
    pool = write(tmp_path / "pool.yaml", ["alpha", "beta"])
    pool_at_start(pool)
    write(tmp_path / "pool.yaml", ["beta"])
    assert run_models(pool, ["alpha", "beta"]).names == ["alpha", "beta"]
