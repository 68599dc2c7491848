"""The garbage rule: a reply that cannot be an answer is a failed call, not an answer.

A reply is garbage when its answer is empty after stripping, when more than
`JUNK_SHARE` of its characters are junk (control characters other than tab and
newline, unassigned, private-use or surrogate code points, U+FFFD replacement
characters), or when the reply is longer than `MAX_CHARS_PER_TOKEN` characters per
token of the call's `max_tokens` (no tokenizer packs that much into a token; a
server that ignores the limit or streams filler does). A garbage reply becomes an
error record: its model is not the aggregator and its text is never shown or final.
"""

from __future__ import annotations

import unicodedata

from routemoa.state import AgentRecord

JUNK_SHARE = 0.2
"""Largest share of junk characters in an answer; real text in any script has next to none."""
MAX_CHARS_PER_TOKEN = 20
"""Longest reply, in characters per token of the call's max_tokens (about 5x what tokenizers average)."""
_JUNK_CATEGORIES = {"Cc", "Cn", "Co", "Cs"}
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def junk_share(text: str) -> float:
    """Share of junk characters in `text` (0 for an empty text)."""
    if not text:
        return 0.0
    junk = sum(
        1
        for ch in text
        if ch == "\ufffd" or (unicodedata.category(ch) in _JUNK_CATEGORIES and ch not in _ALLOWED_CONTROLS)
    )
    return junk / len(text)


def garbage_reason(answer: str, reply: str, max_tokens: int) -> str | None:
    """Why a reply is garbage (one line), or None when it may be an answer.

    `answer` is the answer parsed out of the reply, `reply` the whole reply text.
    """
    limit = MAX_CHARS_PER_TOKEN * max_tokens
    if len(reply) > limit:
        return f"garbage reply: {len(reply)} characters for max_tokens {max_tokens} (limit {limit})"
    if not answer.strip():
        return "empty answer"
    share = junk_share(answer)
    if share > JUNK_SHARE:
        return f"garbage reply: {share:.0%} of its characters are control, unassigned or replacement characters"
    return None


def screen(record: AgentRecord, reply: str, max_tokens: int) -> AgentRecord:
    """`record` as an error record (answer dropped) when its reply is garbage; else unchanged."""
    if record["error"]:
        return record
    reason = garbage_reason(record["answer"], reply, max_tokens)
    if reason is None:
        return record
    return AgentRecord({**record, "answer": "", "self_score": None, "peer_scores": None, "error": reason})
