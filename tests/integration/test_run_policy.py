"""Issue 8 on the LangGraph API, against the real `langgraph dev` server (`routemoa serve`).

The operator's policy (named pools only, knob caps, messages and characters per
request) refuses a run before it is created, with a 4xx and one line, on every
run route: `/runs/wait`, `/runs/stream`, `/threads/{id}/runs...`, with `context`
or `config.configurable`, and through an assistant's stored context. Studio's
endpoints keep working without credentials.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration

QUESTION = [{"role": "user", "content": "What is 6*7?"}]
ANSWER = "fake-1 says 42 (aggregated)"
ALLOWED = "choose one of: failing, fake"


def _post(dev_server, path: str, body: dict, **kw) -> httpx.Response:
    return httpx.post(f"{dev_server.url}{path}", json=body, timeout=60, **kw)


def _run(context: dict | None = None, messages=QUESTION, **extra) -> dict:
    body = {"assistant_id": "routemoa", "input": {"messages": messages}, **extra}
    if context is not None:
        body["context"] = context
    return body


def _refused(r: httpx.Response, status: int, starts: str) -> str:
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert "\n" not in detail and starts in detail, detail
    return detail


def test_every_run_route_refuses_a_pool_that_is_not_the_operators(dev_server):
    thread = _post(dev_server, "/threads", {}).json()["thread_id"]
    routes = [
        "/runs/wait",
        "/runs/stream",
        "/runs",
        f"/threads/{thread}/runs/wait",
        f"/threads/{thread}/runs/stream",
        f"/threads/{thread}/runs",
    ]
    for value in ["../pools/fake", str(dev_server.pools / "fake.yaml"), "embedded", "nosuch"]:
        for route in routes:
            detail = _refused(
                _post(dev_server, route, _run({"pool": value, "max_layers": 1})), 400, "is not available on this server"
            )
            assert ALLOWED in detail and str(dev_server.pools) not in detail, detail
    assert httpx.get(f"{dev_server.url}/threads/{thread}/runs").json() == []  # no run was created
    configurable = {
        "assistant_id": "routemoa",
        "input": {"messages": QUESTION},
        "config": {"configurable": {"pool": "/etc/passwd"}},
    }
    _refused(_post(dev_server, "/runs/wait", configurable), 400, ALLOWED)


def test_named_pools_and_the_default_still_run(dev_server):
    for context in ({"pool": "fake", "max_layers": 1}, {"max_layers": 1}, None):
        r = _post(dev_server, "/runs/wait", _run(context))
        assert r.status_code == 200 and r.json()["answer"] == ANSWER, r.text
    r = _post(
        dev_server, "/runs/wait", _run({"max_layers": 1, "not_a_knob": 1})
    )  # the server drops keys outside the schema
    assert r.status_code == 200 and r.json()["answer"] == ANSWER, r.text


@pytest.mark.parametrize(("knob", "value"), [("max_layers", 9), ("top_k", 17), ("max_tokens", 4097)])
def test_knobs_above_a_cap_are_refused_naming_it(dev_server, knob, value):
    detail = _refused(
        _post(dev_server, "/runs/wait", _run({knob: value})), 400, f"{knob} {value} is above the operator's cap"
    )
    assert f"$ROUTEMOA_CAP_{knob.upper()}" in detail


def test_invalid_knobs_are_refused_before_the_run(dev_server):
    _refused(_post(dev_server, "/runs/wait", _run({"top_k": "three"})), 400, "top_k must be of type int")


def test_input_above_the_message_and_character_caps_is_refused(dev_server):
    _refused(
        _post(dev_server, "/runs/wait", _run({"max_layers": 1}, QUESTION * 201)),
        400,
        "messages 201 is above the operator's cap of 200",
    )
    long = [{"role": "user", "content": [{"type": "text", "text": "x" * 200_001}]}]
    _refused(
        _post(dev_server, "/runs/stream", _run({"max_layers": 1}, long)),
        400,
        "chars 200001 is above the operator's cap of 200000",
    )
    at_caps = [{"role": "user", "content": "x"}] * 199 + [{"role": "user", "content": "What is 6*7?"}]
    assert _post(dev_server, "/runs/wait", _run({"max_layers": 1}, at_caps)).status_code == 200


def test_assistants_store_only_what_a_client_may_run(dev_server):
    _refused(
        _post(dev_server, "/assistants", {"graph_id": "routemoa", "context": {"pool": "/etc/passwd"}}), 400, ALLOWED
    )
    _refused(
        _post(dev_server, "/assistants", {"graph_id": "routemoa", "config": {"configurable": {"top_k": 17}}}),
        400,
        "top_k 17 is above the operator's cap",
    )
    made = _post(dev_server, "/assistants", {"graph_id": "routemoa", "context": {"pool": "fake", "max_layers": 1}})
    assert made.status_code == 200, made.text
    assistant = made.json()["assistant_id"]
    r = _post(dev_server, "/runs/wait", {"assistant_id": assistant, "input": {"messages": QUESTION}})
    assert r.status_code == 200 and r.json()["answer"] == ANSWER, r.text
    # the run's context is checked merged over the assistant's, as the server merges them
    _refused(
        _post(
            dev_server,
            "/runs/wait",
            {"assistant_id": assistant, "input": {"messages": QUESTION}, "context": {"pool": "x/y"}},
        ),
        400,
        ALLOWED,
    )
    patched = httpx.patch(f"{dev_server.url}/assistants/{assistant}", json={"context": {"pool": "nosuch"}}, timeout=30)
    _refused(patched, 400, ALLOWED)


def test_crons_make_only_runs_a_client_may_make(dev_server):
    cron = {"schedule": "0 0 1 1 *", "assistant_id": "routemoa", "input": {"messages": QUESTION}}
    _refused(_post(dev_server, "/runs/crons", {**cron, "context": {"pool": "nosuch"}}), 400, ALLOWED)
    _refused(_post(dev_server, "/runs/crons", {**cron, "input": {"messages": QUESTION * 201}}), 400, "messages 201")
    made = _post(dev_server, "/runs/crons", {**cron, "context": {"pool": "fake", "max_layers": 1}})
    assert made.status_code == 200, made.text
    httpx.delete(f"{dev_server.url}/runs/crons/{made.json()['cron_id']}", timeout=30)


def test_studio_works_without_credentials_and_meets_the_same_policy(dev_server):
    studio = {"x-auth-scheme": "langsmith"}  # what Studio sends to a local server
    for headers in ({}, studio):
        found = _post(dev_server, "/assistants/search", {"graph_id": "routemoa"}, headers=headers)
        assert found.status_code == 200 and found.json(), found.text
        assistant = found.json()[0]["assistant_id"]
        for path in ("schemas", "graph"):
            assert (
                httpx.get(f"{dev_server.url}/assistants/{assistant}/{path}", headers=headers, timeout=30).status_code
                == 200
            )
    _refused(_post(dev_server, "/runs/stream", _run({"pool": "nosuch"}), headers=studio), 400, ALLOWED)
    r = _post(dev_server, "/runs/wait", _run({"max_layers": 1}), headers=studio)
    assert r.status_code == 200 and r.json()["answer"] == ANSWER, r.text


CALL_S = 0.6
"""Seconds each call to the slow stub takes (the stub answers one call at a time)."""


def _slow_reply(body: dict) -> str:
    """The stub's reply, after CALL_S: an agent's JSON (with peer scores when asked) or the aggregate."""
    import json
    import time

    time.sleep(CALL_S)
    prompt = str(body["messages"])
    if "self_score" not in prompt:
        return "42, aggregated"
    reply = {"answer": f"{body['model']} says 42", "self_score": 0.5}
    if "peer_scores" in prompt:
        reply["peer_scores"] = [0.5] * prompt.count("ANSWER_")
    return json.dumps(reply)


@pytest.fixture
def slow_pool(dev_server):
    """Pool `slowdisc` in the operator's directory: two models of a stub that takes CALL_S per call."""
    from stub_openai import StubOpenAI

    with StubOpenAI() as stub:
        for name in ("slow-a", "slow-b"):
            stub.replies[name] = _slow_reply
        stub.write_pool(dev_server.pools / "slowdisc.yaml", ["slow-a", "slow-b"])
        yield stub
        (dev_server.pools / "slowdisc.yaml").unlink()


def _leave_after_first_event(dev_server, thread: str, body: dict) -> None:
    with httpx.stream("POST", f"{dev_server.url}/threads/{thread}/runs/stream", json=body, timeout=60) as r:
        assert r.status_code == 200, r.read()
        next(r.iter_lines())  # the run exists and streams: leave


def test_a_client_that_leaves_a_stream_cancels_its_run_by_default(dev_server, slow_pool):
    import time

    knobs = {
        "pool": "slowdisc",
        "max_layers": 3,
        "top_k": 2,
        "early_exit": False,
    }  # 3 layers of 2 + the aggregator: 7 calls
    body = {"assistant_id": "routemoa", "input": {"messages": QUESTION}, "context": knobs}
    thread = _post(dev_server, "/threads", {}).json()["thread_id"]
    _leave_after_first_event(dev_server, thread, body)
    left = len(slow_pool.requests)
    time.sleep(7 * CALL_S + 2)
    assert len(slow_pool.requests) - left <= 2, slow_pool.requests  # at most the calls already in flight
    assert [run["status"] for run in httpx.get(f"{dev_server.url}/threads/{thread}/runs").json()] == ["interrupted"]
    # a client that asks for "continue" keeps it: the run finishes without it
    thread, before = _post(dev_server, "/threads", {}).json()["thread_id"], len(slow_pool.requests)
    _leave_after_first_event(dev_server, thread, {**body, "on_disconnect": "continue"})
    deadline = time.monotonic() + 30
    while (
        httpx.get(f"{dev_server.url}/threads/{thread}/runs").json()[0]["status"] in ("pending", "running")
        and time.monotonic() < deadline
    ):
        time.sleep(0.5)
    assert httpx.get(f"{dev_server.url}/threads/{thread}/runs").json()[0]["status"] == "success"
    assert len(slow_pool.requests) - before == 7
