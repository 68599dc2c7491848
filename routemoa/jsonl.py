"""Reading JSON and JSONL input files: one clear error naming the file (and line) for what cannot be read."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from routemoa.errors import UserError


def read_text(path: str | os.PathLike, what: str) -> str:
    """The UTF-8 text of a file; a UserError naming it (and `what` it is) when it cannot be read."""
    file = Path(path)
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{file}: cannot read {what} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{file}: {what} is not UTF-8 (invalid byte at offset {exc.start})") from None


def parse_json(text: str, where: str) -> Any:
    """`text` decoded as JSON; a UserError starting with `where` when it is not JSON Python can hold."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        line = f" at line {exc.lineno}" if "\n" in text.strip() else ""
        raise UserError(f"{where}: invalid JSON{line} ({exc.msg})") from None
    except RecursionError:
        raise UserError(f"{where}: invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # an integer literal too long to convert
        raise UserError(f"{where}: invalid JSON (a number too long to read: {str(exc).split(':')[0]})") from None


def read_lines(path: str | os.PathLike, what: str) -> Iterator[tuple[str, Any]]:
    """(`FILE:LINE`, decoded value) per non-blank line; `what` names the file kind in errors."""
    for number, line in enumerate(read_text(path, what).splitlines(), start=1):
        if line.strip():
            where = f"{Path(path)}:{number}"
            yield where, parse_json(line, where)
