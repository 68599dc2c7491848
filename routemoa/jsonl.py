"""Reading JSONL input files: one JSON value per line, errors naming the file and line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from routemoa.errors import UserError


def read_lines(path: str | os.PathLike, what: str) -> Iterator[tuple[str, Any]]:
    """(`FILE:LINE`, decoded value) per non-blank line; `what` names the file kind in errors."""
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"{file}: cannot read {what} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{file}: {what} is not UTF-8 (invalid byte at offset {exc.start})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{file}:{number}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}: invalid JSON ({exc.msg})") from None
        except RecursionError:
            raise UserError(f"{where}: invalid JSON (nested too deeply)") from None
        except ValueError as exc:  # an integer literal too long to convert
            raise UserError(f"{where}: invalid JSON (a number too long to read: {str(exc).split(':')[0]})") from None
