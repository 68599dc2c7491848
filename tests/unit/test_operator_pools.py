"""Under a server a client names one of the operator's pools; paths and unknown names are refused."""

from __future__ import annotations

import os

import pytest

from routemoa.errors import UserError
from routemoa.operator_pools import (
    OperatorConfigError,
    PoolNotAllowed,
    allowed_pool_names,
    check_operator_config,
    default_pool_reference,
    is_pool_name,
    is_server_process,
    resolve_client_pool,
    resolve_operator_pool,
)


@pytest.fixture
def pools(tmp_path, monkeypatch):
    """An operator directory with pools `fast` and `strong` (plus files that are no pools)."""
    folder = tmp_path / "pools"
    folder.mkdir()
    for name in ("fast", "strong"):
        (folder / f"{name}.yaml").write_text("models: []\n")
    (folder / "notes.txt").write_text("not a pool")
    (folder / "bad name.yaml").write_text("ignored: the name has a space")
    (folder / "sub.yaml").mkdir()  # a directory is not a pool file
    monkeypatch.setenv("ROUTEMOA_POOLS", str(folder))
    monkeypatch.delenv("ROUTEMOA_POOL", raising=False)
    return folder


def test_names_are_the_yaml_files_plus_the_default(pools):
    assert allowed_pool_names() == ["embedded", "fast", "strong"]
    assert resolve_client_pool("fast") == os.path.join(str(pools), "fast.yaml")
    assert resolve_client_pool(None) == "embedded" == resolve_client_pool("embedded")


def test_default_is_a_directory_name(pools, monkeypatch):
    monkeypatch.setenv("ROUTEMOA_POOL", "strong")
    assert allowed_pool_names() == ["fast", "strong"]
    assert resolve_client_pool(None) == os.path.join(str(pools), "strong.yaml")
    with pytest.raises(PoolNotAllowed, match="choose one of: fast, strong; omit it for the default \\(strong\\)"):
        resolve_client_pool("embedded")  # not the default, not in the directory


def test_default_is_an_operator_path_relative_to_the_working_directory(pools, tmp_path, monkeypatch):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "main.yaml").write_text("models: []\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROUTEMOA_POOL", "elsewhere/main.yaml")
    expected = os.path.join(str(tmp_path), "elsewhere", "main.yaml")
    assert default_pool_reference() == expected == resolve_client_pool(None) == resolve_client_pool("main")
    assert allowed_pool_names() == ["fast", "main", "strong"]
    assert check_operator_config() == ["fast", "main", "strong"]


def test_relative_pools_directory(tmp_path, monkeypatch, pools):
    monkeypatch.chdir(pools.parent)
    monkeypatch.setenv("ROUTEMOA_POOLS", "pools")
    assert resolve_client_pool("strong") == os.path.join(str(pools), "strong.yaml")
    assert resolve_operator_pool("strong") == os.path.join(str(pools), "strong.yaml")
    assert resolve_operator_pool("pools/fast.yaml") == os.path.join(str(pools), "fast.yaml")


@pytest.mark.parametrize(
    "value",
    [
        "/etc/passwd",
        "../pools/fast",
        "fast.yaml",
        "pools/fast",
        "..",
        ".",
        "",
        "unknown",
        "FAST",
        "fast ",
        "a" * 65,
        "fast\x00",
        "C:\\fast",
        "~/fast",
        "sub",
        "bad name",
        "notes",
    ],
)
def test_anything_but_an_allowed_name_is_refused_without_opening_it(pools, value, monkeypatch):
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *a, **k: opened.append(path) or real_open(path, *a, **k))
    with pytest.raises(PoolNotAllowed) as err:
        resolve_client_pool(value)
    message = str(err.value)
    assert isinstance(err.value, UserError) and "\n" not in message and len(message) <= 300
    assert "choose one of: embedded, fast, strong" in message
    assert opened == []


def test_the_error_lists_many_names_within_one_line(pools):
    for i in range(40):
        (pools / f"pool-{i:02d}.yaml").write_text("")
    with pytest.raises(PoolNotAllowed) as err:
        resolve_client_pool("x" * 50)
    assert len(str(err.value)) <= 300 and "more" in str(err.value)


def test_embedded_file_in_the_directory_is_an_ordinary_pool(pools, monkeypatch):
    (pools / "embedded.yaml").write_text("models: []\n")
    monkeypatch.setenv("ROUTEMOA_POOL", "fast")
    assert resolve_client_pool("embedded") == os.path.join(str(pools), "embedded.yaml")


def test_no_directory_only_the_default(monkeypatch):
    monkeypatch.delenv("ROUTEMOA_POOLS", raising=False)
    monkeypatch.delenv("ROUTEMOA_POOL", raising=False)
    assert allowed_pool_names() == ["embedded"]
    with pytest.raises(PoolNotAllowed, match="choose one of: embedded"):
        resolve_client_pool("fast")


def test_broken_operator_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTEMOA_POOLS", str(tmp_path / "missing"))
    with pytest.raises(OperatorConfigError, match="cannot list the pools directory"):
        resolve_client_pool("fast")
    with pytest.raises(UserError, match="ROUTEMOA_POOLS"):
        check_operator_config()
    monkeypatch.setenv("ROUTEMOA_POOLS", str(tmp_path))
    monkeypatch.setenv("ROUTEMOA_POOL", "nope")
    with pytest.raises(UserError, match="ROUTEMOA_POOL='nope': not a pool name"):
        check_operator_config()


def test_pool_name_shape():
    assert is_pool_name("gpt-4.1_mini") and is_pool_name("A")
    assert not any(is_pool_name(v) for v in ("", ".hidden", "a..b", "a/b", "a\\b", "-x", None, 3, "a" * 65))


def test_server_process_detection(monkeypatch):
    monkeypatch.delenv("LANGSERVE_GRAPHS", raising=False)
    monkeypatch.delenv("ROUTEMOA_SERVER", raising=False)
    assert not is_server_process()
    monkeypatch.setenv("ROUTEMOA_SERVER", "1")
    assert is_server_process()
    monkeypatch.delenv("ROUTEMOA_SERVER")
    monkeypatch.setenv("LANGSERVE_GRAPHS", '{"routemoa": "routemoa.graph:graph"}')
    assert is_server_process()
