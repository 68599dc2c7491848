"""Pools belong to the operator: under a server a client names a pool, it never gives a path.

The operator configures, in the server's environment (`routemoa serve --pools DIR
--pool NAME` sets both):

- `ROUTEMOA_POOLS`: a directory of pool files; the pool NAME is the file NAME.yaml
  in it (names: letters, digits, '.', '_', '-'; at most 64 characters; other
  files are ignored). A relative directory is taken from the working directory.
- `ROUTEMOA_POOL`: the default pool: a NAME of that directory, `embedded` (the
  local pool shipped in the package), or a path the operator chose (relative to
  the working directory). Unset means `embedded`.

A client may ask for a name of the directory or the default pool's name
(`embedded`, or the stem of the default's file); anything else (a path, '..',
a separator, an unknown name, `embedded` when the operator made it neither the
default nor a directory file) raises PoolNotAllowed (a UserError: HTTP 4xx) with
one line that lists the allowed names, and no file is opened for it. A
directory file always wins over another meaning of its name (a file
`embedded.yaml` is an ordinary pool called `embedded`).

I/O: `is_server_process` and `check_pool_name` read only the environment and
strings (safe inside an event loop). `allowed_pool_names`, `resolve_client_pool`,
`resolve_operator_pool` and `default_pool_reference` list the pools directory
and may read the working directory: call them with `asyncio.to_thread` from
async code. None of them opens a pool file or resolves symlinks.
"""

from __future__ import annotations

import os
import re

from routemoa.errors import UserError
from routemoa.pool import EMBEDDED_POOL
from routemoa.redact import one_line, show

POOLS_DIR_ENV = "ROUTEMOA_POOLS"
"""Directory of the operator's pool files (NAME.yaml)."""
POOL_ENV = "ROUTEMOA_POOL"
"""The operator's default pool: a NAME of the directory, `embedded`, or a path."""
SERVER_ENV = "ROUTEMOA_SERVER"
"""Set to 1 by `routemoa serve`: this process serves clients."""
LANGGRAPH_SERVER_ENV = "LANGSERVE_GRAPHS"
"""Set by every LangGraph API server (`langgraph dev`, `langgraph up`, the production image)."""

POOL_SUFFIX = ".yaml"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_MAX_LISTED = 20
"""Names quoted in an error line at most; the rest are counted."""


class PoolNotAllowed(UserError):
    """A client asked for a pool that is not one of the operator's names (HTTP 400)."""


class OperatorConfigError(RuntimeError):
    """The operator's pool configuration itself is broken (e.g. ROUTEMOA_POOLS is not a directory).

    Not a UserError: under a server it is the operator's fault (HTTP 500, logged);
    `routemoa serve` should check it at startup with `check_operator_config`.
    """


def is_server_process() -> bool:
    """True inside a server whose clients must not choose files (no I/O).

    LangGraph's servers set LANGSERVE_GRAPHS; `routemoa serve` also sets ROUTEMOA_SERVER=1.
    """
    return bool(os.environ.get(LANGGRAPH_SERVER_ENV)) or os.environ.get(SERVER_ENV) == "1"


def is_pool_name(value: object) -> bool:
    """Whether `value` has the shape of a pool name (no I/O; says nothing about existence)."""
    return isinstance(value, str) and _NAME.fullmatch(value) is not None and ".." not in value


def pools_dir() -> str | None:
    """The operator's pools directory as an absolute path, or None when ROUTEMOA_POOLS is unset.

    I/O: os.path.abspath reads the working directory for a relative value.
    """
    value = os.environ.get(POOLS_DIR_ENV)
    return os.path.abspath(value) if value else None


def _listed_pool_file(name: str) -> str:
    """The file of a pool NAME that `directory_pool_names` listed (so the directory is set)."""
    folder = pools_dir()
    assert folder is not None, "a listed pool name means ROUTEMOA_POOLS is set"
    return os.path.join(folder, name + POOL_SUFFIX)


def directory_pool_names() -> list[str]:
    """Names of the pool files in ROUTEMOA_POOLS, sorted (I/O: lists the directory).

    Raises OperatorConfigError when the directory cannot be listed.
    """
    folder = pools_dir()
    if folder is None:
        return []
    try:
        with os.scandir(folder) as entries:
            names = [
                entry.name[: -len(POOL_SUFFIX)]
                for entry in entries
                if entry.name.endswith(POOL_SUFFIX) and entry.is_file()
            ]
    except OSError as exc:
        raise OperatorConfigError(
            one_line(f"{POOLS_DIR_ENV}={folder}: cannot list the pools directory ({exc.strerror or exc})")
        ) from None
    return sorted(n for n in names if is_pool_name(n))


def resolve_operator_pool(value: str) -> str:
    """The pool reference for an operator-written value (ROUTEMOA_POOL, `routemoa serve --pool`).

    A NAME of the pools directory -> that file's absolute path; `embedded` -> `embedded`;
    anything else is a path, relative to the working directory -> absolute path
    (not checked here: `load_pool` reports a missing or bad file). I/O: lists the
    directory, may read the working directory.
    """
    if is_pool_name(value) and value in directory_pool_names():
        return _listed_pool_file(value)
    if value == EMBEDDED_POOL:
        return EMBEDDED_POOL
    return os.path.abspath(value)


def default_pool_value() -> str:
    """What the operator set as default pool (ROUTEMOA_POOL), `embedded` when unset (no I/O)."""
    return os.environ.get(POOL_ENV) or EMBEDDED_POOL


def default_pool_reference() -> str:
    """The default pool's reference (a path or `embedded`), for requests that name no pool (I/O)."""
    return resolve_operator_pool(default_pool_value())


def default_pool_name() -> str | None:
    """The name a client may use for the default pool: its directory name, `embedded`, or its file stem.

    None when the default is a file whose stem is not a valid pool name (then
    clients reach it only by naming no pool). No I/O.
    """
    value = default_pool_value()
    if is_pool_name(value):
        stem = value
    else:
        stem = os.path.basename(value)
        if stem.endswith(POOL_SUFFIX):
            stem = stem[: -len(POOL_SUFFIX)]
    return stem if is_pool_name(stem) else None


def allowed_pool_names() -> list[str]:
    """Every pool name a client may ask for, sorted (I/O: lists the pools directory)."""
    names = set(directory_pool_names())
    default = default_pool_name()
    if default:
        names.add(default)
    return sorted(names)


def resolve_client_pool(name: str | None) -> str:
    """The operator's pool reference (absolute path or `embedded`) for a client's pool choice.

    None means the operator's default. Anything that is not an allowed name raises
    PoolNotAllowed with one line listing the allowed names; no pool file is opened
    (I/O: lists the pools directory, may read the working directory).
    """
    if name is None:
        return default_pool_reference()
    directory = directory_pool_names()
    if is_pool_name(name):
        if name in directory:
            return _listed_pool_file(name)
        if name == default_pool_name():
            return default_pool_reference()
    raise PoolNotAllowed(_not_allowed_message(name, directory))


def _not_allowed_message(name: object, directory: list[str]) -> str:
    names = set(directory)
    default = default_pool_name()
    if default:
        names.add(default)
    ordered = sorted(names)
    listed = ", ".join(ordered[:_MAX_LISTED])
    if len(ordered) > _MAX_LISTED:
        listed += f" (+{len(ordered) - _MAX_LISTED} more)"
    hint = f"; omit it for the default{f' ({default})' if default else ''}"
    return one_line(f"pool {show(name)} is not available on this server; choose one of: {listed or '(none)'}{hint}")


def check_operator_config() -> list[str]:
    """Check the operator's pool settings at server startup; the allowed names.

    Raises UserError (one line) when ROUTEMOA_POOLS is set but is not a readable
    directory, or when ROUTEMOA_POOL is neither `embedded`, a directory name nor
    an existing file. Pool contents are checked by `load_pool`. I/O.
    """
    try:
        names = allowed_pool_names()
    except OperatorConfigError as exc:
        raise UserError(str(exc)) from None
    reference = default_pool_reference()
    if reference != EMBEDDED_POOL and not os.path.isfile(reference):
        raise UserError(
            one_line(
                f"{POOL_ENV}={show(default_pool_value(), 120)}: not a pool name of {POOLS_DIR_ENV}, not 'embedded' and no such file"
            )
        )
    return names
