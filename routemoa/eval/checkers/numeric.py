"""The `math` and `gsm8k` checkers: the answer's final mathematical answer against the reference."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

from routemoa.eval.checkers.equivalence import equivalent
from routemoa.eval.checkers.text import final_statement, last_boxed, strip_wrapping

_MATH_SEGMENT = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_TRAILING_WORDS = re.compile(r"(?<![\\A-Za-z])(?:\s*(?<!\\)\b[A-Za-z]{2,}\.?)+\s*$")
_SPACING = re.compile(r"\\[,;:! ]|\\left|\\right|\\displaystyle|\{,\}")
_INTEGER = re.compile(r"[-−]?\d+")
_FIRST_CLAUSE = re.compile(r"(?<!\d)[.。;；](?!\d)|\s\(|（")
_NUMBER = re.compile(r"(?<![\d.:])[-−]?\d+(?:,\d{3})*(?:\.\d+)?(?![\d:]|,\d)")


def _segments(text: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in _MATH_SEGMENT.finditer(text)]


def _strip_units(expr: str) -> str:
    """`7 apples` -> `7`; LaTeX commands such as `\\pi` are kept."""
    stripped = _TRAILING_WORDS.sub("", expr).strip()
    return stripped or expr


def final_math_answers(text: str) -> list[str]:
    """Expressions that may be the final answer, most explicit first: the last `\\boxed{}` alone, else
    the closing statement (its last math segment, or its text without trailing words), else a short
    answer as a whole and the last math segment. Empty when none is there."""
    boxed = last_boxed(text)
    if boxed is not None:
        return [boxed]
    statement = final_statement(text)
    if statement is not None:
        segments = _segments(statement)
        plain = _strip_units(strip_wrapping(_FIRST_CLAUSE.split(statement, 1)[0]))  # "5 (not 6)." -> "5"
        return [s for s in ([segments[-1]] if segments else []) + [plain] if s.strip()]
    stripped = strip_wrapping(text)
    candidates = [_strip_units(stripped)] if "\n" not in stripped and len(stripped) <= 80 else []
    segments = _segments(text)
    return candidates + segments[-1:]


def _squash(expr: str) -> str:
    """Expression without spacing commands, `$`, spaces and a leading `x =`, for a literal comparison."""
    expr = _SPACING.sub("", expr).replace("$", "").replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    expr = re.sub(r"\\(?:text|mathrm|textbf|mbox)\{([^{}]*)\}", r"\1", expr)
    return re.sub(r"\s+", "", expr.split("=")[-1]).rstrip(".").lower()


def math_equal(answer: str, reference: str) -> bool:
    """Same expression literally, same integer exactly, or equivalent per math-verify."""
    a, r = _squash(answer), _squash(reference)
    if a == r and a:
        return True
    ints = [re.sub(r"(?<=\d),(?=\d{3})", "", s) for s in (a, r)]
    if all(_INTEGER.fullmatch(s) for s in ints):
        return _canonical_integer(ints[0]) == _canonical_integer(ints[1])
    return equivalent(reference, answer)


def _canonical_integer(literal: str) -> str:
    """An integer literal's sign and ASCII digits (any script's, as int() reads them) without leading
    zeros: compared as text, since an answer's 5,000-digit number is past what int() converts."""
    digits = "".join(str(unicodedata.decimal(ch)) for ch in literal.lstrip("-−")).lstrip("0") or "0"
    return digits if digits == "0" or literal[0] not in "-−" else "-" + digits


def check_math(item: dict, answer: str) -> float:
    """MATH-style: a final-answer candidate of the answer equals the reference (its `\\boxed{}` if it has one)."""
    reference = item.get("reference") or ""
    reference = last_boxed(reference) or reference
    if any(math_equal(candidate, reference) for candidate in final_math_answers(answer)):
        return 1.0
    if last_boxed(answer) is None and final_statement(answer) is None:  # math-verify's own extraction
        return float(equivalent(reference, answer, answer_is_text=True))
    return 0.0


def _clean_number_text(text: str) -> str:
    return _SPACING.sub("", text).replace("$", "").replace("\\%", "%").replace("−", "-")


def _first_number(text: str) -> Fraction | None:
    found = _NUMBER.search(_clean_number_text(text))
    return _fraction(found.group(0)) if found else None


def _fraction(literal: str) -> Fraction | None:
    """A number literal as an exact Fraction; None past the digits int() converts (4,300): an answer's
    5,000-digit number is no number a reference holds, and must not stop the grading."""
    try:
        return Fraction(literal.replace(",", ""))
    except ValueError:
        return None


def gsm8k_final_number(text: str) -> Fraction | None:
    """The answer's final number: after its last `####`, in its last `\\boxed{}`, in the first clause of
    its closing statement (after an `=` there), else its last number. Times such as `5:00` are not numbers."""
    if "####" in text:
        return _first_number(text.rsplit("####", 1)[1])
    boxed = last_boxed(text)
    if boxed is not None:
        return _first_number(boxed.split("=")[-1])
    statement = final_statement(text)
    if statement is not None:
        head = _FIRST_CLAUSE.split(statement, 1)[0]  # "18. (Check: 9 × 2 = 18 ...)" -> "18"
        for part in (head.split("=")[-1], head, statement):
            if (found := _first_number(part)) is not None:
                return found
    numbers = _NUMBER.findall(_clean_number_text(text))
    return _fraction(numbers[-1]) if numbers else None


def check_gsm8k(item: dict, answer: str) -> float:
    """GSM8K: the answer's final number equals the reference's (after `####`), exactly."""
    got, want = gsm8k_final_number(answer), gsm8k_final_number(item.get("reference") or "")
    return float(got is not None and got == want)
