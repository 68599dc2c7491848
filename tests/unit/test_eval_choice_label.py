"""The `choice` and `label` checkers on real-looking answers."""

import pytest

from routemoa.eval.checkers import choice_letter, committed_label, grade


@pytest.mark.parametrize(
    "text, letter",
    [
        ("The answer is (B)", "B"),
        ("B)", "B"),
        ("**C**", "C"),
        ("Answer: d", "D"),
        ("A", "A"),
        (" C\n", "C"),
        ("Answer:\nB", "B"),
        ("B) wet palms", "B"),
        ("The correct answer is: **A**", "A"),
        ("the answer is option E", "E"),
        ("A is tempting, but the answer is (C).", "C"),
        ("The answer is a tricky one. Answer: c.", "C"),
        # forms the old checker missed
        ("A.正确", "A"),
        ("**B. Mitochondria**\n\nMitochondria produce most of the cell's ATP.", "B"),
        ("Option B is correct: mitochondria are the site of aerobic respiration.", "B"),
        ("答案：C", "C"),
        ("答案是 Ｂ。", "B"),
        ("正确答案：D．", "D"),
        ("选项分析：A错误，B错误，D错误。故选C。", "C"),
        ("【答案】B", "B"),
        (r"$\boxed{C}$", "C"),
        (r"\boxed{\text{A}}", "A"),
        ('Reasoning first. "answer": "B"', "B"),
        ("I think the correct option is **F**.", "F"),
        ("Option R matches every clue, so the answer is R.", "R"),
        ("**Answer: C) 42 N**", "C"),
        ("I'd go with C.", "C"),
        ("The answer is B, not C.", "B"),
        # an explicit final statement beats incidental letters; not the first "(X)"
        ("Let's look at (A) first: it ignores friction. (B) double counts. Therefore, the answer is C.", "C"),
        ("(C) looks tempting, but it ignores friction. The correct answer is (D).", "D"),
        ("(A) is wrong because... So I pick (B).", "B"),
        (
            "Step 1: Option A says X, which is false.\nStep 2: Option C says Y, which is true.\n\nTherefore the answer is C.",
            "C",
        ),
        # no commitment
        ("I cannot tell", None),
        ("A chart would be the best way to display this data.", None),
        ("我无法确定答案。", None),
    ],
)
def test_choice_letter(text, letter):
    assert choice_letter(text) == letter


def test_choice_grades_with_unwrapping_and_letters_beyond_e():
    assert grade({"checker": "choice", "reference": "B"}, '{"answer": "B", "self_score": 0.8}') == 1.0
    assert grade({"checker": "choice", "reference": "(F)"}, '```json\n{"answer": "F"}\n```') == 1.0
    assert grade({"checker": "choice", "reference": "Q"}, "The answer is Q.") == 1.0
    assert grade({"checker": "choice", "reference": "B"}, "The answer is (B)") == 1.0
    assert grade({"checker": "choice", "reference": "C"}, "The answer is (B)") == 0.0
    assert grade({"checker": "choice", "reference": "A"}, "no idea") == 0.0


def test_choice_option_texts():
    item = {"checker": "choice", "reference": "A", "choices": ["Paris", "Lyon", "Marseille", "Nice"]}
    assert grade(item, "The capital of France is Paris.") == 1.0
    assert grade(item, "A. Paris") == 1.0
    assert grade(item, "I think it is Lyon.") == 0.0
    assert grade(item, "It is Paris or Lyon, hard to say.") == 0.0  # two options stated: no commitment
    assert grade({**item, "reference": "Lyon"}, "Answer: B") == 1.0  # the reference may be the option text
    zh = {"checker": "choice", "reference": "A", "choices": ["正确", "错误"]}
    assert grade(zh, "这个说法是正确的。") == 1.0
    assert grade(zh, "B.错误，因为题干的说法不成立。") == 0.0


def test_choice_letters_limited_to_the_options():
    item = {"checker": "choice", "reference": "B", "choices": ["x", "y", "z"]}
    assert choice_letter("The answer is (F).", "ABC") is None
    assert grade(item, "I think (B).") == 1.0


NLI = {
    "checker": "label",
    "labels": ["entailment", "neutral", "contradiction"],
    "aliases": {"entailment": ["蕴含"], "neutral": ["中立"], "contradiction": ["矛盾"]},
}
YES_NO = {
    "checker": "label",
    "labels": ["是", "否"],
    "aliases": {"是": ["yes", "相同", "是的"], "否": ["no", "不同", "不相同", "不是"]},
}


@pytest.mark.parametrize(
    "item, text, label",
    [
        (NLI, "Entailment.", "entailment"),
        (NLI, "The relationship is **Contradiction** because the premise says he is asleep.", "contradiction"),
        (NLI, "The premise supports it, so the answer is entailment, not contradiction.", "entailment"),
        (NLI, "Neutral. The premise neither supports nor contradicts the hypothesis.", "neutral"),
        (NLI, "Neutral. It is neither entailment nor contradiction.", "neutral"),
        (NLI, "答案：蕴含", "entailment"),
        (NLI, "ＮＥＵＴＲＡＬ", "neutral"),
        (NLI, "两句话之间的关系是：中立。", "neutral"),
        (NLI, "It could be neutral or entailment, depending on context.", None),
        (NLI, "Label: neutral\n\nExplanation: not entailment, and no contradiction either.", "neutral"),
        (NLI, "**Relation:** Contradiction\n**Reason:** the premise says the shop is closed.", "contradiction"),
        (NLI, "Answer: neutral or entailment", None),
        (NLI, "I am not sure.", None),
        (YES_NO, "答案是：否", "否"),
        (YES_NO, "Yes, the two sentences mean the same thing.", "是"),
        (YES_NO, "两句话意思相同。", "是"),
        (YES_NO, "两句话意思不相同。", "否"),
        (YES_NO, "第一句讲的是天气，第二句讲的是交通。\n因此两句话的意思不同。", "否"),
        (YES_NO, "Yes or no — it is hard to say without more context.", None),
    ],
)
def test_committed_label(item, text, label):
    assert committed_label(item, text) == label


def test_label_grade_uses_aliases_and_unwraps():
    assert grade({**NLI, "reference": "entailment"}, '{"answer": "ENTAILMENT", "self_score": 0.8}') == 1.0
    assert grade({**NLI, "reference": "蕴含"}, "Entailment.") == 1.0  # the reference may be an alias
    assert grade({**NLI, "reference": "neutral"}, "Entailment.") == 0.0
    assert grade({**YES_NO, "reference": "是"}, '{"answer": "是", "self_score": 0.9}') == 1.0
    assert grade({**YES_NO, "reference": "是"}, "Yes or no, hard to say.") == 0.0
    assert grade({**NLI, "reference": "not a label"}, "Entailment.") == 0.0


@pytest.mark.parametrize(
    "text, letter",
    [
        ("B is correct.", "B"),
        ("(C) is the correct answer because the force doubles.", "C"),
        ("**D** is the best choice.", "D"),
        ("The answer is a bit unclear, but I'd say (C)", "C"),  # the article "a" is no letter
        ("Option A is wrong. C is right.", "C"),
        ("Option A is not correct, option D is.", "D"),
    ],
)
def test_choice_letter_stated_as_correct(text, letter):
    assert choice_letter(text) == letter
