"""The provider registry: built-in kinds are imported on first use, so loading a pool imports no LangChain, SDK or evaluation code."""

import importlib
import json
import subprocess
import sys

from routemoa.providers import CallSettings, chat_model, provider_kinds, registry
from routemoa.spec import ModelSpec

CHECK = """
import json, sys
from routemoa.pool import load_pool
pool = load_pool(sys.argv[1])
heavy = ("routemoa.eval", "routemoa.providers.openai", "routemoa.providers.local", "langchain", "llama_cpp")
print(json.dumps({"models": pool.names, "imported": sorted(m for m in sys.modules if m.startswith(heavy))}))
"""


def test_a_pool_naming_every_built_in_kind_loads_without_importing_them(tmp_path):
    pool = tmp_path / "pool.yaml"
    pool.write_text(
        "models:\n"
        "  - {name: recorded, provider: replay, description: recorded answers, options: {path: data.csv}}\n"
        "  - {name: remote, provider: openai, description: an endpoint, base_url: 'http://127.0.0.1:9/v1', model: m}\n"
        "  - {name: here, provider: local, description: SmolLM2}\n"
    )
    out = subprocess.run([sys.executable, "-c", CHECK, str(pool)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {"models": ["recorded", "remote", "here"], "imported": []}
    assert {"openai", "local", "replay"} <= set(provider_kinds())


def test_a_module_path_factory_is_imported_on_first_use(monkeypatch):
    monkeypatch.setitem(registry._FACTORIES, "lazy-endpoint", "routemoa.providers.openai:openai_model")
    spec = ModelSpec(
        name="m", provider="lazy-endpoint", description="d", model="stub-model", base_url="http://127.0.0.1:9/v1"
    )
    model = chat_model(spec, CallSettings(temperature=0.0, max_tokens=8, timeout_s=1.0))
    assert model.get_name() == "ChatOpenAI" and model.model_name == "stub-model"  # named as in traces
    assert callable(registry._FACTORIES["lazy-endpoint"])  # resolved once, kept


def test_every_built_in_entry_names_a_factory():
    """The built-in kinds are strings no import checker follows: a moved or renamed factory fails here."""
    for kind, entry in registry.BUILT_IN.items():
        module, _, name = entry.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), kind


async def test_a_call_nobody_streams_gets_its_own_non_streaming_client_reused_call_after_call():
    """`streaming=False` (calls.call_model for agents) gives a client made with `disable_streaming`, kept per
    event loop like the streaming one (no per-call copy of a client)."""
    spec = ModelSpec(name="m", provider="openai", description="d", model="m", base_url="http://127.0.0.1:9/v1")
    plain = CallSettings(temperature=0.0, max_tokens=8, timeout_s=1.0, streaming=False)
    streamed = CallSettings(temperature=0.0, max_tokens=8, timeout_s=1.0)
    model = chat_model(spec, plain)
    assert model is chat_model(spec, plain) and model.disable_streaming is True
    assert (
        chat_model(spec, streamed) is chat_model(spec, streamed)
        and chat_model(spec, streamed).disable_streaming is False
    )


async def test_the_server_warm_up_makes_the_clients_a_run_then_uses(tmp_path, monkeypatch):
    """The warm-up makes, in the server's loop, the agents' non-streaming clients and the aggregator's:
    a run's calls then make no client of their own."""
    import asyncio
    from dataclasses import replace

    from routemoa.calls import settings_for
    from routemoa.methods import METHODS
    from routemoa.operator_pools import POOL_ENV
    from routemoa.pool import load_pool
    from routemoa.providers import openai as openai_provider
    from routemoa.server.warm import _clients_for_this_loop

    pool = tmp_path / "pool.yaml"
    pool.write_text(
        "models:\n  - {name: m, provider: openai, description: d, base_url: 'http://127.0.0.1:9/v1', model: m}\n"
    )
    monkeypatch.setenv(POOL_ENV, str(pool))
    _clients_for_this_loop()
    made = openai_provider._CLIENTS[id(asyncio.get_running_loop())][1]
    count = len(made)
    spec, ctx = load_pool(str(pool)).models[0], METHODS["routemoa"].context()
    chat_model(spec, replace(settings_for(spec, ctx), streaming=False))  # an agent's call (calls.call_model)
    chat_model(spec, settings_for(spec, ctx, ctx.temperature / 2))  # the aggregator's
    assert len(made) == count == 2


async def test_a_json_schema_response_format_reaches_the_server_unchanged_without_the_sdks_parse_helpers(
    monkeypatch,
):
    """A scored call's `response_format` goes in the body as given, also streamed, and not through the
    SDK's `parse()` / `stream()` helpers (whose request transform walks the schema on every call)."""
    from openai.resources.chat.completions import AsyncCompletions

    from tests.stub_openai import StubOpenAI

    def helper_used(*args, **kwargs):
        raise AssertionError("the SDK's structured-output helper was called")

    monkeypatch.setattr(AsyncCompletions, "parse", helper_used)
    monkeypatch.setattr(AsyncCompletions, "stream", helper_used)
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": True}}
    with StubOpenAI() as stub:
        spec = ModelSpec(name="m", provider="openai", description="d", model="m", base_url=stub.url)
        plain = CallSettings(temperature=0.0, max_tokens=8, timeout_s=5.0, streaming=False)
        reply = await chat_model(spec, plain).ainvoke("Say 4.", response_format=fmt)
        streamed = CallSettings(temperature=0.0, max_tokens=8, timeout_s=5.0)
        chunks = [c.text async for c in chat_model(spec, streamed).astream("Say 4.", response_format=fmt)]
        assert [b["response_format"] for b in stub.requests] == [fmt, fmt]
        assert [b.get("stream", False) for b in stub.requests] == [False, True]
    assert json.loads(reply.text) == json.loads("".join(chunks)) == stub.structured


async def test_structured_output_with_a_pydantic_schema_still_comes_back_parsed():
    """`with_structured_output(Model, method="json_schema")` keeps the SDK's `parse()`, which fills `parsed`."""
    from pydantic import BaseModel

    from tests.stub_openai import StubOpenAI

    class Reply(BaseModel):
        answer: str
        confidence: float

    with StubOpenAI() as stub:
        spec = ModelSpec(name="m", provider="openai", description="d", model="m", base_url=stub.url)
        model = chat_model(spec, CallSettings(temperature=0.0, max_tokens=8, timeout_s=5.0, streaming=False))
        reply = await model.with_structured_output(Reply, method="json_schema").ainvoke("Say 4.")
    assert reply == Reply(answer="4", confidence=0.9)
