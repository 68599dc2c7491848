"""The OpenAI chat-completions contract: validate a request, shape responses, chunks and errors.

`app.py` wires them to HTTP and to the graph; `parse_request` lists and loads the
operator's pools (call it off the event loop), the rest are pure functions.

A request names a RouteMoA method in `model` (one of routemoa.methods.METHODS) and may
carry RouteMoA knobs (fields of `routemoa.context.Context`) in an extra body
field `routemoa`, e.g. `{"routemoa": {"max_layers": 1, "pool": "api"}}`.
The standard `temperature`, `max_tokens` (or `max_completion_tokens`), `stop` and
`response_format` set the knobs of the same name; other parameters are refused
with a 400 that names them (`check_parameters`), never silently ignored. Responses carry the usual `usage` (from the bill) and
an extra field `routemoa` with the routing summary.

Requests are a client's: the pool is one of the operator's pool *names*, knobs
and the request's size are within the operator's caps (routemoa/limits.py),
every string is valid Unicode; anything else is a 4xx naming the field.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage
from typing_extensions import TypedDict

from routemoa.context import Context, KnobError
from routemoa.contracts import Bill, RunDecision, TraceEntry
from routemoa.limits import CapExceeded, check_cap
from routemoa.method_context import context_for
from routemoa.methods import METHODS
from routemoa.redact import show

KNOBS_FIELD = "routemoa"
"""Extra request/response field: RouteMoA knobs in, routing summary out."""

log = logging.getLogger(__name__)

_ROLES = {"system": SystemMessage, "developer": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


class APIError(Exception):
    """An error answered as OpenAI does: `{"error": {"message", "type", "param", "code"}}` with `status`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def unknown_model(model: Any) -> APIError:
    """The 404 for a `model` that names no method."""
    return APIError(
        404,
        f"The model '{str(model)[:60]}' does not exist; available: {', '.join(METHODS)}",
        param="model",
        code="model_not_found",
    )


def bad_request(message: str, param: str | None = None, code: str | None = None) -> APIError:
    """A 400 invalid_request_error."""
    return APIError(400, message, param=param, code=code)


@dataclass(frozen=True)
class ChatRequest:
    """A validated chat-completions request."""

    method: str
    messages: list[AnyMessage]
    context: Context
    stream: bool
    include_usage: bool


def _text(content: Any, where: str) -> str:
    """Message content as text: a string, or a list of {"type": "text", "text": ...} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise bad_request(f"{where}: only text content parts are supported", param=where)
            pieces.append(part["text"])
        return "".join(pieces)
    if content is None:
        return ""
    raise bad_request(f"{where}: content must be a string or a list of text parts", param=where)


def cap_error(exc: CapExceeded, param: str) -> APIError:
    """A request above one of the operator's caps, as the 4xx that names it."""
    return APIError(exc.status, str(exc), param=param, code="cap_exceeded")


def invalid_unicode(value: Any) -> str | None:
    """Where a string (or key) of a parsed JSON value is not valid Unicode (a lone surrogate from a
    `\\ud800` escape), e.g. "messages[0].content"; None when all are valid. Iterative: any depth."""
    stack: list[tuple[str, Any]] = [("body", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str) and not _valid(item):
            return where
        if isinstance(item, dict):
            for key, child in item.items():
                if not _valid(key):
                    return where
                stack.append((key if where == "body" else f"{where}.{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))
    return None


def _valid(text: str) -> bool:
    """Whether `text` encodes as UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_messages(raw: Any) -> list[AnyMessage]:
    """OpenAI messages -> LangChain messages; at least one non-empty user message; within the
    operator's caps on messages and characters per request."""
    if not isinstance(raw, list) or not raw:
        raise bad_request("'messages' must be a non-empty list", param="messages")
    try:
        check_cap("messages", len(raw))
    except CapExceeded as exc:
        raise cap_error(exc, "messages") from None
    out: list[AnyMessage] = []
    for i, item in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(item, dict):
            raise bad_request(f"{where} must be an object with 'role' and 'content'", param=where)
        role = item.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            raise bad_request(
                f"{where}.role: {show(role)} is not supported (use system, developer, user or assistant)",
                param=f"{where}.role",
            )
        out.append(_ROLES[role](content=_text(item.get("content"), f"{where}.content")))
    try:
        check_cap("chars", sum(len(m.text) for m in out))
    except CapExceeded as exc:
        raise cap_error(exc, "messages") from None
    if not any(isinstance(m, HumanMessage) and m.text.strip() for m in out):
        raise bad_request("'messages' needs at least one non-empty user message", param="messages")
    return out


ACCEPTED = (
    "model",
    "messages",
    "stream",
    "stream_options",
    "n",
    "user",
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "response_format",
    KNOBS_FIELD,
)
"""Request fields the endpoint honours (`n` only 1; `user` is accepted and not used)."""

NEUTRAL = {
    "logprobs": False,
    "tool_choice": "none",
    "top_p": 1,
    "presence_penalty": 0,
    "frequency_penalty": 0,
    "modalities": ["text"],
}
"""Values of other parameters that ask for nothing (accepted as if absent)."""

REFUSED = {
    "tools": "tools are not supported: RouteMoA's models answer, they do not call tools",
    "tool_choice": "tools are not supported: RouteMoA's models answer, they do not call tools",
    "functions": "function calling is not supported",
    "function_call": "function calling is not supported",
    "parallel_tool_calls": "tools are not supported",
    "seed": "seed is not supported: a run samples several models, which share no seed",
    "logprobs": "logprobs are not supported: the answer is written by several models",
    "top_logprobs": "logprobs are not supported: the answer is written by several models",
    "logit_bias": "logit_bias is not supported: the pool's models have different vocabularies",
    "top_p": "top_p is not supported; set temperature",
    "presence_penalty": "presence_penalty is not supported",
    "frequency_penalty": "frequency_penalty is not supported",
}
"""Standard parameters refused with a 400, and why; any other unknown field is refused too."""


def check_parameters(body: dict[str, Any]) -> None:
    """400 naming the first parameter the endpoint would not honour (null and neutral values pass)."""
    for name, value in body.items():
        if name in ACCEPTED or value is None or (name in NEUTRAL and value == NEUTRAL[name]):
            continue
        reason = REFUSED.get(name, "not a parameter this endpoint supports")
        raise bad_request(
            f"'{str(name)[:60]}': {reason} (honoured: {', '.join(ACCEPTED)})",
            param=str(name)[:60],
            code="unsupported_parameter",
        )


def _stop(value: Any) -> Any:
    """`stop` as the knob's list (OpenAI allows one string)."""
    return [value] if isinstance(value, str) else value


def parse_context(body: dict[str, Any], method: str = "routemoa") -> Context:
    """The run's Context for `method` from the `routemoa` knobs and the standard sampling fields,
    as a client may set them (the operator's named pools and caps)."""
    knobs = body.get(KNOBS_FIELD) or {}
    if not isinstance(knobs, dict):
        raise bad_request(f"'{KNOBS_FIELD}' must be an object of RouteMoA knobs", param=KNOBS_FIELD)
    knobs = dict(knobs)
    standard = {
        "temperature": body.get("temperature"),
        "max_tokens": body.get("max_completion_tokens", body.get("max_tokens")),
        "stop": _stop(body.get("stop")),
        "response_format": body.get("response_format"),
    }
    knobs.update({name: value for name, value in standard.items() if value is not None and name not in knobs})
    try:
        context = context_for(method, knobs, client=True)
    except KnobError as exc:
        param = (
            exc.knob
            if exc.knob in standard and exc.knob not in (body.get(KNOBS_FIELD) or {})
            else f"{KNOBS_FIELD}.{exc.knob}"
        )
        code = "cap_exceeded" if isinstance(exc, CapExceeded) else "pool_not_allowed" if exc.knob == "pool" else None
        raise APIError(getattr(exc, "status", 400), str(exc), param=param, code=code) from None
    _check_pool(context, knobs.get("pool"))
    return context


def _check_pool(context: Context, asked: str | None) -> None:
    """Fail fast on an operator pool that cannot load (500: the operator's fault, logged, no path
    in the answer) or an aggregator that is not in the pool (400)."""
    from routemoa.operator_pools import default_pool_name
    from routemoa.pool import PoolError, load_pool

    name = asked or default_pool_name() or "default"
    try:
        pool = load_pool(context.pool)
    except PoolError as exc:
        log.error("operator pool %r cannot be used: %s", name, exc)
        raise APIError(
            500,
            f"pool '{name}' is misconfigured on this server (the operator's log says why)",
            type="server_error",
            code="invalid_pool",
        ) from None
    if context.aggregator and context.aggregator not in pool.names:
        raise bad_request(
            f"aggregator '{context.aggregator[:60]}' is not in pool '{name}'", param=f"{KNOBS_FIELD}.aggregator"
        )


def parse_request(body: Any) -> ChatRequest:
    """Validate a chat-completions body; raises APIError (4xx) on the first problem."""
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object", code="invalid_json")
    where = invalid_unicode(body)
    if where is not None:
        raise bad_request(
            f"{where}: invalid Unicode (a lone surrogate escape such as \\ud800)", param=where, code="invalid_unicode"
        )
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required: one of " + ", ".join(METHODS), param="model")
    if model not in METHODS:
        raise unknown_model(model)
    check_parameters(body)
    n = body.get("n", 1)
    if n not in (None, 1):
        raise bad_request("only n=1 is supported", param="n")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise bad_request("'stream' must be a boolean", param="stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise bad_request("'stream_options' must be an object", param="stream_options")
    messages = parse_messages(body.get("messages"))
    context = parse_context(body, model)
    return ChatRequest(model, messages, context, stream, bool(options.get("include_usage")))


def usage(bill: Bill | None) -> dict[str, int]:
    """OpenAI usage from the bill: every call's tokens, agents and aggregator together."""
    prompt, completion = (bill["input_tokens"], bill["output_tokens"]) if bill else (0, 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class RunSummary(TypedDict):
    """The extra `routemoa` field of a completion: models per layer, why it stopped, who aggregated, cost."""

    layers: list[list[str]]
    decision: RunDecision | None
    aggregator: str | None
    calls: int
    total_usd: float
    wall_s: float


def summary(output: Mapping[str, Any]) -> RunSummary:
    """The routing summary of a run's output state (trace and bill as in routemoa/contracts.py)."""
    trace: list[TraceEntry] = output.get("trace") or []
    bill: Bill | None = output.get("bill")
    last = trace[-1] if trace else None
    aggregation = last.get("aggregation") if last else None
    return RunSummary(
        layers=[[m["name"] for m in entry["models"]] for entry in trace],
        decision=last["decision"] if last else None,
        aggregator=aggregation["model"] if aggregation else None,
        calls=bill["calls"] if bill else 0,
        total_usd=bill["total_usd"] if bill else 0.0,
        wall_s=bill["wall_s"] if bill else 0.0,
    )


def new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def completion(method: str, output: dict[str, Any], completion_id: str | None = None) -> dict[str, Any]:
    """A `chat.completion` object for a finished run."""
    return {
        "id": completion_id or new_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": method,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": output.get("answer") or ""},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage(output.get("bill")),
        KNOBS_FIELD: summary(output),
    }


def chunk(
    completion_id: str, method: str, delta: dict[str, Any] | None, finish_reason: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A `chat.completion.chunk`; `delta=None` makes the choice-less usage chunk."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": method,
        "choices": choices,
        **extra,
    }


def run_failed(output: dict[str, Any]) -> APIError:
    """The 502 for a run without an answer (every model failed)."""
    message = f"RouteMoA could not answer: {output.get('error')}"
    return APIError(502, message, type="provider_error", code="all_models_failed")
