"""The operator's caps and the client policy: what a server's client may ask for (routemoa/limits.py)."""

from __future__ import annotations

import pytest

from routemoa.context import Context, KnobError, client_mode
from routemoa.errors import UserError
from routemoa.limits import CAPS, CapExceeded, check_cap
from routemoa.method_context import context_for
from routemoa.operator_pools import LANGGRAPH_SERVER_ENV, POOL_ENV, POOLS_DIR_ENV, SERVER_ENV


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A server process (LANGSERVE_GRAPHS set) whose operator has pools `fast` (the default) and `slow`."""
    folder = tmp_path / "pools"
    folder.mkdir()
    for name in ("fast", "slow"):
        (folder / f"{name}.yaml").write_text("models: []\n")
    monkeypatch.setenv(LANGGRAPH_SERVER_ENV, '{"routemoa": "routemoa.graph:graph"}')
    monkeypatch.setenv(POOLS_DIR_ENV, str(folder))
    monkeypatch.setenv(POOL_ENV, "fast")
    for cap in CAPS.values():
        monkeypatch.delenv(cap.env, raising=False)
    return folder


def test_a_value_above_a_cap_is_refused_naming_it(monkeypatch):
    monkeypatch.delenv("ROUTEMOA_CAP_MAX_LAYERS", raising=False)
    check_cap("max_layers", 8)
    with pytest.raises(CapExceeded) as above:
        check_cap("max_layers", 9)
    assert above.value.knob == "max_layers" and above.value.status == 400
    assert str(above.value) == "max_layers 9 is above the operator's cap of 8 layers per run ($ROUTEMOA_CAP_MAX_LAYERS)"
    monkeypatch.setenv("ROUTEMOA_CAP_BODY_BYTES", "10")
    with pytest.raises(CapExceeded) as body:
        check_cap("body_bytes", 11)
    assert body.value.status == 413


@pytest.mark.parametrize("raw", ["x", "0", "-3", "1.5"])
def test_a_bad_cap_setting_is_a_user_error(monkeypatch, raw):
    monkeypatch.setenv("ROUTEMOA_CAP_TOP_K", raw)
    with pytest.raises(UserError, match=r"\$ROUTEMOA_CAP_TOP_K must be a positive integer"):
        check_cap("top_k", 1)


def test_a_client_mapping_gets_the_operator_pool_and_a_checked_context(server):
    ctx = context_for("routemoa", {"pool": "slow", "max_layers": 2}, client=True)
    assert ctx.pool == str(server / "slow.yaml") and ctx.max_layers == 2
    assert not client_mode(ctx)  # checked once: the nodes trust it (the OpenAI app's runs)
    assert context_for("routemoa", {}, client=True).pool == str(server / "fast.yaml")


def test_a_context_built_from_a_client_mapping_passes_the_policy(server):
    """LangGraph's API builds the context schema from the client's mapping: `Context(**mapping)`."""
    built = Context(pool="../fast")
    assert client_mode(built) and client_mode({"pool": "slow"}) and client_mode(None)
    with pytest.raises(KnobError) as refused:
        context_for("routemoa", built, client=True)
    assert refused.value.knob == "pool" and "choose one of: fast, slow" in str(refused.value)
    omitted = Context()  # the client named no pool: the field holds the operator's default value
    assert context_for("routemoa", omitted, client=True).pool == str(server / "fast.yaml")
    with pytest.raises(CapExceeded):
        context_for("routemoa", Context(top_k=17), client=True)


def test_outside_a_server_contexts_are_trusted(monkeypatch, tmp_path):
    monkeypatch.delenv(LANGGRAPH_SERVER_ENV, raising=False)
    monkeypatch.delenv(SERVER_ENV, raising=False)
    assert (
        not client_mode(Context(pool=str(tmp_path / "any.yaml")))
        and not client_mode({"pool": "x"})
        and not client_mode(None)
    )


def test_an_empty_pool_is_the_operators_default(server):
    """Studio's form sends pool "" when left alone: the operator's default, whatever it is."""
    for value in ({"pool": ""}, Context(pool="")):
        ctx = context_for("routemoa", value, client=True)
        assert ctx.pool == str(server / "fast.yaml")
    with pytest.raises(KnobError, match="choose one of: fast, slow"):
        context_for("routemoa", {"pool": "embedded"}, client=True)
