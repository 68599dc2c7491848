"""Robust cross-assessment, self-score caps, backing for an early exit, the garbage rule, the reply schema."""

from __future__ import annotations

import json
import random

import pytest

from routemoa.assessment import capped, exit_support, peer_consensus, same_answer_key, update_self_caps
from routemoa.context import Context
from routemoa.decision import decide
from routemoa.fusion import LayerScores, fuse
from routemoa.garbage import garbage_reason, junk_share, screen
from routemoa.reply_schema import reply_schema, scored_response_format
from routemoa.runner import run_query
from routemoa.spec import ModelSpec
from tests.fakes import is_aggregation


def record(model, layer=2, answer="x", self_score=0.5, peers=None, error=None):
    return {
        "role": "agent",
        "layer": layer,
        "model": model,
        "answer": answer,
        "self_score": self_score,
        "peer_scores": peers,
        "input_tokens": 1,
        "output_tokens": 1,
        "usd": 0.0,
        "seconds": 0.0,
        "error": error,
    }


def test_cross_assessment_is_the_median_of_the_others_and_ignores_self_votes():
    shown = ["a", "b", "c", "liar"]
    records = [
        record("a", peers=[1.0, 0.9, 0.8, 0.1]),
        record("b", peers=[0.9, 1.0, 0.9, 0.0]),
        record("c", peers=[0.7, 0.9, 1.0, 0.2]),
        record("liar", peers=[0.0, 0.0, 0.0, 1.0]),
        record("d", peers=None),  # no peer scores: not an assessor
        record("e", peers=[1.0, 1.0, 1.0, 1.0], error="boom"),  # failed: not an assessor
    ]
    found = peer_consensus(records, 2, shown)
    assert found.assessors == ["a", "b", "c", "liar"]
    assert found.consensus == {"a": 0.7, "b": 0.9, "c": 0.8, "liar": 0.1}  # nobody's own score counts
    assert found.votes == {"a": 3, "b": 3, "c": 3, "liar": 3}


def test_one_assessor_cannot_move_a_median_of_three():
    shown = ["a", "b"]
    honest = [record("x", peers=[0.9, 0.2]), record("y", peers=[0.8, 0.1])]
    for liar_scores in ([0.0, 1.0], [1.0, 0.0], [0.0, 0.0]):
        found = peer_consensus([*honest, record("liar", peers=liar_scores)], 2, shown)
        assert 0.8 <= found.consensus["a"] <= 0.9 and 0.1 <= found.consensus["b"] <= 0.2


def test_self_caps_for_overclaiming_last_the_run():
    caps = update_self_caps({}, {"liar": 1.0, "honest": 0.8}, {"liar": 0.1, "honest": 0.9}, margin=0.3)
    assert caps == {"liar": pytest.approx(0.4)}
    later = update_self_caps(caps, {"liar": 1.0}, {"liar": 0.9}, margin=0.3)  # now backed: the cap stays
    assert later == caps
    assert capped({"liar": 1.0, "honest": 0.8}, later) == {"liar": pytest.approx(0.4), "honest": 0.8}


def test_exit_support_needs_another_model():
    alone = [record("a", layer=1, answer="4")]
    assert exit_support(alone, {}, 1, 0.5) is None  # nobody else answered: the self score may decide
    disagree = [record("a", layer=1, answer="4"), record("b", layer=1, answer="5")]
    assert exit_support(disagree, {}, 1, 0.5) == set()
    agree = [*disagree, record("c", layer=1, answer=" 4! ")]
    assert exit_support(agree, {}, 1, 0.5) == {"a", "c"}
    assert exit_support(disagree, {"a": 0.9, "b": 0.5}, 1, 0.5) == {"a"}  # peer consensus above neutral


def test_same_answer_key_ignores_case_spacing_and_closing_punctuation():
    assert same_answer_key("The answer is  42.") == same_answer_key("the answer is 42")
    assert same_answer_key("42") != same_answer_key("43")


def test_decide_exits_only_on_a_backed_model():
    kw = dict(layer=2, answered_now=["liar", "a"], answered_ever=True, candidates_left=True, ctx=Context())
    fused = {"liar": 0.95, "a": 0.8}
    assert decide(fused=fused, supported={"a"}, **kw) == ("early_exit", "a fused 0.800 > threshold 0.760")
    decision, reason = decide(fused={"liar": 0.95, "a": 0.5}, supported={"a"}, **kw)
    assert decision == "next_layer" and "backed" in reason
    assert decide(fused=fused, supported=None, **kw)[1].startswith("liar fused")


def test_unreadable_self_score_costs_the_failure_penalty():
    scores = LayerScores(
        layer=1,
        prior={"a": 0.8, "b": 0.8},
        fused={"a": 0.8, "b": 0.8},
        self_now={"a": 0.5},
        self_previous={},
        cross={},
        ran_now=["a", "b"],
        ran_previous=[],
        failed_now=[],
        unscored_now=["b"],
    )
    fused = fuse(scores, Context())
    assert fused["a"] == pytest.approx(0.9 * 0.8 + 0.1 * 0.5)
    assert fused["b"] == pytest.approx(0.8 * 0.5)


@pytest.mark.parametrize(
    "answer, reply, max_tokens, garbage",
    [
        ("Paris is the capital of France.", None, 64, False),
        ("北京是中国的首都。🙂 def f():\n\treturn 1", None, 64, False),
        ("   \n\t ", None, 64, True),
        ("x" * 200_000, None, 512, True),
        ("\x00\x01\x02 junk \x03\x04\x05\x06", None, 64, True),
        (random.Random(1).randbytes(400).decode("utf-8", "replace"), None, 512, True),
        (random.Random(1).randbytes(400).decode("latin-1"), None, 512, True),
        ("fine", '{"answer": "fine"}' + " " * 5000, 64, True),  # the whole reply is far beyond max_tokens
    ],
)
def test_garbage_rule(answer, reply, max_tokens, garbage):
    reason = garbage_reason(answer, answer if reply is None else reply, max_tokens)
    assert (reason is not None) == garbage


def test_screen_turns_garbage_into_an_error_record():
    bad = screen(record("a", answer="\ufffd" * 50), "\ufffd" * 50, 64)
    assert bad["error"].startswith("garbage reply") and bad["answer"] == "" and bad["self_score"] is None
    good = record("a", answer="fine")
    assert screen(good, "fine", 64) is good
    assert junk_share("") == 0.0


def test_reply_schema_and_response_format_per_pool_setting():
    spec = ModelSpec(name="m", provider="fake", description="d")
    schema = reply_schema(3)
    assert schema["required"] == ["answer", "self_score", "peer_scores"]
    assert schema["properties"]["peer_scores"]["minItems"] == schema["properties"]["peer_scores"]["maxItems"] == 3
    assert "peer_scores" not in reply_schema(0)["properties"]
    fmt = scored_response_format(spec, 2)
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == reply_schema(2)
    assert scored_response_format(
        ModelSpec(name="m", provider="fake", description="d", structured_output="json_object"), 2
    ) == {"type": "json_object"}
    assert (
        scored_response_format(ModelSpec(name="m", provider="fake", description="d", structured_output="none"), 2)
        is None
    )


async def test_garbage_answers_never_aggregate_or_become_final(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["filler", "junk", "good"])
    fixed_prior({"filler": 0.9, "junk": 0.85, "good": 0.8})
    scripts["filler"].reply = json.dumps({"answer": "lorem " * 40_000, "self_score": 1.0})
    scripts["junk"].reply = "\x00\x07\ufffd" * 100
    scripts["good"].reply = lambda p: (
        "aggregated" if is_aggregation(p) else json.dumps({"answer": "G", "self_score": 0.6})
    )
    out = await run_query("q", Context(pool=pool, top_k=3, max_layers=1, max_tokens=256))
    errors = out["trace"][0]["errors"]
    assert errors["filler"].startswith("garbage reply") and errors["junk"].startswith("garbage reply")
    assert out["answer"] == "G" and out["error"] is None  # the one real answer; no aggregation over garbage
    assert scripts["filler"].calls and not any(is_aggregation(c) for c in scripts["filler"].calls)


async def test_a_run_of_only_garbage_ends_with_an_error(fake_pool, fixed_prior, scripts):
    pool = fake_pool(["a", "b"])
    fixed_prior({"a": 0.9, "b": 0.8})
    scripts["a"].reply = "   "
    scripts["b"].reply = "\x01\x02\x03\x04" * 30
    out = await run_query("q", Context(pool=pool, top_k=2, max_layers=2))
    assert out["answer"] == "" and out["error"].startswith("every model failed")
    assert "garbage reply" in out["error"] and "empty answer" in out["error"]
