"""The pool as the steps of a run see it when its file is edited while the run is under way.

A run's first step (`score`) loads the pool file with `pool_at_start`: a file that does not
load fails the new run with its one-line error. Later steps read the file as it is now
(`run_pool`, `run_model`), so an edit applies from the next step on (the next layer picks
from the edited models), except that
- while the file does not load (a save half-written, a bad edit) they use the last version
  of it that did, with a warning in the log, so that the runs under way finish;
- a model removed after the run chose it (its layer's calls about to be sent or sent, or it
  ranked best and aggregates) keeps, for that step, the settings it was last loaded with.
"""

from __future__ import annotations

import dataclasses
import logging
import os

from routemoa.errors import UserError
from routemoa.pool import PoolError, load_pool
from routemoa.redact import show
from routemoa.spec import ModelSpec, Pool

log = logging.getLogger(__name__)

_LAST_LOADED: dict[str, Pool] = {}
"""Per pool reference: the last version that loaded in this process."""
_LAST_SPECS: dict[tuple[str, str], ModelSpec] = {}
"""Per (pool reference, model name): the model's settings in the last version that had it."""
_WARNED: dict[str, str] = {}
"""Per pool reference: the error last logged (each new error once, not once per step)."""


def _key(path: str | os.PathLike | None) -> str:
    return os.fsdecode(os.fspath(path)) if path is not None else ""


def _loaded(path: str | os.PathLike | None) -> Pool:
    pool = load_pool(path)
    key = _key(path)
    if _LAST_LOADED.get(key) is not pool:  # a new version (load_pool returns one object per version)
        _LAST_LOADED[key] = pool
        _LAST_SPECS.update(((key, spec.name), spec) for spec in pool.models)
    return pool


def pool_at_start(path: str | os.PathLike | None) -> Pool:
    """The pool for a run's first step: `load_pool`, and the version is remembered for the run's later steps."""
    return _loaded(path)


def run_pool(path: str | os.PathLike | None) -> Pool:
    """The pool for a later step of a run: the file as it is now, or while it does not load, the last version that did."""
    try:
        pool = _loaded(path)
    except PoolError as exc:
        last = _LAST_LOADED.get(_key(path))
        if last is None:
            raise
        if _WARNED.get(_key(path)) != str(exc):
            _WARNED[_key(path)] = str(exc)
            log.warning("%s; runs under way go on with the last version of the file that loaded", exc)
        return last
    _WARNED.pop(_key(path), None)  # loads again: a later breakage is logged even if it is the same
    return pool


def run_model(path: str | os.PathLike | None, name: str) -> ModelSpec:
    """Model `name` for a later step of a run: from `run_pool`, or, if an edit removed it, as last loaded."""
    return _model(run_pool(path), _key(path), name)


def run_models(path: str | os.PathLike | None, names: list[str]) -> Pool:
    """The pool of `names` (a layer's picks), each as `run_model` gives it, in order, each once."""
    pool = run_pool(path)
    return dataclasses.replace(pool, models=tuple(_model(pool, _key(path), name) for name in dict.fromkeys(names)))


def _model(pool: Pool, key: str, name: str) -> ModelSpec:
    if name in pool.names:
        return pool.get(name)
    spec = _LAST_SPECS.get((key, name))
    if spec is None:  # e.g. a run resumed in a new process after the edit
        raise UserError(f"{pool.source}: model {show(name)} is no longer in the pool")
    return spec
