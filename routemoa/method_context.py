"""The Context of a run of a method: the one check of knobs that come from outside.

CLI flags, HTTP requests, a parent graph and eval give a run's knobs as None, a
Context or a mapping; `context_for` turns them into the method's Context (the
method's defaults, the caller's values, and for a server's clients the
operator's policy). Every node reads its run's knobs with `run_context`, so
resuming or forking a thread with a new context takes effect from the next
node. This sits above `methods` and `limits`, which it needs, so that the
knobs themselves (`context.Context`) stay below both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from routemoa.context import CONTEXT_FIELDS, Context, KnobError, client_mode
from routemoa.errors import UserError
from routemoa.limits import apply_client_policy
from routemoa.methods import METHODS


def context_for(method: str, value: Any = None, *, client: bool = False) -> Context:
    """The Context of a run of `method` from what a caller gave: None (the method's defaults),
    a Context (a plain Context given to a baseline keeps the baseline's defaults for the
    knobs it leaves at Context's defaults), or a mapping of knob names (unknown names and
    wrong types are errors). `client=True`: the values come from a client of a server, so
    the operator's policy applies (named pools only, caps). Raises a UserError with one line."""
    if method not in METHODS:
        raise UserError(f"unknown method '{method}' (known: {', '.join(METHODS)})")
    cls = METHODS[method].context
    if isinstance(value, cls) and not client:
        return value
    if isinstance(value, Context):
        mapping = (
            value.explicit() if type(value) is not cls else {f.name: getattr(value, f.name) for f in fields(value)}
        )
    elif value is None:
        mapping = {}
    elif isinstance(value, Mapping):
        mapping = dict(value)
    else:
        raise UserError(
            f"the run's context is a {type(value).__name__}, not RouteMoA knobs: embed RouteMoA with "
            "routemoa.as_node(...), which maps your context to RouteMoA's"
        )
    unknown = sorted(str(k) for k in mapping if k not in CONTEXT_FIELDS)
    if unknown:
        name = unknown[0][:60]
        raise KnobError(name, f"invalid context: unknown field '{name}' (known: {', '.join(CONTEXT_FIELDS)})")
    ctx = cls(**mapping)
    if client:
        ctx = apply_client_policy(ctx, mapping.get("pool") or None)
    return ctx


RESOLVED = "_routemoa_resolved"
"""Attribute `run_context` sets on a server run's context: (method, the Context the policy gave), so that
the run's later nodes reuse it instead of checking the same knobs again (a thread hop and a pools listing each)."""


async def run_context(runtime, method: str) -> Context:
    """The Context of the node's run: `runtime.context` checked against `method`'s knobs."""
    value = runtime.context
    if client_mode(value):
        resolved = getattr(value, RESOLVED, None)
        if resolved is not None and resolved[0] == method:
            return resolved[1]
        ctx = await asyncio.to_thread(context_for, method, value, client=True)
        if isinstance(value, Context):  # built by the server for this run only
            setattr(value, RESOLVED, (method, ctx))
        return ctx
    return context_for(method, value)
