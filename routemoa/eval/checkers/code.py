"""The `code` checker: the answer's program followed by the reference's tests, run in a limited subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)
_TAGGED = re.compile(r"\[PYTHON\](.*?)\[/PYTHON\]", re.DOTALL)

_BLOCKED_EVENTS = (
    "socket.__new__",
    "socket.connect",
    "socket.bind",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "pty.spawn",
    "ctypes.dlopen",
)

# Runs in the child before the program: limits, then an audit hook that refuses network and new processes.
_PRELUDE = """\
import resource, sys
for _name, _value in {limits!r}:
    resource.setrlimit(getattr(resource, _name), (_value, _value))
_BLOCKED = frozenset({blocked!r})
def _guard(event, args):
    if event in _BLOCKED:
        raise PermissionError(f"{{event}} is disabled in the code checker")
sys.addaudithook(_guard)
del _guard, _name, _value
sys.argv = ["program.py"]
with open("program.py") as _f:
    _source = _f.read()
exec(compile(_source, "program.py", "exec"), {{"__name__": "__main__"}})
"""


def extract_code(answer: str) -> str:
    """The program in an answer: the first fenced (or [PYTHON]-tagged) block that defines something,
    else all blocks joined, else the whole answer."""
    blocks = _FENCE.findall(answer) or _TAGGED.findall(answer)
    if not blocks:
        return answer
    for block in blocks:
        if re.search(r"^\s*(?:def|class)\s", block, re.MULTILINE):
            return block
    return "\n\n".join(blocks)


def run_program(
    program: str, *, timeout_s: float = 10.0, cpu_s: int = 10, memory_mb: int = 1024, file_mb: int = 16
) -> bool:
    """Whether `program` exits 0 under `python -I` in a fresh temp dir: empty environment, no stdin,
    RLIMIT_CPU / AS / FSIZE / NPROC (0: no new process or thread; not enforced for root), sockets and
    process creation refused by an audit hook, and a wall timeout that kills the process group.
    A guard against accidents, not a sandbox for hostile code."""
    limits = [
        ("RLIMIT_CPU", cpu_s),
        ("RLIMIT_AS", memory_mb * 1024 * 1024),
        ("RLIMIT_FSIZE", file_mb * 1024 * 1024),
        ("RLIMIT_NPROC", 0),
    ]
    with tempfile.TemporaryDirectory(prefix="routemoa-code-") as tmp:
        Path(tmp, "program.py").write_text(program)
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _PRELUDE.format(limits=limits, blocked=_BLOCKED_EVENTS)],
            cwd=tmp,
            env={},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=timeout_s) == 0
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            return False


def check_code(item: dict, answer: str) -> float:
    """MBPP-style: the answer's code followed by the reference's assert lines exits 0."""
    program = extract_code(answer).replace("\r\n", "\n") + "\n\n" + (item.get("reference") or "").replace("\r\n", "\n")
    return float(run_program(program + "\n"))
