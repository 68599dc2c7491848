"""The `choice` checker: which option (A–Z, or an option's text) does the answer commit to?"""

from __future__ import annotations

import re
import string
import unicodedata

from routemoa.eval.checkers.text import contains_in_order, final_answer_candidates, last_boxed, strip_wrapping, tokens

_L = r"(?P<letter>(?-i:[A-Z])|(?-i:[a-z])(?=[).:：,，;。*\n]|\s*$))"
"""An option letter: a capital, or a small letter only when punctuation follows ("Answer: d", not "is a")."""
_END = r"(?![A-Za-z0-9])"
_LEAD = r"[\s*_`\"'“”‘’(（\[【{:：]*"
_CHOICE_PATTERNS = [
    # explicit closing statements: "The answer is (B)", "Answer: **C**", "答案：C", "故选C", "the correct option is B"
    re.compile(
        r"(?:final\s+answer|correct\s+(?:answer|option|choice)|answer|最终答案|正确答案|正确选项|答案|应选|故选|选择|选)"
        r"\s*(?:\*\*)?\s*(?:is|would\s+be|should\s+be|:|：|是|为|為|应为|应该是)?\s*(?:\*\*)?"
        + _LEAD
        + r"(?:option|choice|选项)?\s*"
        + _LEAD
        + _L
        + _END,
        re.IGNORECASE,
    ),
    re.compile(r"\"answer\"\s*:\s*\"\s*\(?" + _L + _END),
    re.compile(r"(?:^|[\s(（*])" + _L + r"\)?\*{0,2}\s+(?:is|would\s+be)\s+(?:the\s+)?(?:correct|right|best|answer)\b"),
    re.compile(
        r"\b(?:option|choice)\s*\(?" + _L + r"\)?" + _END + r"(?!\s+(?:is|was|are)\s+(?:not\b|incorrect|wrong|false))",
        re.IGNORECASE,
    ),
    re.compile(r"\*\*\s*\(?" + _L + r"(?:[).:：、．]|\*\*|\s)"),  # **B**, **B. text**, **(B) text**
]
_LEADING_LETTER = re.compile(
    r"^" + _LEAD + r"(?:option\s*)?" + _L + r"(?:$|[).:：、．。,，]|[^\x00-\x7f])", re.IGNORECASE
)
_LONE_LETTER = re.compile(
    r"\(" + _L + r"\)|(?<![A-Za-z'’])" + _L.replace("letter", "letter2") + r"(?=[).:：．]\s|[).：．]?$)"
)
_SHORT_LINE = 40
"""A bare letter ("... go with B.") counts only on a last line this short; "(B)" on any last line."""


def _letters(item: dict) -> str:
    return string.ascii_uppercase[: len(item.get("choices") or []) or 26]


def _upper(letter: str | None, allowed: str) -> str | None:
    if letter is None:
        return None
    letter = unicodedata.normalize("NFKC", letter).upper()
    return letter if letter in allowed else None


def choice_letter(text: str, allowed: str = string.ascii_uppercase) -> str | None:
    """The option letter an answer commits to, or None. Order: `\\boxed{}`; the last explicit statement
    ("answer is B", "答案：C", `"answer": "B"`), "B is correct", "Option B", `**B. text**`; a "(B)" (or
    a bare letter on a short line) on the answer's last line; a reply that starts with a letter ("A.正确")."""
    text = unicodedata.normalize("NFKC", text or "")
    boxed = last_boxed(text)
    if boxed is not None:
        found = _LEADING_LETTER.match(re.sub(r"\\text\w*\{([^{}]*)\}", r"\1", boxed).strip())
        if found and _upper(found.group("letter"), allowed):
            return _upper(found.group("letter"), allowed)
    for pattern in _CHOICE_PATTERNS:
        letters = [_upper(m.group("letter"), allowed) for m in pattern.finditer(text)]
        letters = [x for x in letters if x]
        if letters:
            return letters[-1]
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        for match in reversed(list(_LONE_LETTER.finditer(lines[-1]))):
            if match.group("letter2") and len(lines[-1].strip()) > _SHORT_LINE:
                continue
            letter = _upper(match.group("letter") or match.group("letter2"), allowed)
            if letter:
                return letter
    first = _LEADING_LETTER.match(text.strip())
    if first and (first.group("letter").isupper() or len(text.strip()) <= 3):
        return _upper(first.group("letter"), allowed)
    return None


def _option_by_text(item: dict, text: str) -> str | None:
    """The letter of the one option whose text the answer's final answer states, or None."""
    choices = [tokens(str(c)) for c in item.get("choices") or []]
    if not choices:
        return None
    for candidate in final_answer_candidates(text):
        said = tokens(candidate)
        hits = {i for i, c in enumerate(choices) if c and contains_in_order(said, c)}
        if len(hits) == 1:
            return string.ascii_uppercase[hits.pop()]
    return None


def reference_letter(item: dict) -> str | None:
    """The item's correct letter: its reference as a letter, or the option whose text it is."""
    reference = item.get("reference") or ""
    allowed = _letters(item)
    letter = choice_letter(reference, allowed) if len(strip_wrapping(reference)) <= 3 else None
    return letter or _option_by_text(item, reference) or choice_letter(reference, allowed)


def check_choice(item: dict, answer: str) -> float:
    """Multiple choice (A–Z): the letter the answer commits to — or the option text it states — is the reference's."""
    allowed = _letters(item)
    picked = choice_letter(answer, allowed) or _option_by_text(item, answer)
    return float(picked is not None and picked == reference_letter(item))
