"""The encoder-input rule, the shrinkage gate and cold-start scores, on tiny synthetic data (no encoder)."""

import numpy as np
import pytest

from routemoa.scorer.cold_start import cold_start_scores, price_anchor
from routemoa.scorer.shrinkage import (
    ALWAYS,
    NEVER,
    Fold,
    Gate,
    calibrated_floor,
    familiarity,
    fit_gate,
    profile_target,
    shrink,
    task_profiles,
)
from routemoa.scorer.text import InputRule, common_prefixes, head_tail

SHOTS = "".join(f"Question {i}: what is {i} + {i}?\nAnswer: {2 * i}\n\n" for i in range(12))


class CharTokenizer:
    """One token per character, with offsets (stands in for a fast tokenizer)."""

    def __call__(self, text, add_special_tokens=False, return_offsets_mapping=True, verbose=False):
        return {"offset_mapping": [(i, i + 1) for i in range(len(text))]}


def test_common_prefix_found_and_stripped():
    texts = [SHOTS + f"Question: how many legs has animal {i}?\nAnswer:" for i in range(30)] + ["short one"] * 5
    prefixes = common_prefixes(texts)
    assert prefixes == (SHOTS,)
    rule = InputRule(prefixes)
    assert rule.strip(texts[3]) == "Question: how many legs has animal 3?\nAnswer:"
    assert rule.strip(SHOTS) == SHOTS  # nothing would remain: kept whole
    assert rule.strip("unrelated") == "unrelated"  # noqa: B005 (InputRule.strip, not str.strip)


def test_rare_or_short_prefixes_are_kept():
    assert common_prefixes([SHOTS + "a?", SHOTS + "b?"]) == ()  # fewer than MIN_PREFIX_COUNT
    assert common_prefixes([f"Say hi to {i}\nplease" for i in range(50)]) == ()  # shorter than MIN_PREFIX_CHARS


def test_head_tail_window_keeps_both_ends():
    text = "HEAD" + "x" * 1000 + "TAIL?"
    out = head_tail(text, CharTokenizer(), max_tokens=50, head_tokens=4)
    assert out.startswith("HEAD") and out.endswith("TAIL?") and len(out) <= 50
    assert head_tail("short", CharTokenizer(), 50, 4) == "short"
    assert InputRule(head_tokens=-1).apply([text], CharTokenizer(), 50) == [
        text
    ]  # plain truncation left to the encoder


def test_input_rule_json_round_trip():
    rule = InputRule(("abc\n",), 16)
    assert InputRule.from_json(rule.to_json()) == rule
    assert InputRule.from_json(None) == InputRule()


def test_familiarity_and_gate():
    ref = np.eye(4, dtype=np.float32)
    assert familiarity(ref[:1], ref, k=1)[0] == pytest.approx(1.0)
    assert familiarity(ref, ref, k=1, leave_self_out=True) == pytest.approx(np.zeros(4))
    gate = Gate(a=0.0, b=-2.0, mean=0.5, std=0.1, tau=0.05)
    w = gate.weight(np.array([0.9, 0.5, 0.1]))
    assert w[0] < 0.01 and w[1] == pytest.approx(0.5) and w[2] > 0.99
    assert Gate.from_json(gate.to_json()) == gate
    floored = Gate(a=-50.0, b=0.0, mean=0.5, std=0.1, floor=-2.0)  # head only, down to z = -2
    np.testing.assert_allclose(floored.weight(np.array([0.5, 0.3, 0.25, 0.1])), [0.0, 0.0, 0.5, 1.0], atol=1e-12)
    assert Gate.from_json(floored.to_json()) == floored
    probs, base = np.array([[0.9, 0.1]]), np.array([0.2, 0.8])
    np.testing.assert_allclose(shrink(probs, base, np.array([0.25])), [[0.725, 0.275]])


def _fold(kind, z, right: int, head_pick: int, n=40):
    """Model `right` is right on every query; the head prefers `head_pick`; the base rate prefers model 0."""
    labels = np.zeros((n, 2))
    labels[:, right] = 1.0
    probs = np.tile([0.7, 0.3] if head_pick == 0 else [0.3, 0.7], (n, 1))
    return Fold(kind, probs, np.full(n, z), {None: np.array([0.6, 0.4])}, labels)


def test_fit_gate_shrinks_only_unfamiliar_queries():
    folds = [_fold("seen", 1.0, right=1, head_pick=1), _fold("unseen", -3.0, right=0, head_pick=1)]
    a, b, tau, summary = fit_gate(folds)
    assert tau is None
    w_seen, w_unseen = (1 / (1 + np.exp(-(a + b * z))) for z in (1.0, -3.0))
    assert w_seen < 0.5 < w_unseen
    assert summary["objective"] > summary["head_only"] and summary["objective"] > summary["base_only"]


def test_fit_gate_prefers_the_head_when_it_is_right():
    a, b, _, _ = fit_gate([_fold("seen", 0.0, 1, 1), _fold("unseen", -1.0, 1, 1)])
    assert (a, b) == (NEVER, 0.0)
    a, _, _, _ = fit_gate([_fold("seen", 0.0, 0, 1)])
    assert a == ALWAYS or a > 0


def test_gate_is_fitted_with_the_floor_and_penalises_shortfalls():
    """The floor comes from the seen fold; a fold left below the base rates costs its shortfall."""
    seen, unseen = _fold("seen", 0.0, right=1, head_pick=1), _fold("unseen", -3.0, right=0, head_pick=1)
    assert calibrated_floor([seen, unseen]) == pytest.approx(0.0)  # the unseen fold's z does not lower it
    # Without the floor the head alone is right on the seen fold and wrong on the unseen one:
    # mean (2 + 1) / 2 minus the unseen fold's shortfall of 1 over two folds.
    assert fit_gate([seen, unseen])[3]["head_only"] == pytest.approx(1.0)
    # With it the unseen queries (3 below the floor) get the base rates, and the head alone is enough.
    a, b, _, summary = fit_gate([seen, unseen], floor=0.0)
    assert (a, b) == (NEVER, 0.0) and summary["objective"] == pytest.approx(2.0)


def test_task_profile_target_is_a_soft_task_router():
    emb = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32)
    labels = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32)
    centroids, profiles = task_profiles(emb, labels, np.array([0, 0, 1, -3]))  # -3: untagged, left out
    np.testing.assert_allclose(centroids, [[1, 0], [0, 1]])
    np.testing.assert_allclose(profiles, [[1, 0], [0, 1]])
    sharp = profile_target(np.array([[0.9, 0.1]], dtype=np.float32), centroids, profiles, tau=0.01)
    soft = profile_target(np.array([[0.9, 0.1]], dtype=np.float32), centroids, profiles, tau=10.0)
    assert sharp[0, 0] > 0.99 and 0.5 < soft[0, 0] < 0.53


def test_fit_gate_picks_the_task_profile_when_it_is_right():
    fold = _fold("unseen", 0.0, right=1, head_pick=0)
    fold.targets[0.03] = np.tile([0.2, 0.8], (len(fold.labels), 1))  # the task router knows model 1 is right
    a, _, tau, _ = fit_gate([fold])
    assert tau == 0.03 and a >= 0  # w >= 0.5 at average familiarity


def test_price_anchor_uses_the_nearest_price_tier():
    prices, base = np.array([1.0, 2.0, 30.0, 40.0]), np.array([0.3, 0.4, 0.8, 0.9])
    assert price_anchor(35.0, prices, base) == pytest.approx(0.85)
    assert price_anchor(1.5, prices, base) == pytest.approx(0.35)
    assert price_anchor(0.0, prices, base) == pytest.approx(0.6)  # unknown price: median


def test_cold_start_follows_the_query_and_its_description():
    trained = np.array([[0.9, 0.7], [0.3, 0.1]])  # an easy and a hard query
    scores = cold_start_scores(
        trained,
        np.array([0.6, 0.4]),
        np.array([1.0, 30.0]),
        np.array([[0.5, 0.5], [0.5, 0.5]]),
        np.array([30.0]),
        np.array([[0.6], [0.5]]),
        gain=1.0,
    )
    assert scores.shape == (2, 1)
    assert scores[0, 0] == pytest.approx(0.5 + 0.3 + 0.1)  # anchor: both trained models are the nearest two
    assert scores[1, 0] == pytest.approx(0.5 - 0.3)
