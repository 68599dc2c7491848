"""Output paths of long commands, checked before the work: a folder that cannot be written is an error
at once, not after minutes of training, replaying or model calls."""

from __future__ import annotations

import tempfile
from pathlib import Path

from routemoa.errors import UserError


def writable_folder(path: str | Path, flag: str) -> Path:
    """`path`, created if missing; a UserError naming `flag` when nothing can be written there."""
    folder = Path(path)
    try:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(0, "not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise UserError(f"{flag}: cannot write to {folder} ({exc.strerror or exc})") from None
    return folder


def writable_file(path: str | Path, flag: str) -> Path:
    """`path` as a file to write later: not a folder, and its folder writable (created if missing)."""
    file = Path(path)
    if file.is_dir():
        raise UserError(f"{flag} {file}: is a folder; give a file name")
    writable_folder(file.parent, f"{flag} {file}")
    return file
