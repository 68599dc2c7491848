"""Earlier answers shown to a model as untrusted data, and the trusted system text of a call.

Model output is untrusted: it is shown to other models only in the user turn, inside
blocks labelled ANSWER_0, ANSWER_1, ... whose boundary lines carry a marker drawn at
random for each prompt (`secrets`), so an answer cannot close its block or open a
forged one; any occurrence of the marker inside an answer is replaced. The blocks are
preceded and followed by instructions that say they are data, not instructions
(prompts.CANDIDATES). System messages hold only trusted text: the caller's own system
(and developer) messages first, then the pool's role prompt or RouteMoA's instructions.
`agent_messages` puts them together for one agent call.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage

from routemoa import prompts
from routemoa.state import AgentTask

MARKER_BYTES = 4
"""Random bytes per marker (8 hex digits: 2**32 values, drawn after the answers it guards were written)."""
REDACTED_MARKER = "[marker removed]"


def new_marker() -> str:
    """A fresh boundary marker."""
    return "m" + secrets.token_hex(MARKER_BYTES)


def escape(answer: str, marker: str) -> str:
    """`answer` with every occurrence of `marker` (any letter case) replaced.

    For a marker of digits and a-f, m (`new_marker`'s) every character the pattern matches lowers to
    the marker's (checked over all of Unicode), so an answer whose lower-case form lacks the marker is
    returned as is, without compiling a pattern for each fresh marker (2 vs 37 us an answer)."""
    if marker.lower() not in answer.lower():
        return answer
    return re.sub(re.escape(marker), REDACTED_MARKER, answer, flags=re.IGNORECASE)


def candidate_blocks(answers: Sequence[str], marker: str | None = None) -> str:
    """The answers as delimited ANSWER_i blocks between the untrusted-data instructions."""
    marker = marker or new_marker()
    blocks = "\n\n".join(
        prompts.CANDIDATE_BLOCK.format(index=i, marker=marker, answer=escape(a, marker)) for i, a in enumerate(answers)
    )
    return prompts.CANDIDATES.format(count=len(answers), last=len(answers) - 1, marker=marker, blocks=blocks)


def split_history(history: Sequence[AnyMessage]) -> tuple[list[str], list[AnyMessage]]:
    """(texts of the caller's system messages, the other messages in order)."""
    system = [str(m.text) for m in history if getattr(m, "type", "") == "system" and str(m.text).strip()]
    return system, [m for m in history if getattr(m, "type", "") != "system"]


def with_system(history: Sequence[AnyMessage], own: str | None) -> list[AnyMessage]:
    """The history with one system message first: the caller's instructions, then `own` (trusted text only)."""
    caller, rest = split_history(history)
    parts = [*caller, *([own] if own else [])]
    return ([SystemMessage(content="\n\n".join(parts))] if parts else []) + rest


def agent_messages(task: AgentTask, system_prompt: str | None) -> list[AnyMessage]:
    """The caller's instructions and `system_prompt` as the one system message, the history, and the
    question in the layer's instructions; earlier answers only as untrusted blocks in the user turn."""
    answers, question = task["previous_answers"], task["question"]
    if answers:
        candidates = candidate_blocks(answers)
        template = prompts.ANSWER_PLAIN_WITH_REFERENCES if task["plain"] else prompts.ANSWER_WITH_PEER_SCORES
        text = template.format(candidates=candidates, count=len(answers), question=question)
    else:
        text = (prompts.ANSWER_PLAIN if task["plain"] else prompts.ANSWER_WITH_SELF_SCORE).format(question=question)
    return [*with_system(task["history"], system_prompt), HumanMessage(content=text)]
