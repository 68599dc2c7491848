"""What the encoder reads of a query: the part that differs, within the encoder's window.

Two steps, the same in training, evaluation, replay and serving (the checkpoint
stores the rule):

1. strip a known prefix: prompts that start with a long prefix shared by many
   training prompts (a few-shot block, a fixed instruction) lose it, so the
   encoder reads the question instead of the examples;
2. head + tail window: a text longer than the encoder's window keeps its first
   `head_tokens` tokens and as many of its last tokens as still fit, so the end
   of a long prompt (where the question usually is) is read, not cut off.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import asdict, dataclass

MIN_PREFIX_CHARS = 200
"""Shorter shared beginnings are not stripped (they are part of ordinary questions)."""
MIN_PREFIX_SHARE = 0.02
MIN_PREFIX_COUNT = 5
MAX_PREFIXES = 32


@dataclass(frozen=True)
class InputRule:
    """How a query becomes encoder input; `head_tokens` < 0 means plain truncation (no window)."""

    prefixes: tuple[str, ...] = ()
    head_tokens: int = -1

    def to_json(self) -> dict:
        """The checkpoint's `input` entry."""
        return {**asdict(self), "prefixes": list(self.prefixes)}

    @classmethod
    def from_json(cls, value: dict | None) -> InputRule:
        """The rule a checkpoint stores (old checkpoints have none: plain truncation)."""
        if not value:
            return cls()
        return cls(prefixes=tuple(value.get("prefixes", ())), head_tokens=int(value.get("head_tokens", -1)))

    def strip(self, text: str) -> str:
        """`text` without the longest known prefix it starts with (unchanged if nothing would remain)."""
        for prefix in self.prefixes:  # longest first
            if text.startswith(prefix) and text[len(prefix) :].strip():
                return text[len(prefix) :].lstrip()
        return text

    def apply(self, texts: list[str], tokenizer=None, max_tokens: int = 256) -> list[str]:
        """Encoder inputs of `texts`; the window needs the encoder's (fast) tokenizer."""
        out = [self.strip(t) for t in texts]
        if self.head_tokens < 0 or tokenizer is None:
            return out
        return [head_tail(t, tokenizer, max_tokens, self.head_tokens) for t in out]


def head_tail(text: str, tokenizer, max_tokens: int, head_tokens: int) -> str:
    """`text` cut to its first `head_tokens` and last (max_tokens − head_tokens) tokens, joined by ' … '."""
    budget = max_tokens - 2  # [CLS] and [SEP]
    if len(text) < budget:  # fewer characters than tokens allowed: nothing to cut
        return text
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]
    if len(offsets) <= budget:
        return text
    head = min(head_tokens, budget - 8)
    tail = budget - head - 2  # room for the ellipsis
    head_text = text[: offsets[head - 1][1]] if head > 0 else ""
    return (head_text + " … " + text[offsets[-tail][0] :]).strip()


def common_prefixes(texts: list[str]) -> tuple[str, ...]:
    """Prefixes (cut at a line break, >= MIN_PREFIX_CHARS) that many texts share, longest first.

    A prefix counts when at least MIN_PREFIX_COUNT texts and MIN_PREFIX_SHARE of
    all texts start with it, and a text would keep something after it.
    """
    need = max(MIN_PREFIX_COUNT, int(MIN_PREFIX_SHARE * len(texts)))
    ordered = sorted(t for t in texts if len(t) > MIN_PREFIX_CHARS)
    candidates: Counter[str] = Counter()
    for a, b in itertools.pairwise(ordered):
        n = _shared_length(a, b)
        if n < MIN_PREFIX_CHARS:
            continue
        cut = a.rfind("\n", 0, n + 1)
        if cut >= MIN_PREFIX_CHARS:
            candidates[a[: cut + 1]] += 1
    kept: list[str] = []
    for prefix, _ in candidates.most_common(200):
        count = sum(t.startswith(prefix) and bool(t[len(prefix) :].strip()) for t in ordered)
        if count >= need and not any(k.startswith(prefix) or prefix.startswith(k) for k in kept):
            kept.append(prefix)
        if len(kept) == MAX_PREFIXES:
            break
    return tuple(sorted(kept, key=len, reverse=True))


def _shared_length(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
