"""The query and its history, read from a chat state's `messages`."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AnyMessage

from routemoa.errors import UserError


def _last_human_index(messages: Sequence[AnyMessage]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if getattr(messages[index], "type", "") == "human" and str(messages[index].text).strip():
            return index
    return None


def last_question(messages: Sequence[AnyMessage]) -> str:
    """Text of the last non-empty human message; a clear error when there is none."""
    index = _last_human_index(messages)
    if index is None:
        raise UserError("the input needs a non-empty human message in 'messages'")
    return str(messages[index].text).strip()


def history_before_query(messages: Sequence[AnyMessage]) -> list[AnyMessage]:
    """Messages before the last human message, the caller's system (and developer) messages included:
    they are trusted and reach every agent and the aggregator (candidates.with_system merges them)."""
    index = _last_human_index(messages)
    return list(messages[: index or 0])
