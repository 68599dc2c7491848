"""What a server's client may ask for: the operator's caps on work per request.

Every cap has a default and an environment variable the operator sets (or a
`routemoa serve` flag that sets it). A client request above a cap is refused
with one line that names the cap; it is never silently lowered. The CLI and
the Python API (the user owns the machine) are not capped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

from routemoa.context import CHECKED, KnobError
from routemoa.errors import UserError
from routemoa.methods import METHODS
from routemoa.operator_pools import default_pool_value, resolve_client_pool


@dataclass(frozen=True)
class Cap:
    """One operator cap: its environment variable and default."""

    env: str
    default: int
    what: str

    def value(self) -> int:
        """The operator's setting (environment), else the default; a bad setting is an error."""
        raw = os.environ.get(self.env)
        if raw is None or raw == "":
            return self.default
        try:
            value = int(raw)
        except ValueError:
            raise UserError(f"${self.env} must be a positive integer, got {raw[:40]!r}") from None
        if value < 1:
            raise UserError(f"${self.env} must be a positive integer, got {value}")
        return value


CAPS: dict[str, Cap] = {
    "max_layers": Cap("ROUTEMOA_CAP_MAX_LAYERS", 8, "layers per run"),
    "top_k": Cap("ROUTEMOA_CAP_TOP_K", 16, "models per layer"),
    "max_tokens": Cap("ROUTEMOA_CAP_MAX_TOKENS", 4096, "answer tokens per call"),
    "messages": Cap("ROUTEMOA_CAP_MESSAGES", 200, "messages per request"),
    "chars": Cap("ROUTEMOA_CAP_CHARS", 200_000, "characters per request"),
    "body_bytes": Cap("ROUTEMOA_CAP_BODY_BYTES", 2_000_000, "bytes per request body"),
}
"""Knob caps (`max_layers`, `top_k`, `max_tokens`) and request caps (`messages`, `chars`, `body_bytes`)."""


KNOB_CAPS = ("max_layers", "top_k", "max_tokens")
"""The caps on knobs of the run's context (the others bound the request itself)."""


def check_caps() -> None:
    """Check the operator's cap settings at server startup: each a positive integer, and no knob
    cap below a method's default (every request that leaves the knob unset would be refused)."""
    limits = {name: cap.value() for name, cap in CAPS.items()}
    for method, spec in METHODS.items():
        defaults: dict[str, Any] = {f.name: f.default for f in fields(spec.context)}
        for name in KNOB_CAPS:
            if defaults[name] > limits[name]:
                raise UserError(
                    f"${CAPS[name].env}={limits[name]} is below the default {name} {defaults[name]} of method "
                    f"'{method}': every request that leaves {name} unset would be refused"
                )


class CapExceeded(KnobError):
    """A request above one of the operator's caps; `status` is the HTTP status to answer with."""

    def __init__(self, name: str, message: str, status: int = 400):
        super().__init__(name, message)
        self.status = status


def check_cap(name: str, value: int) -> None:
    """Refuse `value` above the operator's cap `name` (one line naming the cap and its variable)."""
    cap = CAPS[name]
    limit = cap.value()
    if value > limit:
        status = 413 if name == "body_bytes" else 400
        raise CapExceeded(
            name, f"{name} {value} is above the operator's cap of {limit} {cap.what} (${cap.env})", status
        )


def apply_client_policy(ctx, asked_pool: str | None):
    """`ctx` as a client may run it: the pool it asked for (None, or the operator's own default
    value that a Context built from a client's mapping carries: the default) resolved among the
    operator's named pools, knobs within caps; marked as checked (`context.CHECKED`).
    I/O: lists the pools directory."""
    for name in KNOB_CAPS:
        check_cap(name, getattr(ctx, name))
    if asked_pool == default_pool_value():
        asked_pool = None
    try:
        pool = resolve_client_pool(asked_pool)
    except UserError as exc:
        raise KnobError("pool", str(exc)) from None
    checked = replace(ctx, pool=pool)
    object.__setattr__(checked, CHECKED, True)
    return checked
