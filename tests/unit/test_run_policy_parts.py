"""The LangGraph API policy's pure parts: counting a run's input, the disconnect default."""

from __future__ import annotations

import json

import pytest
from langgraph_sdk import Auth

from routemoa.server.disconnect import with_cancel_default
from routemoa.server.run_policy import _message_count_and_chars, check_input, check_messages


def test_characters_are_those_of_the_messages_content():
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "abc"}]},
        ("user", "de"),
        "fgh",
        {"type": "human", "content": "ij"},
    ]
    assert _message_count_and_chars(messages) == (4, 10)
    assert _message_count_and_chars("one message") == (1, 11)


def test_input_and_command_updates_meet_the_caps(monkeypatch):
    monkeypatch.setenv("ROUTEMOA_CAP_MESSAGES", "2")
    monkeypatch.setenv("ROUTEMOA_CAP_CHARS", "5")
    check_input({"input": {"messages": ["ab", "cd"]}})
    with pytest.raises(Auth.exceptions.HTTPException) as refused:
        check_input({"input": {"messages": ["a", "b", "c"]}})
    assert refused.value.status_code == 400 and refused.value.detail.startswith(
        "messages 3 is above the operator's cap of 2"
    )
    with pytest.raises(Auth.exceptions.HTTPException) as refused:
        check_input({"command": {"update": {"messages": [{"role": "user", "content": "abcdef"}]}}})
    assert refused.value.detail.startswith("chars 6 is above the operator's cap of 5")
    check_input({"input": None, "command": {"resume": "x"}})


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"input": 5}, "input must be an object with 'messages'"),
        ({"input": {"messages": 5}}, "input.messages: not readable as chat messages (NotImplementedError"),
        ({"input": {"messages": [{"role": ["user"], "content": "x"}]}}, "(TypeError: unhashable type: 'list')"),
        ({"input": {"messages": [{"content": "x"}]}}, "must contain 'role' and 'content'"),
        ({"input": {"messages": [["user", {"x": 1}]]}}, "(ValidationError: "),
        ({"command": {"update": {"messages": [{"role": "user"}]}}}, "command.update.messages: not readable"),
    ],
)
def test_messages_langchain_cannot_read_are_a_400(kwargs, says):
    with pytest.raises(Auth.exceptions.HTTPException) as refused:
        check_messages(kwargs)
    assert refused.value.status_code == 400 and says in refused.value.detail
    assert "\n" not in refused.value.detail and len(refused.value.detail) < 300


def test_readable_messages_and_runs_without_input_pass():
    check_messages({"input": {"messages": [{"role": "user", "content": "hi"}, ("assistant", "yes"), "and?"]}})
    check_messages({"input": {"messages": {"role": "user", "content": "one message"}}})
    check_messages({"input": None, "command": {"resume": "x"}})
    check_messages({"input": {"other": 1}})


def test_cancel_is_the_default_unless_the_request_names_one():
    assert json.loads(with_cancel_default(b'{"input": {"messages": []}}'))["on_disconnect"] == "cancel"
    for body in (b'{"on_disconnect": "continue"}', b"[1]", b"\xff", b"[" * 100_000, b"not json"):
        assert with_cancel_default(body) == body


async def test_a_run_body_above_the_cap_is_a_413_before_the_rest_is_read(monkeypatch):
    from routemoa.server.disconnect import CancelOnDisconnect

    monkeypatch.setenv("ROUTEMOA_CAP_BODY_BYTES", "1000")
    parts = [b"x" * 600, b"y" * 600, b"z" * 600]
    received, sent, reached = [], [], []

    async def receive():
        received.append(parts[len(received)])
        return {"type": "http.request", "body": received[-1], "more_body": len(received) < len(parts)}

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):  # the LangGraph API behind the middleware
        reached.append(scope["path"])

    scope = {"type": "http", "method": "POST", "path": "/runs/wait", "headers": []}
    await CancelOnDisconnect(app)(scope, receive, send)
    assert sent[0]["status"] == 413 and b"ROUTEMOA_CAP_BODY_BYTES" in sent[1]["body"]
    assert len(received) == 2 and not reached  # the third part never read, the API never called
