"""Every hand-graded fixture answer (tests/data/checker_fixtures*.yaml) is graded as the hand grade says."""

from pathlib import Path

import pytest
import yaml

from routemoa.eval.checkers import PASS_MARK, grade

DATA = Path(__file__).resolve().parents[1] / "data"
CASES = [
    pytest.param(group["item"], answer["text"], answer["ok"], id=f"{path.stem}-{i}-{j}")
    for path in sorted(DATA.glob("checker_fixtures*.yaml"))
    for i, group in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for j, answer in enumerate(group["answers"])
]


def test_fixture_set_size():
    assert len(CASES) >= 150


@pytest.mark.parametrize("item, answer, hand_grade", CASES)
def test_grade_agrees_with_hand_grade(item, answer, hand_grade):
    assert (grade(item, answer) >= PASS_MARK) == hand_grade
