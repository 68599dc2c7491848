"""The operator's policy on LangGraph API runs, checked before a run is created.

langgraph.json names `auth` here (`"auth": {"path": ...:auth}`), LangGraph's
custom-auth extension point. `authenticate` lets every request in — the server
requires no credentials; an operator who needs them adds the check there (or
in a proxy in front). The handlers refuse, with a 4xx and one line, what
`context_for(..., client=True)` and `limits.check_cap` refuse on the
OpenAI endpoint: a run (`/runs/wait`, `/runs/stream`, `/threads/{id}/runs...`,
Studio), a cron or an assistant whose context names a pool that is not one of the
operator's, or a knob above a cap; a run whose input passes the caps on
messages or characters, or (RouteMoA's graphs) whose messages LangChain cannot
read. Without them such a run was created and failed inside the graph (HTTP 200
with an error body).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import convert_to_messages
from langgraph_sdk import Auth, get_client

from routemoa.context import CONTEXT_FIELDS
from routemoa.errors import UserError
from routemoa.limits import CapExceeded, check_cap
from routemoa.method_context import context_for
from routemoa.methods import METHODS
from routemoa.redact import one_line

auth = Auth()


@auth.authenticate
async def authenticate() -> Auth.types.MinimalUserDict:
    """Every request is allowed (no credentials today): add your own authentication here."""
    return {"identity": "anonymous"}


def _refuse(exc: UserError) -> Auth.exceptions.HTTPException:
    """The 4xx for a refused knob or cap: 413 or 400 as the cap says, one line."""
    status = exc.status if isinstance(exc, CapExceeded) else 400
    return Auth.exceptions.HTTPException(status_code=status, detail=str(exc).splitlines()[0][:300])


def knobs_of(context: Any) -> Any:
    """The knobs in a run's or assistant's context: the server drops keys its context schema
    lacks before the graph sees them (stream.py filters by schema), so they are dropped here too."""
    if isinstance(context, Mapping):
        return {k: v for k, v in context.items() if k in CONTEXT_FIELDS}
    return context


async def check_context(method: str, context: Any) -> None:
    """Raise the 4xx for a context a client may not run `method` with (the pools listing in a thread);
    a graph that is not a RouteMoA method (an operator's own) is not RouteMoA's to check."""
    if method not in METHODS:
        return
    try:
        await asyncio.to_thread(context_for, method, knobs_of(context) or None, client=True)
    except UserError as exc:
        raise _refuse(exc) from None


def _message_count_and_chars(messages: Any) -> tuple[int, int]:
    """Messages in a run's `messages` input (a list, or one message) and the characters of their
    content (a string, or the strings inside content blocks, block types excluded), counted
    without recursion."""
    items = messages if isinstance(messages, list) else [messages]
    chars, stack = 0, [_content(item) for item in items]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, Mapping):
            stack.extend(v for k, v in item.items() if k != "type")
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return len(items), chars


def _content(message: Any) -> Any:
    """A message's content: itself (a string), its `content` (a dict), or its second item ((role, content))."""
    if isinstance(message, Mapping):
        return message.get("content")
    if isinstance(message, (list, tuple)) and len(message) == 2:
        return message[1]
    return message


def check_input(kwargs: Mapping[str, Any]) -> None:
    """Raise the 4xx for a run whose input (or `command.update`) has more messages or characters
    than the operator's caps allow."""
    sources = [kwargs.get("input"), (kwargs.get("command") or {}).get("update")]
    for source in sources:
        if not isinstance(source, Mapping) or source.get("messages") is None:
            continue
        count, chars = _message_count_and_chars(source["messages"])
        try:
            check_cap("messages", count)
            check_cap("chars", chars)
        except CapExceeded as exc:
            raise _refuse(exc) from None


def check_messages(kwargs: Mapping[str, Any]) -> None:
    """Raise the 400 for a RouteMoA run whose input is not an object, or whose `messages` (in the input
    or a `command.update`) LangChain cannot read as chat messages: the graph's reducer would fail the
    run after it was created (an HTTP 200 whose body names a Python exception)."""
    source = kwargs.get("input")
    if source is not None and not isinstance(source, Mapping):
        raise Auth.exceptions.HTTPException(status_code=400, detail="input must be an object with 'messages'")
    update = (kwargs.get("command") or {}).get("update")
    for where, value in (("input", source), ("command.update", update)):
        if not isinstance(value, Mapping) or value.get("messages") is None:
            continue
        messages = value["messages"]
        try:
            convert_to_messages(messages if isinstance(messages, list) else [messages])
        except Exception as exc:  # whatever the conversion raises (TypeError, ValueError, ValidationError, ...)
            reason = one_line(f"{type(exc).__name__}: {exc}", 200)
            raise Auth.exceptions.HTTPException(
                status_code=400, detail=f"{where}.messages: not readable as chat messages ({reason})"
            ) from None


async def _assistant(assistant_id: Any) -> dict[str, Any] | None:
    """The assistant a run uses (graph id and stored context), through the server's own API
    (in-process, no auth); None when there is none (the API then answers 404 itself). A graph
    id stands for its default assistant, as everywhere in the API (crons keep it unresolved)."""
    if assistant_id is None:
        return None
    from langgraph_api.graph import get_assistant_id  # the server's own graph id -> assistant mapping

    try:
        return dict(await get_client().assistants.get(get_assistant_id(str(assistant_id))))
    except Exception:
        return None


async def check_run(assistant_id: Any, kwargs: Mapping[str, Any]) -> None:
    """Raise the 4xx for a run a client may not make: its input above the caps, or its context
    (or `config.configurable`) merged over its assistant's, as the server merges them, not a valid
    client context of the assistant's method."""
    check_input(kwargs)
    assistant = await _assistant(assistant_id)
    if assistant is None:
        return
    if assistant["graph_id"] in METHODS:  # an operator's own graph may have other inputs
        check_messages(kwargs)
    asked = kwargs.get("context") or (kwargs.get("config") or {}).get("configurable") or {}
    await check_context(assistant["graph_id"], {**knobs_of(assistant.get("context") or {}), **knobs_of(asked)})


@auth.on.threads.create_run
async def on_create_run(ctx: Auth.types.AuthContext, value: Auth.types.RunsCreate) -> None:
    """A new run (`/runs...`, `/threads/{id}/runs...`, Studio)."""
    await check_run(value.get("assistant_id"), value.get("kwargs") or {})


@auth.on.crons.create
async def on_create_cron(ctx: Auth.types.AuthContext, value: Auth.types.CronsCreate) -> None:
    """A new cron: the runs it will make (created later without a request to check)."""
    payload = value.get("payload") or {}
    await check_run(payload.get("assistant_id"), payload)


@auth.on.crons.update
async def on_update_cron(ctx: Auth.types.AuthContext, value: Auth.types.CronsUpdate) -> None:
    """A cron's new payload: the same check."""
    payload = value.get("payload") or {}
    await check_run(payload.get("assistant_id"), payload)


@auth.on.assistants.create
async def on_create_assistant(ctx: Auth.types.AuthContext, value: Auth.types.AssistantsCreate) -> None:
    """A new assistant: its stored context (or `config.configurable`) a valid client context."""
    await check_context(value["graph_id"], _assistant_knobs(value))


@auth.on.assistants.update
async def on_update_assistant(ctx: Auth.types.AuthContext, value: Auth.types.AssistantsUpdate) -> None:
    """An assistant's new version: the same check, against its (possibly new) graph."""
    graph_id = value.get("graph_id")
    if not graph_id:
        assistant = await _assistant(value["assistant_id"])
        if assistant is None:
            return
        graph_id = assistant["graph_id"]
    await check_context(graph_id, _assistant_knobs(value))


def _assistant_knobs(value: Mapping[str, Any]) -> dict[str, Any]:
    """The knobs an assistant stores: its context, else its config's `configurable` (the server
    mirrors one into the other)."""
    return knobs_of(value.get("context") or (value.get("config") or {}).get("configurable") or {})
