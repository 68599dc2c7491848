"""Property: on any file, load_pool returns a sane Pool or raises PoolError with one short printable line, quickly.

The strategies here also drive the longer run in benchmarks/pool_fuzz.py.
"""

from __future__ import annotations

import itertools
import math
import time
from datetime import timedelta

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routemoa.pool import MAX_ERROR_CHARS, MAX_POOL_BYTES, PoolError, load_pool
from routemoa.spec import Pool

VALID_MODEL = {
    "name": "m1",
    "provider": "openai",
    "base_url": "http://127.0.0.1:9/v1",
    "model": "x",
    "description": "d",
    "input_price": 1.0,
    "output_price": 2.0,
    "latency_s": 1.5,
    "context_window": 8192,
    "max_tokens": 64,
    "system_prompt": "Be brief.",
    "structured_output": "json_schema",
    "api_key_env": "PATH",
    "options": {"k": 1},
}
FIELDS = [*VALID_MODEL, "scorer", "models", "colour"]
ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "\x1b[2J",
    "\u202e",
    "\ud800",
    "\n",
    "a\nb",
    "x" * 300,
    "A" * 5000,
    "http://",
    "http://h:99999/v1",
    "file:///etc/passwd",
    "http://u:p@h/v1",
    "https://h/v1",
    "openai",
    "local",
    "replay",
    "json_schema",
    "json_object",
    "none",
    "PATH",
    "HOME",
    "1BAD",
    "A-B",
    "../../etc/passwd",
    "/dev/zero",
    ".",
    "~",
    "NaN",
    "0x_",
    "2001-02-30",
]
ODD_NUMBERS = [0, -1, 1, 2**53 + 1, 10**20, 10**400, -(10**400), 0.0, -0.0, 1e308, -1e-308, 8192.0]
YAML_TOKENS = [
    "models",
    "name",
    "provider",
    "description",
    "openai",
    ":",
    ": ",
    "- ",
    "-",
    "\n",
    "  ",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ",",
    "?",
    "? ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "!!python/object:os.system ",
    "!!binary ",
    "!!timestamp ",
    "!x ",
    "!",
    "<<: ",
    "|",
    ">",
    "'",
    '"',
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    '"\\ud800"',
    '"\\x00"',
    "9" * 5000,
    ".nan",
    ".inf",
    "-.inf",
    "2001-02-30",
    "0b_",
    "1:60",
    "1_000",
    "0o7",
    "~",
    "null",
    "yes",
    "\x00",
    "\u2028",
    "\ufeff",
    "é",
    "m1",
    "x",
    "1",
    "-1",
    "1e999",
    "1.0e+999",
]


def _scalars():
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(ODD_NUMBERS),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(ODD_STRINGS),
    )


def _values():
    keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=8), st.integers(), st.booleans(), st.none())
    return st.recursive(
        _scalars(), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
    )


@st.composite
def _model(draw, index: int):
    """A valid model entry (named m<index>), a quarter of the time with some fields replaced, removed or added."""
    entry = {**VALID_MODEL, "name": f"m{index}"}
    if draw(st.integers(0, 3)):
        return entry
    for key in draw(st.lists(st.sampled_from(list(VALID_MODEL)), max_size=4, unique=True)):
        if draw(st.booleans()):
            del entry[key]
        else:
            entry[key] = draw(_values())
    if draw(st.integers(0, 9)) == 0:
        entry[draw(st.sampled_from([*FIELDS, "x"]))] = draw(_values())
    return entry


@st.composite
def _document(draw):
    """A pool-shaped structure: models with some fields replaced, removed or added, maybe odd top-level fields."""
    if draw(st.integers(0, 9)) == 0:
        return draw(_values())
    doc = {"models": [draw(_model(i)) for i in range(draw(st.integers(0, 5)))]}
    if draw(st.booleans()):
        doc[draw(st.sampled_from(["scorer", "colour", "models"]))] = draw(_values())
    return doc


class _NoAliasDumper(yaml.SafeDumper):
    """Writes a repeated object out again instead of as an anchor and alias (aliases get their own cases)."""

    def ignore_aliases(self, data):
        return True


def _dump(doc) -> bytes:
    text = yaml.dump(doc, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def _mutated(draw):
    """A valid pool's text with tokens inserted, bytes replaced and slices deleted or repeated."""
    data = bytearray(_dump(draw(_document())) if draw(st.booleans()) else _dump({"models": [VALID_MODEL]}))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "replace", "delete", "repeat"]))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(YAML_TOKENS)).encode("utf-8", "surrogatepass")
        elif op == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 40))] * draw(st.integers(1, 50))
    return bytes(data)


def _alias_bomb(levels: int, width: int) -> bytes:
    lines = ["a0: &a0 [lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return ("\n".join(lines) + f"\nmodels: *a{levels - 1}\n").encode()


def _nested(opener: str, depth: int) -> bytes:
    if opener == "block":
        return ("models:\n" + "".join(" " * (i + 1) + "- \n" for i in range(depth))).encode()
    return ("models: " + opener * depth).encode()


def _near_cap(delta: int) -> bytes:
    head = _dump({"models": [VALID_MODEL]})
    return head + b"#" * (MAX_POOL_BYTES - len(head) + delta - 1) + b"\n"


def _not_utf8(doc_bytes: bytes, at: int, byte: int, encoding: str) -> bytes:
    if encoding != "utf-8":
        return doc_bytes.decode("utf-8", "replace").replace("m1", "m\u00e9\u4e00").encode(encoding, "replace")
    at %= len(doc_bytes) + 1
    return doc_bytes[:at] + bytes([byte]) + doc_bytes[at:]


pool_files = st.one_of(
    _document().map(_dump),
    _document().map(_dump),  # twice: pool-shaped files are the ones that reach the field checks
    _mutated(),
    st.lists(st.sampled_from(YAML_TOKENS), max_size=80).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
    ),
    st.binary(max_size=2000),
    st.builds(_alias_bomb, st.integers(1, 12), st.integers(1, 10)),
    st.builds(_nested, st.sampled_from(["[", "{", "{a: ", "- ", "? ", "[{a: ", "block"]), st.integers(1, 600)),
    st.builds(_nested, st.sampled_from(["[", "{a: ", "- "]), st.integers(10_000, 400_000)),
    st.builds(_near_cap, st.integers(-2, 2)),
    st.builds(
        _not_utf8,
        _document().map(_dump),
        st.integers(0, 10_000),
        st.integers(0x80, 0xFF),
        st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252"]),
    ),
)
"""Bytes of a candidate pool file."""


def check_load(path) -> str:
    """'ok' or 'PoolError'; AssertionError when the outcome breaks the loader's contract, other exceptions propagate."""
    try:
        pool = load_pool(path)
    except PoolError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) <= MAX_ERROR_CHARS and message.isprintable(), message
        assert message.startswith(f"{path}: "), message  # names the file (paths here are short)
        return "PoolError"
    assert_sane(pool)
    return "ok"


def assert_sane(pool: Pool) -> None:
    """Every field of a loaded pool has the documented type and range."""
    assert isinstance(pool, Pool) and pool.models and len(set(pool.names)) == len(pool.names)
    for spec in pool.models:
        for key in ("name", "provider", "description"):
            assert isinstance(getattr(spec, key), str) and getattr(spec, key).strip()
        for key in ("input_price", "output_price", "latency_s"):
            value = getattr(spec, key)
            assert type(value) is float and math.isfinite(value) and value >= 0
        assert type(spec.context_window) is int and spec.context_window >= 1
        assert spec.max_tokens is None or (type(spec.max_tokens) is int and spec.max_tokens >= 1)
        assert spec.structured_output in ("json_schema", "json_object", "none")
        for key in ("model", "base_url", "api_key_env", "system_prompt"):
            assert getattr(spec, key) is None or isinstance(getattr(spec, key), str)
        assert isinstance(spec.options, dict)


_counter = itertools.count()


@settings(
    max_examples=200,
    deadline=timedelta(seconds=5),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=pool_files)
def test_load_pool_returns_a_pool_or_one_line_pool_error(data, tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "fuzz"
    folder.mkdir(exist_ok=True)
    path = folder / f"pool-{next(_counter)}.yaml"  # a new file each time: no cache hit on a reused inode
    path.write_bytes(data)
    started = time.perf_counter()
    check_load(path)
    assert time.perf_counter() - started < 2.0
    path.unlink()
