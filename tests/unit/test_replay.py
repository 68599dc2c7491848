"""Replay data, the replay chat model and the `replay` provider, on a tiny CSV written here."""

import csv

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from routemoa.errors import UserError
from routemoa.eval.replay_data import ReplayError, load_replay
from routemoa.eval.replay_pool import replay_pool
from routemoa.eval.replay_prices import estimate_prices, estimate_tokens
from routemoa.pool import parse_pool
from routemoa.providers import CallSettings, chat_model

MODELS = ["cheap", "big"]
ROWS = [
    # sample_id, eval_name, prompt, {model: (correct, response, cost)}
    ("q1", "math", "['What is 2+2?']", {"cheap": ("1.0", "4", 1.0), "big": ("1.0", "It is 4.", 10.0)}),
    (
        "q2",
        "math",
        "['Name a prime above 10.', 'Name a prime above 10.']",
        {"cheap": ("0.0", "12", 1.0), "big": ("1.0", "11", 10.0)},
    ),
    ("q3", "code", "['Write a function.']", {"cheap": ("0.0", "no", 2.0), "big": ("", "['x']", 20.0)}),
]


def write_csv(path, rows=ROWS, models=MODELS):
    header = ["", "sample_id", "prompt", "eval_name", *models]
    header += (
        [f"{m}|model_response" for m in models] + [f"{m}|total_cost" for m in models] + ["oracle_model_to_route_to"]
    )
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i, (sid, task, prompt, cells) in enumerate(rows):
            writer.writerow(
                [
                    i,
                    sid,
                    prompt,
                    task,
                    *(cells[m][0] for m in models),
                    *(repr([cells[m][1]]) for m in models),
                    *(cells[m][2] for m in models),
                    "cheap",
                ]
            )
    return path


@pytest.fixture
def data_csv(tmp_path):
    return write_csv(tmp_path / "tiny.csv")


def test_load(data_csv):
    data = load_replay(data_csv)
    assert data.models == ("cheap", "big")
    assert [r.sample_id for r in data.records] == ["q1", "q2", "q3"]
    q1, q2, q3 = data.records
    assert q1.prompt == "What is 2+2?" and q1.response["big"] == "It is 4." and q1.cost["big"] == 10.0
    assert q2.prompt == "Name a prime above 10."
    assert q3.correct == {"cheap": 0.0, "big": None}
    assert q3.response["big"] == "['x']"


def test_question_drops_few_shot_prefix(tmp_path):
    rows = [("q1", "arc", repr(["Q: 1+1?\nAnswer:\n2\n\nQ: 2+3?\nAnswer:"]), {m: ("1.0", "5", 1.0) for m in MODELS})]
    record = load_replay(write_csv(tmp_path / "fs.csv", rows)).records[0]
    assert record.question == "Q: 2+3?\nAnswer:"


def test_lookup_longest_contained_prompt(data_csv):
    data = load_replay(data_csv)
    assert data.lookup("What is 2+2?").sample_id == "q1"
    assert data.lookup("Answer in JSON.\nQuestion: Name a prime above 10.\nThanks").sample_id == "q2"
    with pytest.raises(ReplayError):
        data.lookup("something else")


def test_bad_files(tmp_path):
    with pytest.raises(UserError, match="cannot read"):
        load_replay(tmp_path / "missing.csv")
    (tmp_path / "bad.csv").write_text("sample_id,prompt\nq1,hi\n")
    with pytest.raises(UserError, match="total_cost"):
        load_replay(tmp_path / "bad.csv")
    rows = [("q1", "math", "['hi']", {"cheap": ("yes", "4", 1.0), "big": ("1.0", "4", 1.0)})]
    with pytest.raises(UserError, match=r"bad2.csv:2: column 'cheap'"):
        load_replay(write_csv(tmp_path / "bad2.csv", rows))


def test_chat_model_returns_recording_and_cost(data_csv):
    pool = replay_pool([data_csv])
    model = chat_model(pool.get("big"), CallSettings(temperature=0.7, max_tokens=64, timeout_s=5))
    reply = model.invoke([SystemMessage("Be brief."), HumanMessage("Question: Name a prime above 10.")])
    assert reply.content == "11"
    assert reply.response_metadata["cost_usd"] == 10.0
    assert reply.response_metadata["replay_correct"] == 1.0
    assert reply.usage_metadata["output_tokens"] == estimate_tokens("11")
    assert reply.usage_metadata["input_tokens"] > 0


async def test_chat_model_async_and_missing_prompt(data_csv):
    pool = replay_pool([data_csv])
    model = chat_model(pool.get("cheap"), CallSettings(temperature=0.0, max_tokens=64, timeout_s=5))
    reply = await model.ainvoke([HumanMessage("What is 2+2?")])
    assert reply.content == "4" and reply.response_metadata["cost_usd"] == 1.0
    with pytest.raises(ReplayError):
        await model.ainvoke([HumanMessage("an unrecorded question")])


def test_provider_from_pool_file(data_csv):
    doc = {
        "models": [
            {
                "name": "small",
                "provider": "replay",
                "model": "cheap",
                "description": "cheap one",
                "options": {"path": str(data_csv)},
            }
        ]
    }
    spec = parse_pool(doc, "pool.yaml").models[0]
    reply = chat_model(spec, CallSettings(0.0, 16, 5)).invoke([HumanMessage("What is 2+2?")])
    assert reply.content == "4"
    no_path = parse_pool({"models": [{**doc["models"][0], "options": {}}]}, "pool.yaml").models[0]
    with pytest.raises(UserError, match=r"options\.path"):
        chat_model(no_path, CallSettings(0.0, 16, 5))


def test_estimated_prices_recover_a_linear_price(tmp_path):
    prompts = ["a" * 40, "b" * 400, "c" * 4000]
    answers = ["x" * 800, "y" * 8, "z" * 80]
    rows = []
    for i, (p, a) in enumerate(zip(prompts, answers)):
        cost = (estimate_tokens(p) * 2.0 + estimate_tokens(a) * 6.0) / 1e6
        rows.append((f"q{i}", "t", repr([p]), {m: ("1.0", a, cost) for m in MODELS}))
    prices = estimate_prices(load_replay(write_csv(tmp_path / "lin.csv", rows)))
    assert prices["cheap"] == pytest.approx((2.0, 6.0), abs=1e-3)


def test_replay_pool(data_csv):
    pool = replay_pool(data_csv, models=["big"])
    assert pool.names == ["big"]
    spec = pool.get("big")
    assert spec.provider == "replay" and spec.model == "big" and spec.description
    assert spec.options["path"] == [str(data_csv.resolve())]
    with pytest.raises(UserError, match="not in the replay data"):
        replay_pool(data_csv, models=["nope"])
