"""The LangGraph API policy's pure parts: counting a run's input, the disconnect default."""

from __future__ import annotations

import json

import pytest
from langgraph_sdk import Auth

from routemoa.server.disconnect import with_cancel_default
from routemoa.server.run_policy import _message_count_and_chars, check_input


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
    assert refused.value.status_code == 400 and refused.value.detail.startswith("messages 3 is above the operator's cap of 2")
    with pytest.raises(Auth.exceptions.HTTPException) as refused:
        check_input({"command": {"update": {"messages": [{"role": "user", "content": "abcdef"}]}}})
    assert refused.value.detail.startswith("chars 6 is above the operator's cap of 5")
    check_input({"input": None, "command": {"resume": "x"}})


def test_cancel_is_the_default_unless_the_request_names_one():
    assert json.loads(with_cancel_default(b'{"input": {"messages": []}}'))["on_disconnect"] == "cancel"
    for body in (b'{"on_disconnect": "continue"}', b"[1]", b"\xff", b"[" * 100_000, b"not json"):
        assert with_cancel_default(body) == body
