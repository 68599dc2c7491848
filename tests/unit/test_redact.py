"""Secrets referenced by a pool are scrubbed from texts and structures; error texts are one short line."""

from __future__ import annotations

from routemoa.redact import REDACTED, one_line, scrub, scrub_data, secret_values, show
from routemoa.spec import ModelSpec, Pool


def _pool(*envs):
    models = tuple(
        ModelSpec(
            name=f"m{i}",
            provider="openai",
            description="d",
            base_url="http://127.0.0.1:9/v1",
            model="x",
            api_key_env=env,
        )
        for i, env in enumerate(envs)
    )
    return Pool(models=models, source="test")


def test_secret_values_are_the_referenced_variables(monkeypatch):
    monkeypatch.setenv("KEY_A", "sk-aaaa")
    monkeypatch.setenv("KEY_B", "sk-aaaa-longer")
    monkeypatch.setenv("KEY_SHORT", "abc")
    monkeypatch.setenv("KEY_EMPTY", "")
    monkeypatch.setenv("NOT_REFERENCED", "db-password")
    pool = _pool("KEY_A", "KEY_B", "KEY_SHORT", "KEY_EMPTY", "KEY_UNSET_XYZ", None, "KEY_A")
    assert secret_values(pool) == ["sk-aaaa-longer", "sk-aaaa"]


def test_scrub_replaces_every_occurrence_longest_first():
    secrets = ["sk-aaaa", "sk-aaaa-longer"]
    text = "401: bad key sk-aaaa-longer (Authorization: Bearer sk-aaaa) sk-aaaa"
    assert scrub(text, secrets) == f"401: bad key {REDACTED} (Authorization: Bearer {REDACTED}) {REDACTED}"
    assert scrub("nothing here", secrets) == "nothing here"
    assert scrub("sk-aaaa", []) == "sk-aaaa"


def test_scrub_data_walks_records_and_traces():
    record = {
        "model": "m1",
        "error": "echo: Bearer s3cret!",
        "usage": {"input_tokens": 3, "ok": True, "cost": 0.5, "none": None},
        "trace": [{"text": "s3cret! twice s3cret!"}, ("s3cret!", 1)],
        "s3cret!": "a key in a key",
    }
    clean = scrub_data(record, ["s3cret!"])
    assert "s3cret!" not in repr(clean)
    assert clean["usage"] == record["usage"] and clean["trace"][1] == (REDACTED, 1)
    assert clean[REDACTED] == "a key in a key"
    assert record["error"] == "echo: Bearer s3cret!"  # the input is not modified
    assert scrub_data(record, []) is record


def test_one_line():
    assert one_line("a\nb\r\n\tc   d") == "a b c d"
    assert one_line("x\x00y\x1b[31m\u2028z") == "x\\x00y\\x1b[31m z"
    long = one_line("word " * 200, limit=50)
    assert len(long) == 50 and long.endswith("...")
    assert one_line("\ud800 \u202eevil \xe9") == "\\ud800 \\u202eevil \xe9"


def test_show_never_builds_huge_strings():
    assert show("é\n" * 100, limit=20) == "'\\xe9\\n\\xe9\\n\\xe9..."
    assert show(10**5000) == "<integer of 16610 bits>"
    assert show(list(range(10**6))) == "<list of 1000000 items>"
    assert show(1.5) == "1.5" and show(True) == "True"
