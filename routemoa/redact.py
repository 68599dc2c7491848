"""Keep secrets out of everything RouteMoA writes, and keep error texts to one line.

Where a key may go is structural: a provider reads the variable named by a
model entry's `api_key_env` at call time and sends it only to that same
entry's `base_url`; under a server, clients choose pools only by name among the
operator's files (routemoa.operator_pools), so every (variable, URL) pair was
written by the operator. What a provider sends back (an error that echoes the
Authorization header, say) is untrusted: pass every error text, trace entry,
bill, checkpointed record, log line and HTTP response through `scrub` /
`scrub_data` with `secret_values(pool)` before it leaves the process, and
scrub before `one_line` (cutting first could leave the start of a key behind).

All functions here are pure (no I/O) except `secret_values`, which reads
`os.environ` (no blocking).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routemoa.spec import Pool

REDACTED = "[REDACTED]"
"""What a secret value is replaced with."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not scrubbed: replacing 'a' or '1' everywhere would garble every text."""

ELLIPSIS = "..."


def secret_values(pool: Pool) -> list[str]:
    """Current values of the environment variables the pool's `api_key_env` fields name.

    Only non-empty values of at least MIN_SECRET_LENGTH characters; longest first,
    so that a secret containing another is replaced whole. Read at call time:
    a rotated key is scrubbed from the next call on.
    """
    values = {os.environ.get(spec.api_key_env, "") for spec in pool.models if spec.api_key_env}
    return sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=lambda v: (-len(v), v))


def scrub(text: str, secrets: list[str]) -> str:
    """`text` with every occurrence of each secret replaced by [REDACTED]."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def scrub_data(value: Any, secrets: list[str]) -> Any:
    """A copy of a JSON-like structure (dicts, lists, tuples, strings, scalars) with secrets scrubbed.

    Strings anywhere (values and dict keys) are scrubbed; other scalars are kept
    as they are. With no secrets the value is returned unchanged (no copy).
    Meant for records, traces, bills and responses before they are stored or sent.
    """
    if not secrets:
        return value
    ordered = sorted((s for s in secrets if s), key=len, reverse=True)
    return _scrub_walk(value, ordered)


def _scrub_walk(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {_scrub_walk(k, secrets): _scrub_walk(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_walk(v, secrets) for v in value]
    if isinstance(value, tuple):
        return tuple(_scrub_walk(v, secrets) for v in value)
    return value


def one_line(text: str, limit: int = 300) -> str:
    """`text` as one printable line of at most `limit` characters.

    Runs of whitespace (newlines included) become one space; characters that
    are not printable (controls, format characters such as U+202E, surrogates,
    unassigned ones) become `\\xNN`/`\\uNNNN` escapes; a longer text is cut and
    ends with '...'.
    """
    line = "".join(ch if ch.isprintable() else _escape(ch) for ch in " ".join(str(text).split()))
    if len(line) <= limit:
        return line
    return line[: max(0, limit - len(ELLIPSIS))] + ELLIPSIS


_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (all but tab and newline: ESC starts terminal escape sequences) and the bidi overrides
that reorder what a terminal shows."""


def for_terminal(text: str) -> str:
    """Untrusted text (a model's answer) safe to print: its lines as they are, control characters and bidi
    overrides shown as escapes, so an answer cannot clear the screen, retitle the window or set the clipboard."""
    return _TERMINAL_UNSAFE.sub(lambda match: _escape(match.group(0)), text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def show(value: Any, limit: int = 40) -> str:
    """A user-supplied value for an error message: ASCII-escaped repr, cut to `limit` characters."""
    text = _safe_repr(value)
    if len(text) > limit:
        text = text[: max(0, limit - len(ELLIPSIS))] + ELLIPSIS
    return text


def _safe_repr(value: Any) -> str:
    """repr() that never fails and never builds a huge string (long ints, big containers)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"<integer of {value.bit_length()} bits>"
    if isinstance(value, str):
        return ascii(value[:200])
    if isinstance(value, (dict, list, tuple, set, bytes)):
        return f"<{type(value).__name__} of {len(value)} items>"
    return ascii(value)[:200]


class StreamScrubber:
    """Scrub a text that arrives in pieces (streamed tokens): a secret split across pieces is still replaced.

    `feed` returns what can be shown now; the tail that could be the start of a secret is held back
    until the next piece shows whether it is one. `flush` returns the rest at the end of the stream.
    """

    def __init__(self, secrets: list[str]):
        self.secrets = sorted((s for s in secrets if s), key=len, reverse=True)
        self.pending = ""

    def feed(self, piece: str) -> str:
        """The scrubbed text that is safe to show after `piece` arrived."""
        raw = self.pending + piece
        cut = self._safe_cut(raw)
        self.pending = raw[cut:]
        return scrub(raw[:cut], self.secrets)

    def flush(self) -> str:
        """Whatever was held back (scrubbed), at the end of the stream."""
        rest, self.pending = scrub(self.pending, self.secrets), ""
        return rest

    def _safe_cut(self, raw: str) -> int:
        """Where `raw` may be cut: before its longest end that could still grow into a secret,
        and never inside a secret (so scrubbing the parts equals scrubbing the whole)."""
        cut = len(raw)
        for size in range(min(len(raw), max((len(s) for s in self.secrets), default=1) - 1), 0, -1):
            if any(len(s) > size and s.startswith(raw[-size:]) for s in self.secrets):
                cut = len(raw) - size
                break
        moved = True
        while moved:
            moved = False
            for secret in self.secrets:
                start = raw.find(secret, max(0, cut - len(secret) + 1))
                if start != -1 and start < cut:
                    cut, moved = start, True
        return cut
