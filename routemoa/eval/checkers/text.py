"""Free-text answers: normalisation, final-answer extraction, and the `exact`, `short_answer` and `rouge` checkers.

Normalisation is SQuAD's (lowercase, no punctuation, no English articles, single
spaces) after Unicode NFKC, so full-width letters and digits equal their ASCII
forms, and punctuation is every Unicode punctuation or symbol character (CJK and
full-width included). Tokens are words, and single characters for CJK scripts.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from functools import lru_cache

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_STATEMENT = re.compile(
    r"(?:final\s+answer|correct\s+answer|the\s+answer|answer|最终答案|正确答案|答案|结论)"
    r"\s*(?:\*\*)?\s*(?:is|would\s+be|should\s+be|was|:|：|是|为|為|应为|应该是)\s*(?:\*\*)?\s*[:：]?\s*(?P<value>[^\n]+)",
    re.IGNORECASE,
)
_BOLD = re.compile(r"\*\*([^*\n]{1,120}?)\*\*")
_WRAPPING = " \t\r\n*_`$\"'“”‘’「」『』【】()（）[]<>《》.,;:!?。，；：！？、"


def _is_punct(char: str) -> bool:
    return char in string.punctuation or unicodedata.category(char)[0] in "PS"


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """SQuAD normalisation after NFKC: casefold, punctuation (any script) removed, articles dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if _is_punct(c) else c for c in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def tokens(text: str) -> list[str]:
    """Normalised tokens: words, and one token per CJK character."""
    return _TOKEN.findall(normalize(text))


def last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` (or `\\fbox{...}`), braces balanced; None if absent."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    brace = text.find("{", start) if start >= 0 else -1
    if brace < 0:
        return None
    depth = 0
    for i in range(brace, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[brace + 1 : i]
    return None


def strip_wrapping(text: str) -> str:
    """The text without surrounding Markdown, quotes, brackets, `$` and punctuation."""
    return text.strip(_WRAPPING)


def final_statement(text: str) -> str | None:
    """The value of the last explicit closing statement ("the answer is …", "答案：…"), raw; None if absent."""
    found = list(_STATEMENT.finditer(text))
    return found[-1].group("value").strip() if found else None


def final_answer_candidates(text: str) -> list[str]:
    """Where the answer's final answer is, most explicit first. An answer that states it explicitly
    (the last `\\boxed{}`, a closing "answer is …" statement) is held to that; otherwise the last bold
    phrase, the last line of a multi-line answer, and the whole answer are candidates."""
    explicit = [c for c in (last_boxed(text), final_statement(text)) if c is not None and strip_wrapping(c)]
    if explicit:
        return explicit
    bolds = [b for b in _BOLD.findall(text) if not b.rstrip().endswith((":", "："))]
    lines = [line for line in text.splitlines() if line.strip()]
    candidates = bolds[-1:] + (lines[-1:] if len(lines) > 1 else []) + [text]
    return [c for i, c in enumerate(candidates) if strip_wrapping(c) and c not in candidates[:i]]


def references(item: dict) -> list[str]:
    """The item's `reference` and every string of its `references`, non-empty ones only."""
    refs = [item.get("reference") or ""] + list(item.get("references") or [])
    return [r for r in refs if isinstance(r, str) and r.strip()]


def token_f1(candidate: list[str], reference: list[str]) -> float:
    """SQuAD token F1 (bag of tokens)."""
    common = sum((Counter(candidate) & Counter(reference)).values())
    if not common:
        return 0.0
    precision, recall = common / len(candidate), common / len(reference)
    return 2 * precision * recall / (precision + recall)


def _words(toks: list[str]) -> float:
    """Length in words, a CJK character counting half (a Chinese word is about two characters)."""
    return sum(0.5 if _CJK_CHAR.fullmatch(t) else 1.0 for t in toks)


def contains_in_order(candidate: list[str], reference: list[str]) -> bool:
    """The reference's tokens appear contiguously, in order, in the candidate's."""
    n = len(reference)
    return n > 0 and any(candidate[i : i + n] == reference for i in range(len(candidate) - n + 1))


def _short(candidate: list[str], reference: list[str]) -> bool:
    """At most 12 words, or three times the reference."""
    return _words(candidate) <= max(12, 3 * _words(reference))


def check_exact(item: dict, answer: str) -> float:
    """Normalised exact match of the whole answer with `reference` or any of `references`."""
    got = normalize(answer)
    return float(any(got == normalize(ref) for ref in references(item)))


def check_short_answer(item: dict, answer: str) -> float:
    """Best over final-answer candidates and references of: exact match (1), reference contained
    in a short candidate (1), or token F1 (graded). A candidate that lacks a number of the reference
    scores 0 against it (`1944年` is not half right for `1945年`)."""
    best = 0.0
    for candidate in final_answer_candidates(answer):
        got = tokens(candidate)
        if not got:
            continue
        for ref in references(item):
            want = tokens(ref)
            if got == want or (_short(got, want) and contains_in_order(got, want)):
                return 1.0
            if all(t in got for t in want if any(c.isdigit() for c in t)):
                best = max(best, token_f1(got, want))
    return best


class _Tokenizer:
    """rouge-score tokenizer: normalised words, one token per CJK character."""

    def tokenize(self, text: str) -> list[str]:
        return tokens(text)


@lru_cache(maxsize=1)
def _rouge_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=_Tokenizer())


def check_rouge(item: dict, answer: str) -> float:
    """ROUGE-L F1 (rouge-score) of the whole answer against the best reference; graded."""
    scorer = _rouge_scorer()
    return max((scorer.score(ref, answer)["rougeL"].fmeasure for ref in references(item)), default=0.0)
