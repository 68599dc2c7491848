"""The `short_answer` checker and the text normalisation it shares with `exact` and `rouge`."""

import pytest

from routemoa.eval.checkers import grade, normalize
from routemoa.eval.checkers.text import final_answer_candidates, tokens


def short(reference, answer, references=()):
    return grade({"checker": "short_answer", "reference": reference, "references": list(references)}, answer)


def test_normalize_squad_style_with_cjk_and_full_width():
    assert normalize("The  Denver Broncos!") == "denver broncos"
    assert normalize("印度尼西亚。") == "印度尼西亚"
    assert normalize("「北京」，") == "北京"
    assert normalize("ＡＢＣ　１２３") == "abc 123"
    assert tokens("答案是 Paris.") == ["答", "案", "是", "paris"]


def test_final_answer_candidates_most_explicit_first():
    text = "Super Bowl 50 was played between the Denver Broncos and the Carolina Panthers.\n\nAnswer: Denver Broncos"
    assert final_answer_candidates(text)[0] == "Denver Broncos"
    assert final_answer_candidates(r"so \boxed{42} it is")[0] == "42"
    assert final_answer_candidates("It was **Marie Curie**, who won twice.")[0] == "Marie Curie"


@pytest.mark.parametrize(
    "reference, answer, references",
    [
        ("印度尼西亚", "印度尼西亚。", ()),  # CJK punctuation
        ("印度尼西亚", "根据文章，世界上最大的群岛国家是印度尼西亚。", ()),
        ("印度尼西亚", '{"answer": "印度尼西亚", "self_score": 0.9}', ()),
        ("Denver Broncos", "The **Denver Broncos** won Super Bowl 50.", ()),
        ("Denver Broncos", "The Broncos.", ("Broncos",)),
        ("Canberra", "Many people assume Sydney, but the capital of Australia is Canberra.", ()),
        ("Canberra", "CANBERRA", ()),
        ("北京", "答案：北京市", ()),
        ("1945年", "答案是：１９４５年。", ()),  # full-width digits
        ("Marie Curie", "Curie", ()),  # token F1 2/3
        ("photosynthesis", "Plants release oxygen during photosynthesis.\n\nFinal answer: photosynthesis", ()),
    ],
)
def test_short_answer_right(reference, answer, references):
    assert short(reference, answer, references) >= 0.5


@pytest.mark.parametrize(
    "reference, answer",
    [
        ("印度尼西亚", "菲律宾。"),
        ("Denver Broncos", "The Carolina Panthers."),
        ("Canberra", "Sydney"),
        ("1945年", "1944年。"),  # half the characters, wrong number
        ("北京", "北京是首都，但题目问的是中国人口最多的城市。\n答案：上海"),  # incidental mention
    ],
)
def test_short_answer_wrong(reference, answer):
    assert short(reference, answer) < 0.5


def test_short_answer_scores_are_graded():
    assert short("Marie Curie", "Curie") == pytest.approx(2 / 3)
    assert short("Denver Broncos", "Denver Broncos") == 1.0
    assert short("alpha", "beta", references=["beta"]) == 1.0
