import pytest
import yaml

from routemoa.pool import PoolError, load_pool


def write(tmp_path, models, **top):
    path = tmp_path / "pool.yaml"
    path.write_text(yaml.safe_dump({"models": models, **top}))
    return path


def model(**kw):
    base = {"name": "m1", "provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "x",
            "description": "d", "input_price": 1, "output_price": 2}
    base.update(kw)
    return base


def test_embedded_pool_loads():
    pool = load_pool()
    assert len(pool.models) == 3 and all(m.provider == "local" for m in pool.models)
    assert len({m.system_prompt for m in pool.models}) == 3


def test_valid_pool(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_KEY", "secret")
    pool = load_pool(write(tmp_path, [model(api_key_env="MY_KEY"), model(name="m2")]))
    assert pool.names == ["m1", "m2"] and pool.get("m1").call_cost(1_000_000, 500_000) == pytest.approx(2.0)
    assert "secret" not in repr(pool)


@pytest.mark.parametrize(
    "models, message",
    [
        ([model(colour="red")], "model 'm1': unknown field 'colour'"),
        ([model(), model()], "model 'm1': field 'name' is duplicated"),
        ([model(input_price=-1)], "model 'm1': field 'input_price' must be a number >= 0"),
        ([model(output_price="cheap")], "model 'm1': field 'output_price' must be a number >= 0"),
        ([model(api_key_env="ROUTEMOA_TEST_UNSET_KEY")], "environment variable ROUTEMOA_TEST_UNSET_KEY is not set"),
        ([model(provider="carrier-pigeon")], "field 'provider' is 'carrier-pigeon'"),
        ([model(base_url=None)], "field 'base_url' is required"),
        ([model(description="")], "field 'description' is required"),
        ([model(context_window=0)], "field 'context_window' must be a positive integer"),
        ([], "field 'models' must be a non-empty list"),
    ],
)
def test_invalid_pools_name_file_model_and_field(tmp_path, models, message):
    path = write(tmp_path, models)
    with pytest.raises(PoolError) as err:
        load_pool(path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(PoolError, match="cannot read pool file"):
        load_pool(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: [\n")
    with pytest.raises(PoolError, match="invalid YAML"):
        load_pool(bad)
    with pytest.raises(PoolError, match="scorer"):
        load_pool(write(tmp_path, [model()], scorer="no/such/dir"))
