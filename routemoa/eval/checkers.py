"""Answer checkers: is a model's answer right, given the benchmark's reference?

One function per kind (`math`, `gsm8k`, `choice`, `code`, `exact`, `normalized`),
each `(answer, reference) -> bool`, and `check(kind, answer, reference)`.
"""

from __future__ import annotations

import math
import os
import re
import string
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

from routemoa.errors import UserError

# ---------------------------------------------------------------- math / gsm8k

_NUMBER = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+"
_FRAC = r"-?\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\}"
_FINAL = re.compile(rf"(?P<frac>{_FRAC})|(?P<num>(?:{_NUMBER})(?:\s*/\s*(?:{_NUMBER}))?)")
_LATEX_NOISE = re.compile(r"\\left|\\right|\\!|\\,|\\;|\\:|\\ |\^\s*\{?\\circ\}?|\\displaystyle")
_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|mathrm|mbox|operatorname)\s*\{([^{}]*)\}")


def _last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` (or `\\fbox{...}`), braces balanced; None if absent."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        return None
    depth = 0
    for i in range(brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[brace + 1 : i]
    return None


def _clean(expr: str) -> str:
    """Strip dollar signs, LaTeX spacing and wrappers, `x =` prefixes and trailing dots."""
    expr = expr.replace("\\$", "").replace("$", "").replace("{,}", "").replace("\\%", "%")
    expr = _TEXT_WRAPPER.sub(r"\1", expr)
    expr = _LATEX_NOISE.sub("", expr)
    expr = re.sub(r"\\[dt]frac", r"\\frac", expr)
    expr = re.sub(r"\\frac(\d)(\d)", r"\\frac{\1}{\2}", expr)
    if "=" in expr:
        expr = expr.rsplit("=", 1)[1]
    return expr.strip().rstrip(".").strip()


def _to_number(expr: str) -> tuple[Fraction, bool] | None:
    """(value, had_percent) of a cleaned expression that is one number, maybe with a unit; else None."""
    frac = re.fullmatch(r"(-?)\\frac\s*\{\s*(-?[\d.,]+)\s*\}\s*\{\s*(-?[\d.,]+)\s*\}\s*(%?)", expr)
    if frac:
        try:
            value = Fraction(frac.group(2).replace(",", "")) / Fraction(frac.group(3).replace(",", ""))
        except (ValueError, ZeroDivisionError):
            return None
        return (-value if frac.group(1) else value), bool(frac.group(4))
    match = re.match(rf"({_NUMBER})(?:\s*/\s*({_NUMBER}))?\s*(%|percent)?(?:\s*[A-Za-z\\][\w\s^{{}}\\.]*)?$", expr)
    if not match:
        return None
    try:
        value = Fraction(match.group(1).replace(",", ""))
        if match.group(2):
            value /= Fraction(match.group(2).replace(",", ""))
    except (ValueError, ZeroDivisionError):
        return None
    return value, bool(match.group(3))


def _same_number(a: tuple[Fraction, bool], b: tuple[Fraction, bool]) -> bool:
    """Equal values; a percent on one side also matches its fraction (50% = 0.5)."""
    candidates = [(a[0], b[0])]
    if a[1] != b[1]:
        candidates.append((a[0] / 100, b[0]) if a[1] else (a[0], b[0] / 100))
    return any(math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-9) for x, y in candidates)


def final_math_answer(text: str) -> str:
    """The final answer of a solution: its last `\\boxed{}`, else its last number or fraction."""
    boxed = _last_boxed(text)
    if boxed is not None:
        return boxed
    matches = list(_FINAL.finditer(text.replace("\\$", "").replace("$", "")))
    return matches[-1].group(0) if matches else text.strip()


def _math_equal(answer: str, reference: str) -> bool:
    a, r = _clean(answer), _clean(reference)
    a_num, r_num = _to_number(a), _to_number(r)
    if a_num is not None and r_num is not None:
        return _same_number(a_num, r_num)
    squash = lambda s: re.sub(r"\s+", "", s).replace("\\frac", "frac").lower()  # noqa: E731
    return squash(a) == squash(r)


def check_math(answer: str, reference: str) -> bool:
    """MATH-style: the answer's final `\\boxed{}` (or final number) equals the reference in value or form."""
    reference = _last_boxed(reference) or reference
    return _math_equal(final_math_answer(answer), reference)


def _gsm8k_final(text: str) -> str | None:
    """The number after the last `####`, else the last number in the text."""
    if "####" in text:
        text = text.rsplit("####", 1)[1]
    numbers = re.findall(_NUMBER, text.replace("$", ""))
    return numbers[-1] if numbers else None


def check_gsm8k(answer: str, reference: str) -> bool:
    """GSM8K: the last number of the answer (or the one after `####`) equals the reference's."""
    a, r = _gsm8k_final(answer), _gsm8k_final(reference)
    if a is None or r is None:
        return False
    return math.isclose(float(a.replace(",", "")), float(r.replace(",", "")), rel_tol=1e-9, abs_tol=1e-9)


# ---------------------------------------------------------------- multiple choice

_ANSWER_IS = r"(?i:answer)\s*(?:is|:)\s*:?\s*[\(\[\*\s]*(?:(?i:option)\s+)?"
_CHOICE_PATTERNS = [
    # (pattern, take the last match): "The answer is (B)", "Answer: **C**", "Answer: d".
    (re.compile(_ANSWER_IS + r"([A-E])\b"), True),
    (re.compile(_ANSWER_IS + r"([a-e])(?=[\)\]\*.,:;]|\s*$)", re.MULTILINE), True),
    (re.compile(r"\*\*\(?([A-E])\)?[.:)]?\*\*"), False),  # **C**
    (re.compile(r"^\W*([A-Ea-e])\W*$"), False),  # the whole answer is one letter
    (re.compile(r"^\s*\(?([A-E])[\).:](?!\S)", re.MULTILINE), False),  # "B) wet palms", "(B) ..."
    (re.compile(r"\(([A-E])\)"), False),
]


def choice_letter(text: str) -> str | None:
    """The chosen option letter A–E of an answer, uppercase, or None."""
    for pattern, take_last in _CHOICE_PATTERNS:
        found = pattern.findall(text)
        if found:
            return found[-1 if take_last else 0].upper()
    return None


def check_choice(answer: str, reference: str) -> bool:
    """Multiple choice: the letter the answer picks equals the reference letter."""
    picked, truth = choice_letter(answer), choice_letter(reference)
    return picked is not None and picked == truth


# ---------------------------------------------------------------- code

_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)
_TAGGED = re.compile(r"\[PYTHON\](.*?)\[/PYTHON\]", re.DOTALL)

_PRELUDE = """\
import os, resource, socket, sys
resource.setrlimit(resource.RLIMIT_AS, ({mem}, {mem}))
def _no_network(*args, **kwargs):
    raise OSError("network access is disabled in the code checker")
class _NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        _no_network()
socket.socket = _NoSocket
socket.create_connection = socket.getaddrinfo = socket.socketpair = _no_network
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


def check_code(answer: str, reference: str, timeout_s: float = 10.0, memory_mb: int = 1024) -> bool:
    """MBPP-style: the answer's code followed by the reference's assert lines exits 0.

    Runs `python -I` in a fresh temp dir with an empty environment, no stdin, an
    address-space limit, sockets disabled, and a timeout that kills the process group.
    A guard against accidents, not a sandbox for hostile code.
    """
    program = extract_code(answer).replace("\r\n", "\n") + "\n\n" + reference.replace("\r\n", "\n") + "\n"
    with tempfile.TemporaryDirectory(prefix="routemoa-code-") as tmp:
        Path(tmp, "program.py").write_text(program)
        prelude = _PRELUDE.format(mem=memory_mb * 1024 * 1024)
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", prelude],
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


# ---------------------------------------------------------------- text

def check_exact(answer: str, reference: str) -> bool:
    """Identical after trimming surrounding whitespace."""
    return answer.strip() == reference.strip()


_PUNCT = str.maketrans({c: " " for c in string.punctuation})


def normalize_text(text: str) -> str:
    """Lowercase, punctuation removed, whitespace collapsed."""
    return " ".join(text.lower().translate(_PUNCT).split())


def check_normalized(answer: str, reference: str) -> bool:
    """Equal ignoring case, punctuation and whitespace."""
    return normalize_text(answer) == normalize_text(reference)


CHECKERS = {
    "math": check_math,
    "gsm8k": check_gsm8k,
    "choice": check_choice,
    "code": check_code,
    "exact": check_exact,
    "normalized": check_normalized,
}


def check(kind: str, answer: str, reference: str) -> bool:
    """Run the checker called `kind`; an unknown kind is a UserError."""
    try:
        checker = CHECKERS[kind]
    except KeyError:
        raise UserError(f"unknown checker '{kind}' (known: {', '.join(CHECKERS)})") from None
    return checker(answer, reference)
