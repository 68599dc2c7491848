"""Pool files: valid ones load; every bad one is a one-line PoolError naming file, model and field."""

from __future__ import annotations

import os
import socket
import threading

import pytest
import yaml

from routemoa.cli import main
from routemoa.pool import MAX_POOL_BYTES, PoolError, load_pool


def write(tmp_path, models, **top):
    path = tmp_path / "pool.yaml"
    path.write_text(yaml.safe_dump({"models": models, **top}))
    return path


def write_text(tmp_path, text, name="pool.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def model(**kw):
    base = {
        "name": "m1",
        "provider": "openai",
        "base_url": "http://127.0.0.1:9/v1",
        "model": "x",
        "description": "d",
        "input_price": 1,
        "output_price": 2,
    }
    base.update(kw)
    return base


def load_error(path) -> str:
    with pytest.raises(PoolError) as err:
        load_pool(path)
    message = str(err.value)
    assert "\n" not in message and len(message) <= 300 and message.isprintable(), message
    return message


def test_embedded_pool_loads():
    pool = load_pool()
    assert len(pool.models) == 3 and all(m.provider == "local" for m in pool.models)
    assert len({m.system_prompt for m in pool.models}) == 3
    assert {m.structured_output for m in pool.models} == {"json_schema"}


def test_valid_pool(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_KEY", "secret")
    pool = load_pool(
        write(
            tmp_path,
            [
                model(api_key_env="MY_KEY", structured_output="json_object"),
                model(
                    name="m2",
                    structured_output="none",
                    system_prompt="Be brief.\nReally.",
                    options={"path": ["a.csv", "b.csv"], "fail": False, "self_score": 0.5},
                ),
            ],
        )
    )
    assert pool.names == ["m1", "m2"] and pool.get("m1").call_cost(1_000_000, 500_000) == pytest.approx(2.0)
    assert [m.structured_output for m in pool.models] == ["json_object", "none"]
    assert pool.get("m2").options["path"] == ["a.csv", "b.csv"]
    assert "secret" not in repr(pool)


def test_relative_scorer_resolves_against_the_pool_file(tmp_path, monkeypatch):
    (tmp_path / "ckpt").mkdir()
    path = write(tmp_path, [model()], scorer="ckpt")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_pool(path).scorer == str(tmp_path / "ckpt")
    assert load_pool(os.path.relpath(path)).scorer == str(tmp_path / "ckpt")


def test_loading_passes_langgraph_devs_blocking_call_check(tmp_path, monkeypatch):
    """LangGraph dev refuses os.getcwd and reads of blocking descriptors inside the event loop
    (a relative pool path used to be an HTTP 500)."""
    (tmp_path / "ckpt").mkdir()
    path = write(tmp_path, [model()], scorer="ckpt")
    real_read = os.read

    def refuse():
        raise AssertionError("os.getcwd called")

    def nonblocking_read(fd, size):
        assert not os.get_blocking(fd), "read of a blocking descriptor"
        return real_read(fd, size)

    monkeypatch.setattr(os, "getcwd", refuse)
    monkeypatch.setattr(os, "read", nonblocking_read)
    assert load_pool(str(path)).scorer == str(tmp_path / "ckpt")


@pytest.mark.parametrize(
    "models, message",
    [
        ([model(colour="red")], "model 'm1': unknown field 'colour'"),
        ([model(), model()], "model 'm1': field 'name' is duplicated"),
        ([model(input_price=-1)], "model 'm1': field 'input_price' must be a number between 0 and 10000, got -1"),
        (
            [model(input_price=10**400)],
            "field 'input_price' must be a number between 0 and 10000, got <integer of 1329 bits>",
        ),
        ([model(output_price="cheap")], "field 'output_price' must be a number between 0 and 10000, got 'cheap'"),
        ([model(output_price=True)], "field 'output_price' must be a number between 0 and 10000, got True"),
        ([model(latency_s=float("nan"))], "field 'latency_s' must be a finite number, got nan"),
        ([model(latency_s=float("inf"))], "field 'latency_s' must be a finite number, got inf"),
        (
            [model(api_key_env="ROUTEMOA_TEST_UNSET_KEY")],
            "field 'api_key_env': environment variable ROUTEMOA_TEST_UNSET_KEY is not set",
        ),
        ([model(api_key_env="PATH; rm -rf /")], "field 'api_key_env' must be an environment variable name"),
        ([model(api_key_env="")], "field 'api_key_env' must be a non-empty string"),
        ([model(provider="carrier-pigeon")], "field 'provider' is 'carrier-pigeon'"),
        ([model(base_url=None)], "field 'base_url' is required for provider 'openai'"),
        ([model(base_url="file:///etc/passwd")], "field 'base_url' must be an http:// or https:// URL with a host"),
        ([model(base_url="http:///v1")], "field 'base_url' must be an http:// or https:// URL with a host"),
        ([model(base_url="http://h:99999/v1")], "field 'base_url' is not a valid URL"),
        ([model(base_url="http://user:pw@h/v1")], "field 'base_url' must not contain credentials"),
        ([model(base_url=["http://h"])], "field 'base_url' must be a non-empty string, got a list"),
        ([model(model="")], "field 'model' must be a non-empty string"),
        ([model(model="x" * 201)], "field 'model' is 201 characters long, at most 200 allowed"),
        ([model(name="a\x1b[2Jb")], "model 'a\\x1b[2Jb': field 'name' contains the control character '\\x1b'"),
        ([model(name=" m1")], "field 'name' must not start or end with spaces"),
        ([model(description="")], "field 'description' must be a non-empty string, got ''"),
        ([model(description=None)], "field 'description' is required"),
        ([model(description="d\x00")], "field 'description' contains the control character '\\x00'"),
        ([model(system_prompt="")], "field 'system_prompt' must be a non-empty string"),
        ([model(system_prompt="s" * 20_001)], "field 'system_prompt' is 20001 characters long"),
        ([model(context_window=0)], "field 'context_window' must be an integer between 1 and 1e+08, got 0"),
        ([model(context_window=8192.0)], "field 'context_window' must be an integer between 1 and 1e+08, got 8192.0"),
        ([model(max_tokens=False)], "field 'max_tokens' must be an integer between 1 and 1e+08, got False"),
        (
            [model(structured_output="xml")],
            "field 'structured_output' must be one of json_schema, json_object, none, got 'xml'",
        ),
        ([model(structured_output=None, options=[1])], "field 'options' must be a mapping, got a list"),
        (
            [model(options={"path": {"a": 1}})],
            "field 'options.path' must be a string, number, boolean or a list of them",
        ),
        ([model(options={"x": float("inf")})], "field 'options.x' must be finite"),
        ([model(options={"x": "a\x00"})], "field 'options.x' contains the control character"),
        ([model(options={"../x": 1})], "field 'options' has an invalid key '../x'"),
        (["not a mapping"], "models[0] must be a mapping, got str"),
        ([], "field 'models' must be a non-empty list"),
        ([model(name=f"m{i}") for i in range(257)], "field 'models' has 257 entries, at most 256 allowed"),
    ],
)
def test_invalid_pools_name_file_model_and_field(tmp_path, models, message):
    path = write(tmp_path, models)
    error = load_error(path)
    assert error.startswith(f"{path}: ") and message in error


@pytest.mark.parametrize(
    "text, message",
    [
        ("models: &a [1]\nother: *a\n", "YAML anchors and aliases are not allowed (line 1)"),
        ("a: &x 1\n", "YAML anchors and aliases are not allowed"),
        ("a: *x\n", "YAML anchors and aliases are not allowed"),
        (
            "models: !!python/object:os.system [1]\n",
            "YAML tags are not allowed (line 1: 'tag:yaml.org,2002:python/object:os.system')",
        ),
        ("a: !!timestamp nope\n", "YAML tags are not allowed"),
        ("models: " + "[" * 100_000, "YAML nested deeper than 16 levels (line 1)"),
        ("models:\n" + "".join(" " * (2 * i + 2) + "- \n" for i in range(40)), "YAML nested deeper than 16 levels"),
        ("models: [" + "1, " * 30_000 + "]", "YAML has too many nodes (more than 20000)"),
        ("models: []\nmodels: []\n", "invalid YAML at line 2, column 1: duplicate key 'models'"),
        ("models: [{name: a, name: b}]\n", "duplicate key 'name'"),
        ("models: " + "9" * 5000 + "\n", "invalid YAML value"),
        ("when: 2001-02-30\n", "invalid YAML value ('day is out of range for month')"),
        ("models: [\n", "invalid YAML at line 2, column 1"),
        ("a: b\n---\nc: d\n", "invalid YAML at line 2, column 1: expected a single document"),
        ("a: \x07\n", "invalid YAML"),
        ("", "top level must be a mapping with a 'models' list"),
        ("- 1\n", "top level must be a mapping"),
        ("models: [1]\n? [a]\n: b\n", "invalid YAML"),
        ("models: []\n1: x\n", "unknown top-level field 1"),
        (b"models: [\xff\xfe]\n", "pool file is not UTF-8 (invalid byte at offset 9)"),
        ("\ufeffmodels: []\n".encode("utf-16"), "pool file is not UTF-8 (invalid byte at offset 0)"),
        ("models: []\n" + "#" * MAX_POOL_BYTES, f"pool file is larger than {MAX_POOL_BYTES} bytes"),
    ],
)
def test_malformed_yaml_is_one_line(tmp_path, text, message):
    path = write_text(tmp_path, text)
    error = load_error(path)
    assert error.startswith(f"{path}: ") and message in error


def test_user_values_in_messages_are_escaped_and_short(tmp_path):
    error = load_error(write(tmp_path, [model(name="\u202e" + "x" * 5000 + "\n", colour=1)]))
    assert "x" * 50 not in error and "\\u202e" in error


def test_long_file_names_keep_their_end(tmp_path):
    folder = tmp_path / ("d" * 200)
    folder.mkdir()
    error = load_error(write(folder, [model(colour=1)]))
    assert error.startswith("...") and "/pool.yaml: model 'm1': unknown field 'colour'" in error


def _load_in_thread(path) -> str:
    """load_pool(path) in a thread; fails the test if it blocks for more than 5 s."""
    result = []
    thread = threading.Thread(target=lambda: result.append(load_error(path)), daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), f"load_pool({path}) blocked"
    return result[0]


def test_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pool.fifo"
    os.mkfifo(fifo)
    assert "it is a FIFO, not a regular file" in _load_in_thread(fifo)
    assert "it is a directory, not a regular file" in _load_in_thread(tmp_path)
    assert "it is a character device, not a regular file" in _load_in_thread("/dev/zero")
    sock_path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        assert "it is a socket, not a regular file" in _load_in_thread(sock_path)
    link = tmp_path / "link.yaml"
    link.symlink_to(fifo)
    assert "it is a FIFO" in _load_in_thread(link)


def test_unreadable_and_missing_files(tmp_path):
    assert "cannot read pool file (No such file or directory)" in load_error(tmp_path / "missing.yaml")
    assert "cannot read pool file" in load_error(str(tmp_path / "a\x00b"))
    assert "field 'scorer' checkpoint directory 'no/such/dir' does not exist" in load_error(
        write(tmp_path, [model()], scorer="no/such/dir")
    )


def test_reloads_a_changed_file_and_checks_keys_on_every_load(tmp_path, monkeypatch):
    path = write(tmp_path, [model(api_key_env="ROUTEMOA_TEST_KEY")])
    monkeypatch.setenv("ROUTEMOA_TEST_KEY", "k")
    assert load_pool(path) is load_pool(path)  # parsed once
    monkeypatch.delenv("ROUTEMOA_TEST_KEY")
    assert "environment variable ROUTEMOA_TEST_KEY is not set" in load_error(path)
    path.write_text(yaml.safe_dump({"models": [model(name="renamed-model")]}))
    assert load_pool(path).names == ["renamed-model"]


def test_cli_ask_with_a_bad_pool_exits_2_with_one_line(tmp_path, capsys):
    bad = write_text(tmp_path, "models: &a [*a]\n")
    assert main(["ask", "q", "--pool", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {bad}: YAML anchors and aliases are not allowed")
    assert main(["ask", "q", "--pool", str(tmp_path), "--quiet"]) == 2
    assert "not a regular file" in capsys.readouterr().err
