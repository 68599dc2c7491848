"""Pool files: loading and validation of the YAML that names the models RouteMoA may call.

The result is a `routemoa.spec.Pool` of `ModelSpec`s (the types live there). A pool is a YAML file::

    scorer: checkpoints/routerdc7     # optional, relative to this file
    models:
      - name: gpt-4o-mini
        provider: openai              # any OpenAI-compatible endpoint
        base_url: https://openrouter.ai/api/v1
        model: openai/gpt-4o-mini
        api_key_env: OPENROUTER_API_KEY
        input_price: 0.15             # dollars per million input tokens
        output_price: 0.60            # dollars per million output tokens
        latency_s: 2.0                # expected seconds per call
        context_window: 128000
        structured_output: json_schema  # or json_object, or none
        description: fast generalist, good at short factual answers

Pool files are untrusted input. `load_pool` reads regular files only (never a
FIFO, device or directory, and never blocks on one), at most MAX_POOL_BYTES,
UTF-8 only; YAML anchors, aliases and tags are refused and nesting and size
are bounded before anything is built; every field is type- and range-checked.
Every problem is a `PoolError` (a UserError: CLI exit 2, HTTP 400) of one line
of at most MAX_ERROR_CHARS characters that names the file, the model and the
field, with user values escaped and cut short.

Secrets: `api_key_env` names the variable whose value the provider sends, at
call time, to that same entry's `base_url` and nowhere else; the value never
enters a Pool, a state or a trace (see routemoa.redact for scrubbing echoes).
"""

from __future__ import annotations

import functools
import math
import os
import re
import stat
import unicodedata
import urllib.parse
from dataclasses import fields
from importlib import resources
from typing import Any

import yaml

from routemoa.errors import UserError
from routemoa.providers import provider_kinds
from routemoa.redact import one_line, show
from routemoa.spec import STRUCTURED_OUTPUT_MODES, ModelSpec, Pool

EMBEDDED_POOL = "embedded"
"""The pool name that means the pool shipped inside the package (local SmolLM2 roles)."""

PROVIDERS_NEEDING_ENDPOINT = {"openai"}

MAX_POOL_BYTES = 1 << 20
MAX_ERROR_CHARS = 300
MAX_YAML_DEPTH = 16
MAX_YAML_EVENTS = 20_000
"""Parser events (scalars, collection starts and ends) per file: about 700 models' worth."""
MAX_MODELS = 256
MAX_OPTIONS = 32
MAX_OPTION_ITEMS = 64
MAX_PRICE = 10_000.0
"""Dollars per million tokens."""
MAX_LATENCY_S = 3600.0
MAX_CONTEXT_WINDOW = 100_000_000
MAX_TEXT = {
    "name": 100,
    "provider": 64,
    "model": 200,
    "base_url": 2048,
    "api_key_env": 128,
    "description": 2_000,
    "system_prompt": 20_000,
    "scorer": 4096,
    "option": 4096,
}
"""Longest accepted string per field, in characters."""


class PoolError(UserError):
    """A pool file that cannot be used; one line that names file, model and field."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message, MAX_ERROR_CHARS))


# ---------------------------------------------------------------------------------------------- loading


def load_pool(path: str | os.PathLike | None = None) -> Pool:
    """Load and validate a pool file; None or `embedded` gives the embedded local pool.

    Parsed once per file version (device, inode, mtime, size); the variables
    named by `api_key_env` are checked on every call. I/O: one stat per call
    (and a bounded non-blocking read of a new version); prefer asyncio.to_thread
    from async code. It never reads the working directory for an absolute path,
    so LangGraph dev's blocking-call check (which allows stat) accepts it in the loop.
    """
    if path is None or str(path) == EMBEDDED_POOL:
        pool = _embedded_pool()
    else:
        where = os.fsdecode(os.fspath(path))
        info = _stat_pool_file(where)
        pool = _load_cached(where, info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)
    _check_keys_set(pool)
    return pool


def parse_pool(data: Any, where: str, base_dir: str | os.PathLike | None = None) -> Pool:
    """Validate an already-parsed pool document; `where` names it in errors.

    A relative `scorer` resolves against `base_dir` (the pool file's directory).
    """
    if not isinstance(data, dict):
        raise _error(where, "top level must be a mapping with a 'models' list")
    for key in data:
        if key not in ("models", "scorer"):
            raise _error(where, f"unknown top-level field {show(key)} (known: models, scorer)")
    raw_models = data.get("models")
    if not isinstance(raw_models, list) or not raw_models:
        raise _error(where, "field 'models' must be a non-empty list")
    if len(raw_models) > MAX_MODELS:
        raise _error(where, f"field 'models' has {len(raw_models)} entries, at most {MAX_MODELS} allowed")
    kinds = set(provider_kinds())
    specs = [_check_model(raw, i, where, kinds) for i, raw in enumerate(raw_models)]
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise _error(where, f"model {show(spec.name)}", "field 'name' is duplicated")
        seen.add(spec.name)
    return Pool(models=tuple(specs), source=where, scorer=_check_scorer(data.get("scorer"), where, base_dir))


def _stat_pool_file(where: str) -> os.stat_result:
    """stat() the path and refuse what is not a regular file of acceptable size (nothing is opened)."""
    try:
        info = os.stat(where)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise _error(where, f"cannot read pool file ({_reason(exc)})") from None
    _check_regular(info, where)
    return info


def _check_regular(info: os.stat_result, where: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise _error(where, f"cannot read pool file (it is {_file_kind(info.st_mode)}, not a regular file)")
    if info.st_size > MAX_POOL_BYTES:
        raise _error(where, f"pool file is larger than {MAX_POOL_BYTES} bytes")


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "a special file")


def _read_pool_bytes(where: str) -> bytes:
    """At most MAX_POOL_BYTES of a regular file; opened non-blocking and re-checked after opening."""
    try:
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except (OSError, ValueError) as exc:
        raise _error(where, f"cannot read pool file ({_reason(exc)})") from None
    try:
        _check_regular(os.fstat(fd), where)  # the path may have been swapped since the stat
        chunks, size = [], 0
        while size <= MAX_POOL_BYTES:
            chunk = os.read(fd, MAX_POOL_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _error(where, f"cannot read pool file ({_reason(exc)})") from None
    finally:
        os.close(fd)
    if size > MAX_POOL_BYTES:
        raise _error(where, f"pool file is larger than {MAX_POOL_BYTES} bytes")
    return b"".join(chunks)


@functools.lru_cache(maxsize=32)
def _load_cached(where: str, _dev: int, _ino: int, _mtime_ns: int, _size: int) -> Pool:
    """Read and parse a pool file once per version (the graph loads it on every step)."""
    raw = _read_pool_bytes(where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error(where, f"pool file is not UTF-8 (invalid byte at offset {exc.start})") from None
    return parse_pool(parse_yaml(text, where), where, base_dir=os.path.dirname(where))


@functools.lru_cache(maxsize=1)
def _embedded_pool() -> Pool:
    """The pool shipped in the package, parsed once."""
    text = resources.files("routemoa").joinpath("default_pool.yaml").read_text(encoding="utf-8")
    return parse_pool(parse_yaml(text, EMBEDDED_POOL), EMBEDDED_POOL)


def _check_keys_set(pool: Pool) -> None:
    for spec in pool.models:
        if spec.api_key_env and not os.environ.get(spec.api_key_env):
            raise _error(
                pool.source,
                f"model {show(spec.name)}",
                f"field 'api_key_env': environment variable {spec.api_key_env} is not set",
            )


# ---------------------------------------------------------------------------------------------- YAML

try:  # libyaml when PyYAML has it (it does in its wheels): the checks below stay fast on 1 MiB of anything
    from yaml import CSafeLoader as _Parser
except ImportError:
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]


class _PoolYamlLoader(_Parser):
    """SafeLoader that refuses duplicate keys (parse_yaml has already refused anchors, tags and deep nesting)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if (key_node.tag, key_node.value) in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {show(key_node.value)}", key_node.start_mark
                    )
                seen.add((key_node.tag, key_node.value))
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, where: str) -> Any:
    """One YAML document from untrusted text, or PoolError.

    A first pass over the parser's events refuses anchors, aliases, explicit
    tags, nesting deeper than MAX_YAML_DEPTH and more than MAX_YAML_EVENTS
    events, stopping at the first one (so time and memory stay bounded); only
    then is the document built.
    """
    try:
        depth = 0
        for count, event in enumerate(yaml.parse(text, Loader=_Parser)):
            line = f"line {event.start_mark.line + 1}" if event.start_mark else "an unknown line"
            if count >= MAX_YAML_EVENTS:
                raise _error(where, f"YAML has too many nodes (more than {MAX_YAML_EVENTS}) at {line}")
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise _error(where, f"YAML anchors and aliases are not allowed ({line})")
            tag = getattr(event, "tag", None)
            if tag is not None:
                raise _error(where, f"YAML tags are not allowed ({line}: {show(tag, 80)})")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise _error(where, f"YAML nested deeper than {MAX_YAML_DEPTH} levels ({line})")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.load(text, Loader=_PoolYamlLoader)
    except PoolError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = ", ".join(p for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p)
        raise _error(where, f"invalid YAML{at}{': ' + problem if problem else ''}") from None
    except (
        ValueError,
        OverflowError,
    ) as exc:  # a scalar that resolves but cannot be built: 2001-02-30, a 5000-digit int
        raise _error(where, f"invalid YAML value ({show(str(exc), 80)})") from None


# ---------------------------------------------------------------------------------------------- fields

_SPEC_FIELDS = {f.name: f for f in fields(ModelSpec)}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPTION_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_SINGLE_LINE_FORBIDDEN = {"Cc", "Cs", "Cf", "Zl", "Zp"}
_TEXT_FORBIDDEN = {"Cc", "Cs"}


def _check_model(raw: Any, index: int, where: str, known_providers: set[str]) -> ModelSpec:
    """Validate one raw model entry and build its ModelSpec."""
    if not isinstance(raw, dict):
        raise _error(where, f"models[{index}] must be a mapping, got {_type_name(raw)}")
    name = raw.get("name")
    label = f"model {show(name)}" if isinstance(name, str) and name.strip() else f"models[{index}]"

    def fail(key: str, problem: str) -> PoolError:
        return _error(where, label, f"field '{key}' {problem}")

    for key in raw:
        if key not in _SPEC_FIELDS:
            raise _error(where, label, f"unknown field {show(key)} (known: {', '.join(_SPEC_FIELDS)})")
    values = {key: value for key, value in raw.items() if value is not None}  # null means "not given"
    for key in ("name", "provider", "description"):
        if key not in values:
            raise fail(key, "is required and must be a non-empty string")
    spec: dict[str, Any] = {
        "name": _text(values["name"], "name", fail),
        "provider": _text(values["provider"], "provider", fail),
        "description": _text(values["description"], "description", fail, multiline=True),
    }
    if spec["provider"] not in known_providers:
        raise fail("provider", f"is {show(spec['provider'])}, expected one of {', '.join(sorted(known_providers))}")
    if spec["provider"] in PROVIDERS_NEEDING_ENDPOINT:
        for key in ("base_url", "model"):
            if key not in values:
                raise fail(key, f"is required for provider '{spec['provider']}'")
    for key in ("input_price", "output_price"):
        if key in values:
            spec[key] = _number(values[key], key, fail, 0.0, MAX_PRICE)
    if "latency_s" in values:
        spec["latency_s"] = _number(values["latency_s"], "latency_s", fail, 0.0, MAX_LATENCY_S)
    for key in ("context_window", "max_tokens"):
        if key in values:
            spec[key] = _number(values[key], key, fail, 1, MAX_CONTEXT_WINDOW, integer=True)
    if "model" in values:
        spec["model"] = _text(values["model"], "model", fail)
    if "base_url" in values:
        spec["base_url"] = _url(values["base_url"], fail)
    if "api_key_env" in values:
        env = _text(values["api_key_env"], "api_key_env", fail)
        if not _ENV_NAME.fullmatch(env):
            raise fail("api_key_env", f"must be an environment variable name (letters, digits, _), got {show(env)}")
        spec["api_key_env"] = env
    if "system_prompt" in values:
        spec["system_prompt"] = _text(values["system_prompt"], "system_prompt", fail, multiline=True)
    if "structured_output" in values:
        mode = values["structured_output"]
        if not isinstance(mode, str) or mode not in STRUCTURED_OUTPUT_MODES:
            raise fail("structured_output", f"must be one of {', '.join(STRUCTURED_OUTPUT_MODES)}, got {show(mode)}")
        spec["structured_output"] = mode
    if "options" in values:
        spec["options"] = _options(values["options"], fail)
    return ModelSpec(**spec)


def _text(value: Any, key: str, fail, multiline: bool = False) -> str:
    """A non-empty string of acceptable length without control characters (newlines and tabs only if multiline)."""
    limit = MAX_TEXT.get(key, MAX_TEXT["option"])
    if not isinstance(value, str) or not value.strip():
        raise fail(
            key, f"must be a non-empty string, got {show(value) if isinstance(value, str) else _type_name(value)}"
        )
    if len(value) > limit:
        raise fail(key, f"is {len(value)} characters long, at most {limit} allowed")
    forbidden = _TEXT_FORBIDDEN if multiline else _SINGLE_LINE_FORBIDDEN
    for ch in value:
        if unicodedata.category(ch) in forbidden and not (multiline and ch in "\t\n\r"):
            raise fail(key, f"contains the control character {show(ch)}")
    if not multiline and value != value.strip():
        raise fail(key, f"must not start or end with spaces, got {show(value)}")
    return value


def _number(value: Any, key: str, fail, low: float, high: float, integer: bool = False) -> Any:
    """A finite int (or float unless `integer`) within [low, high]; bools are not numbers."""
    kind = f"{'an integer' if integer else 'a number'} between {low:g} and {high:g}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise fail(
            key, f"must be {kind}, got {show(value) if isinstance(value, (bool, float, str)) else _type_name(value)}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(key, f"must be a finite number, got {value}")
    if not low <= value <= high:
        raise fail(key, f"must be {kind}, got {show(value)}")
    return float(value) if not integer else value


def _url(value: Any, fail) -> str:
    """An http(s) URL with a host and no credentials."""
    url = _text(value, "base_url", fail)
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise fail("base_url", f"is not a valid URL ({show(str(exc), 60)})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail("base_url", f"must be an http:// or https:// URL with a host, got {show(url, 80)}")
    if any(ch.isspace() for ch in url):
        raise fail("base_url", "must not contain spaces")
    if parts.username is not None or parts.password is not None:
        raise fail("base_url", "must not contain credentials (put the key in the variable named by api_key_env)")
    return url


def _options(value: Any, fail) -> dict[str, Any]:
    """Provider extras: a mapping of short names to scalars or short lists of scalars."""
    if not isinstance(value, dict):
        raise fail("options", f"must be a mapping, got {_type_name(value)}")
    if len(value) > MAX_OPTIONS:
        raise fail("options", f"has {len(value)} entries, at most {MAX_OPTIONS} allowed")
    for key, item in value.items():
        if not isinstance(key, str) or not _OPTION_KEY.fullmatch(key):
            raise fail("options", f"has an invalid key {show(key)} (letters, digits, _ . -)")
        items = item if isinstance(item, list) else [item]
        if len(items) > MAX_OPTION_ITEMS:
            raise fail(f"options.{key}", f"has {len(items)} items, at most {MAX_OPTION_ITEMS} allowed")
        for element in items:
            if isinstance(element, str):
                _text(element, f"options.{key}", fail)
            elif isinstance(element, float) and not math.isfinite(element):
                raise fail(f"options.{key}", f"must be finite, got {element}")
            elif isinstance(element, int) and not isinstance(element, bool) and abs(element) > 2**53:
                raise fail(f"options.{key}", f"is too large, got {show(element)}")
            elif not isinstance(element, (bool, int, float)) and element is not None:
                raise fail(
                    f"options.{key}", f"must be a string, number, boolean or a list of them, got {_type_name(element)}"
                )
    return dict(value)


def _check_scorer(value: Any, where: str, base_dir: str | os.PathLike | None) -> str | None:
    """The scorer checkpoint directory, relative to the pool file's directory, made absolute.

    Only a relative pool path makes this read the working directory.
    """
    if value is None:
        return None

    def fail(key: str, problem: str) -> PoolError:
        return _error(where, f"field '{key}' {problem}")

    scorer = _text(value, "scorer", fail)
    path = os.path.join(base_dir, scorer) if base_dir is not None else scorer
    if not os.path.isdir(path):
        raise fail("scorer", f"checkpoint directory {show(scorer, 80)} does not exist")
    return os.path.abspath(path)


# ---------------------------------------------------------------------------------------------- messages


def _error(where: str, *parts: str) -> PoolError:
    """PoolError '<file>: <part>: <part>' with the file name escaped and cut to its last 100 characters."""
    shown = one_line(where, 10_000)
    if len(shown) > 100:
        shown = "..." + shown[-97:]
    return PoolError(": ".join((shown, *parts)))


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else show(str(exc), 60)


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "null"}.get(type(value), type(value).__name__)
