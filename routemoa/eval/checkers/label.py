"""The `label` checker: which label of a closed set (with aliases) does the answer commit to?"""

from __future__ import annotations

import re

from routemoa.eval.checkers.text import final_answer_candidates, normalize, strip_wrapping

_CLAUSE = re.compile(r"[.。!！?？;；,，:：\n]")
_KEY_VALUE = re.compile(r"^[\s*_#>-]*[^\s:：*][^:：\n]{0,30}[:：]\**\s*(?P<value>[^\n]+)$", re.MULTILINE)


def _label_names(item: dict) -> dict[str, str]:
    """Normalised name (label or alias) -> label."""
    names = {}
    for label in item.get("labels") or []:
        names[normalize(label)] = label
        for alias in (item.get("aliases") or {}).get(label, []):
            names[normalize(alias)] = label
    return {k: v for k, v in names.items() if k}


def _mentions(text: str, names: dict[str, str]) -> list[tuple[int, str]]:
    """(position, label) of every label name in normalised text, longest names first, no overlaps."""
    taken = [False] * len(text)
    found = []
    for name in sorted(names, key=len, reverse=True):
        wordy = name[0].isascii() and name[-1].isascii()
        pattern = re.compile((r"(?<![\w])" + re.escape(name) + r"(?![\w])") if wordy else re.escape(name))
        for match in pattern.finditer(text):
            if not any(taken[match.start() : match.end()]):
                taken[match.start() : match.end()] = [True] * (match.end() - match.start())
                found.append((match.start(), names[name]))
    return sorted(found)


def _first_clause(text: str) -> str:
    return normalize(_CLAUSE.split(strip_wrapping(text), 1)[0])


def committed_label(item: dict, answer: str) -> str | None:
    """The label an answer commits to: the last `key: label` line ("Sentiment: Negative"); else, in its
    most explicit final-answer place first, a first clause that is exactly a label ("Neutral. It is
    neither ..."), else the only label named there. Naming two labels without committing gives None."""
    names = _label_names(item)
    stated = [_first_clause(m.group("value")) for m in _KEY_VALUE.finditer(answer)]
    stated = [names[s] for s in stated if s in names]
    if stated:  # "Sentiment: Negative", "**Label:** entailment", "类别：体育"
        return stated[-1]
    for candidate in final_answer_candidates(answer):
        first_clause = _first_clause(candidate)
        if first_clause in names:
            return names[first_clause]
        labels = {label for _, label in _mentions(normalize(candidate), names)}
        if labels:
            return labels.pop() if len(labels) == 1 else None
    return None


def check_label(item: dict, answer: str) -> float:
    """Closed label set: the label the answer commits to is the reference's label (aliases count)."""
    names = _label_names(item)
    want = names.get(normalize(item.get("reference") or ""))
    return float(want is not None and committed_label(item, answer) == want)
