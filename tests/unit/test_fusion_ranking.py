import pytest

from routemoa.context import Context
from routemoa.decision import decide
from routemoa.fusion import LayerScores, fuse
from routemoa.ranking import rank_models
from routemoa.spec import ModelSpec


def spec(name, out_price=1.0, in_price=1.0, latency=1.0):
    return ModelSpec(
        name=name, provider="fake", description=name, input_price=in_price, output_price=out_price, latency_s=latency
    )


def layer(n, **kw):
    base = dict(
        layer=n,
        prior={"a": 0.6, "b": 0.4, "c": 0.5},
        fused={"a": 0.6, "b": 0.4, "c": 0.5},
        self_now={},
        self_previous={},
        cross={},
        ran_now=[],
        ran_previous=[],
        failed_now=[],
    )
    base.update(kw)
    return LayerScores(**base)


def test_first_layer_fusion_uses_paper_weights():
    fused = fuse(layer(1, self_now={"a": 1.0}, ran_now=["a"]), Context())
    assert fused["a"] == pytest.approx(0.9 * 0.6 + 0.1 * 1.0)
    assert fused["b"] == 0.4 and fused["c"] == 0.5


def test_later_layer_cases():
    scores = layer(
        2,
        fused={"a": 0.7, "b": 0.45, "c": 0.5},
        self_now={"a": 0.8, "c": 0.9},
        self_previous={"a": 0.6, "b": 0.3},
        cross={"a": 1.0, "b": 0.0},
        ran_now=["a", "c"],
        ran_previous=["a", "b"],
    )
    fused = fuse(scores, Context())
    assert fused["a"] == pytest.approx(0.25 * 0.6 + 0.15 * 0.6 + 0.15 * 0.8 + 0.45 * 1.0)
    assert fused["c"] == pytest.approx(0.9 * 0.5 + 0.1 * 0.9)
    assert fused["b"] == pytest.approx(0.7 * 0.4 + 0.1 * 0.3 + 0.2 * 0.0)


def test_missing_cross_keeps_previous_fused_and_failures_are_penalised():
    scores = layer(2, fused={"a": 0.7, "b": 0.45, "c": 0.5}, ran_previous=["a", "b"], ran_now=["c"], failed_now=["c"])
    fused = fuse(scores, Context())
    assert fused["a"] == 0.7 and fused["b"] == 0.45
    assert fused["c"] == pytest.approx(0.5 * 0.5)


def test_self_assessment_switch_drops_self_terms():
    fused = fuse(layer(1, self_now={"a": 1.0}, ran_now=["a"]), Context(self_assessment=False))
    assert fused["a"] == pytest.approx(0.6)


def test_rank_breaks_ties_by_output_price_then_input_price_then_latency():
    specs = [spec("pricey", 10), spec("cheap", 1), spec("cheap_in", 1, 0.5), spec("fast", 1, 0.5, 0.5)]
    picks = rank_models({s.name: 0.8 for s in specs}, specs, top_k=4, tolerance=0.2)
    assert [p.name for p in picks] == ["fast", "cheap_in", "cheap", "pricey"]


def test_rank_tolerance_band_and_top_k():
    specs = [spec("a"), spec("b"), spec("c"), spec("d")]
    picks = rank_models({"a": 0.9, "b": 0.8, "c": 0.65, "d": 0.1}, specs, top_k=3, tolerance=0.2)
    assert [p.name for p in picks] == ["a", "b"]
    assert [p.name for p in rank_models({"a": 0.9, "b": 0.8, "c": 0.65, "d": 0.1}, specs, top_k=1, tolerance=1)] == [
        "a"
    ]
    assert "score 0.900" in picks[0].reason


def test_cost_weight_prefers_cheaper_model():
    specs = [spec("big", 10), spec("small", 1)]
    scores = {"big": 0.8, "small": 0.75}
    assert rank_models(scores, specs, top_k=1, tolerance=0.2)[0].name == "big"
    assert rank_models(scores, specs, top_k=1, tolerance=0.2, cost_weight=0.2)[0].name == "small"


@pytest.mark.parametrize(
    "kw, expected",
    [
        (dict(layer=1, answered_now=["a"], answered_ever=True, candidates_left=True, fused={"a": 0.9}), "early_exit"),
        (dict(layer=1, answered_now=["a"], answered_ever=True, candidates_left=True, fused={"a": 0.5}), "next_layer"),
        (dict(layer=3, answered_now=["a"], answered_ever=True, candidates_left=True, fused={"a": 0.5}), "max_layers"),
        (dict(layer=1, answered_now=[], answered_ever=False, candidates_left=False, fused={"a": 0.5}), "all_failed"),
        (dict(layer=2, answered_now=[], answered_ever=True, candidates_left=False, fused={"a": 0.5}), "no_candidates"),
        (dict(layer=1, answered_now=[], answered_ever=False, candidates_left=True, fused={"a": 0.5}), "next_layer"),
    ],
)
def test_decide(kw, expected):
    assert decide(ctx=Context(), **kw)[0] == expected


def test_early_exit_switch():
    kw = dict(layer=1, answered_now=["a"], answered_ever=True, candidates_left=True, fused={"a": 0.99})
    assert decide(ctx=Context(early_exit=False), **kw)[0] == "next_layer"


@pytest.mark.parametrize(
    "bad", [dict(top_k=0), dict(threshold=1.5), dict(weights_first_layer=[1.0]), dict(max_layers=0)]
)
def test_context_rejects_bad_knobs(bad):
    with pytest.raises(ValueError, match="invalid context"):
        Context(**bad)
