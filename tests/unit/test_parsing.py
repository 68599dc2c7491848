import math

import pytest

from routemoa.parsing import parse_reply, to_score


@pytest.mark.parametrize(
    "text, answer, score",
    [
        ('{"answer": "4", "self_score": 0.9}', "4", 0.9),
        ('```json\n{"answer": "4", "self_score": 0.7}\n```', "4", 0.7),
        ('Here you go: {"answer": "Paris", "self_score": 0.8} Hope it helps!', "Paris", 0.8),
        ('{"answer": "x", "self_score": 0.6,}', "x", 0.6),
        ("{'answer': 'y', 'self_score': 0.3}", "y", 0.3),
        ('{"answer": "z", "self_score": 7}', "z", 1.0),
        ('{"answer": "z", "self_score": -2}', "z", 0.0),
        ('{"answer": "z", "self_score": NaN}', "z", None),
        ('{"answer": "z", "self_score": "85%"}', "z", 0.85),
        ('{"answer": "z", "self_score": "very sure"}', "z", None),
        ('{"answer": "z"}', "z", None),
        ('{"answer": 12, "self_score": true}', "12", None),
        ("no json at all", "no json at all", None),
        ('{"answer": "cut off", "self_score": 0.4', "cut off", 0.4),
        ('{"self_score": 0.9}', '{"self_score": 0.9}', 0.9),
        ("", "", None),
    ],
)
def test_parse_reply(text, answer, score):
    parsed = parse_reply(text)
    assert parsed.answer == answer
    assert parsed.self_score == score


def test_peer_scores_are_aligned_and_padded():
    parsed = parse_reply('{"answer": "a", "self_score": 1, "peer_scores": [0.2, "x", 3]}', expected_peers=4)
    assert parsed.peer_scores == [0.2, None, 1.0, None]
    assert parse_reply('{"answer": "a", "peer_scores": "bad"}', expected_peers=2).peer_scores is None
    assert parse_reply('{"answer": "a", "peer_scores": [0.5]}').peer_scores is None


def test_to_score_never_raises():
    for value in (None, [], {}, object(), "nan", float("inf"), -math.inf):
        assert to_score(value) is None or 0.0 <= to_score(value) <= 1.0
