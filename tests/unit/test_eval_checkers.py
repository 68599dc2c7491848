"""Answer checkers: the `grade` entry point, JSON unwrapping, math, gsm8k, exact, rouge, code."""

import pytest

from routemoa.errors import UserError
from routemoa.eval.checkers import (
    CHECKERS,
    check,
    extract_code,
    final_math_answers,
    grade,
    gsm8k_final_number,
    unwrap_answer,
)


def math(reference, answer):
    return grade({"checker": "math", "reference": reference}, answer)


def gsm8k(reference, answer):
    return grade({"checker": "gsm8k", "reference": reference}, answer)


# ------------------------------------------------------------------ entry point and JSON unwrapping


@pytest.mark.parametrize(
    "reply, answer",
    [
        ('{"answer": "B", "self_score": 0.8}', "B"),
        ('```json\n{"answer": "x = 7", "self_score": 0.95}\n```', "x = 7"),
        ('Here is my reply:\n{"answer": "42", "self_score": 0.9,}', "42"),
        ('{"answer": 5, "self_score": 0.75}', "5"),
        ('{"answer": "The answer is 7", "self_score": 0.9', "The answer is 7"),  # truncated object
        ("Plain text, no JSON.", "Plain text, no JSON."),
    ],
)
def test_unwrap_answer(reply, answer):
    assert unwrap_answer(reply) == answer


def test_grade_unwraps_before_every_checker():
    assert grade({"checker": "choice", "reference": "B"}, '{"answer": "B", "self_score": 0.1}') == 1.0
    assert grade({"checker": "gsm8k", "reference": "#### 72"}, '{"answer": "72", "self_score": 0.95}') == 1.0
    assert grade({"checker": "exact", "reference": "Paris"}, '```json\n{"answer": "Paris"}\n```') == 1.0
    # the self score is never read as the answer
    assert math("7", '{"answer": "x = 5", "self_score": 7}') == 0.0
    assert gsm8k("#### 9", '{"answer": "I am not sure", "self_score": 0.9}') == 0.0


def test_grade_range_empty_and_unknown():
    assert grade({"checker": "math", "reference": "1"}, "") == 0.0
    assert grade({"checker": "math", "reference": "1"}, '{"answer": ""}') == 0.0
    with pytest.raises(UserError, match="unknown checker 'nope'"):
        grade({"checker": "nope", "reference": "b"}, "a")
    with pytest.raises(UserError, match="needs a judge model"):
        grade({"checker": "judge", "reference": "b"}, "a")
    assert set(CHECKERS) >= {
        "math",
        "gsm8k",
        "choice",
        "label",
        "short_answer",
        "exact",
        "normalized",
        "rouge",
        "judge",
        "code",
    }


def test_old_check_entry_point():
    assert check("gsm8k", "#### 4", "4")
    assert check("choice", "(A)", "A")
    assert check("normalized", "Hello,   World!", "hello world")
    with pytest.raises(UserError, match="unknown checker 'nope'"):
        check("nope", "a", "b")


# ------------------------------------------------------------------ math


@pytest.mark.parametrize(
    "reference, answer",
    [
        ("0.5", r"So the result is \boxed{\frac{1}{2}}."),
        (r"\frac12", "x = 1/2."),
        (r"\dfrac{1}{2}", r"\boxed{0.5}"),
        ("1000", "The total is 1,000 dollars"),
        ("5", r"\boxed{5 \text{ cm}}"),
        ("-0.5", r"\boxed{-\frac{1}{2}}"),
        ("12.5", r"\boxed{\$12.50}"),
        ("x^2+1", r"\boxed{x^2 + 1}"),
        ("(1,2)", r"\boxed{\left( 1, 2 \right)}"),
        (r"6\frac{2}{3}", r"The answer is $6\frac{2}{3}$"),
        (r"\frac{20}{3}", r"\boxed{6\frac{2}{3}}"),
        (r"2\pi", r"\boxed{2\pi}"),
        (r"4\sqrt{2}", r"\boxed{\sqrt{32}}"),
        (r"\sqrt{2}", r"Therefore the final answer is $\boxed{\sqrt2}$."),
        ("2, 3", "The roots are $x = 3$ and $x = 2$.\n\n**Final answer:** $x = 3, 2$"),
        (r"\{1,2,3\}", r"\boxed{\{3, 1, 2\}}"),
        ("(1,2]", r"The solution set is $\boxed{(1, 2]}$."),
        ("(x+1)^2", r"\boxed{x^2 + 2x + 1}"),
        (r"30^\circ", r"\boxed{30}"),
        ("10", "最终答案：\\boxed{１０}"),
        ("12345678901234567", "The result is 12,345,678,901,234,567."),
        ("0.5", "Therefore, the probability is 0.5."),
        ("7", '```json\n{"answer": "x = 7", "self_score": 0.95}\n```'),
    ],
)
def test_math_equivalent(reference, answer):
    assert math(reference, answer) == 1.0


@pytest.mark.parametrize(
    "reference, answer",
    [
        (r"6\frac23", r"so the whole number of hours is $\boxed{6}$."),  # a number is not its mixed number
        (r"6\frac23", "The answer is 6."),
        (r"2\pi", r"Using $C = 2r$ we get $\boxed{2}$."),
        (r"4\sqrt{2}", r"The side is 4, so the diagonal is $\boxed{4}$."),
        ("12345678901234568", r"\boxed{12345678901234567}"),  # exact integers stay exact
        ("123456789012345678", "Final answer: 123456789012345680"),
        ("[1,2)", r"\boxed{(1,2]}"),
        ("5", r"The train leaves at 5:00 AM and arrives 3 hours later, so the answer is \boxed{8}."),
        ("5", 'The meeting starts at 5:00 AM.\n{"answer": "7", "self_score": 5}'),  # neither 00 nor the self score
        ("3", "I think it's 3 or 4."),
        ("4", r"\boxed{3}"),
        ("2", r"\boxed{-2}"),
        ("5", "no number here"),
    ],
)
def test_math_not_equivalent(reference, answer):
    assert math(reference, answer) == 0.0


def test_final_math_answers_prefers_the_explicit_answer():
    assert final_math_answers(r"first \boxed{1} then \boxed{2}") == ["2"]
    assert final_math_answers("The answer is $x = 4$, since 2 + 2 = 4.")[0] == "x = 4"
    assert final_math_answers("Final answer: 7 apples") == ["7"]
    assert final_math_answers("The answer is 5 (not 6).") == ["5"]


# ------------------------------------------------------------------ gsm8k


@pytest.mark.parametrize(
    "reference, answer, right",
    [
        ("Natalia sold 42.\n#### 42", "She has 40 + 2 = 42 apples.\n#### 42", True),
        ("1200", "The answer is $1,200.", True),
        ("-5", "#### -5", True),
        ("#### 18", "It costs 18 dollars in total.", True),
        ("#### 2325", r"The total cost is $1,550 + $775 = $\boxed{2,\!325}$.", True),
        ("#### 2325", r"$\boxed{2{,}325}$", True),
        ("#### 18", "The answer is 18. (Check: 9 eggs × $2 = $18 and 18 × 2 = 36.)", True),
        ("#### 18", "**Answer: $18**", True),
        ("#### 5", "He wakes at 5:00 AM and runs 5 laps. Final answer: 5", True),
        ("#### 1200", "The total revenue is $1,200.00.", True),
        ("#### 624", "最终答案是 624 元。", True),
        ("#### 0", "It starts at 5:00 AM.", False),  # `00` of a time is no number
        ("13", "13, then 14", False),
        ("13", "I do not know", False),
        ("#### 72", "48 - 24 = 24 more in April. The answer is 24.", False),
        ("#### 12345678901234567", "12345678901234568", False),
    ],
)
def test_gsm8k(reference, answer, right):
    assert gsm8k(reference, answer) == float(right)


def test_gsm8k_final_number_is_exact():
    assert gsm8k_final_number("so 2,\\!325 in total") == 2325
    assert gsm8k_final_number("#### 0.5") * 2 == 1


def test_a_number_too_long_to_convert_grades_as_wrong_not_an_error():
    huge = "9" * 5000  # past int()'s 4,300 digits: grading raised ValueError and stopped
    assert grade({"checker": "gsm8k", "reference": "#### 4"}, f"The answer is {huge}") == 0.0
    assert grade({"checker": "gsm8k", "reference": f"#### {huge}"}, "4") == 0.0
    assert grade({"checker": "math", "reference": "\\boxed{4}"}, f"\\boxed{{{huge}}}") == 0.0
    assert grade({"checker": "math", "reference": f"\\boxed{{{huge}}}"}, f"\\boxed{{00{huge}}}") == 1.0
    assert grade({"checker": "math", "reference": "\\boxed{-0}"}, "\\boxed{0}") == 1.0


# ------------------------------------------------------------------ exact / normalized / rouge


def test_exact_is_normalised_and_normalized_is_its_alias():
    for kind in ("exact", "normalized"):
        assert grade({"checker": kind, "reference": "Paris"}, "  paris. \n") == 1.0
        assert grade({"checker": kind, "reference": "Hello, World!"}, "hello world") == 1.0
        assert grade({"checker": kind, "reference": "印度尼西亚"}, "印度尼西亚。") == 1.0
        assert grade({"checker": kind, "reference": "ABC"}, "ＡＢＣ") == 1.0  # full-width
        assert grade({"checker": kind, "reference": "hello world"}, "hello there") == 0.0
        assert grade({"checker": kind, "reference": "x", "references": ["Paris"]}, "Paris") == 1.0


def test_rouge_l_f1_with_cjk_characters():
    assert grade({"checker": "rouge", "reference": "the cat sat on the mat"}, "The cat sat on the mat.") == 1.0
    # LCS "今天天气" (4 of 6 characters on both sides) -> F1 = 2/3
    assert grade({"checker": "rouge", "reference": "今天天气很好"}, "今天天气不错") == pytest.approx(2 / 3)
    assert grade({"checker": "rouge", "reference": "alpha beta", "references": ["gamma delta"]}, "gamma delta") == 1.0
    assert grade({"checker": "rouge", "reference": "alpha beta"}, "something else") == 0.0


# ------------------------------------------------------------------ code

ADD_TESTS = "assert add(1, 2) == 3\nassert add(-1, 1) == 0"
ADD = "def add(a, b):\n    return a + b\n"


def code(answer, tests=ADD_TESTS):
    return grade({"checker": "code", "reference": tests}, answer)


def test_code_passing_with_fences_and_json():
    answer = "Here you go:\n```python\n" + ADD + "```\nUsage:\n```python\nprint(add(1, 2))\n```"
    assert code(answer) == 1.0
    assert code('{"answer": "def add(a, b):\\n    return a + b", "self_score": 0.9}') == 1.0


def test_code_failing():
    assert code("def add(a, b):\n    return a - b\n") == 0.0
    assert code("this is not python") == 0.0


@pytest.mark.parametrize(
    "prelude",
    [
        "import socket\nsocket.socket()\n",
        "import socket\nsocket.create_connection(('127.0.0.1', 9))\n",
        "import subprocess\nsubprocess.run(['true'])\n",
        "import os\nos.system('true')\n",
        "import os\nos.fork()\n",
        "open('big', 'wb').write(b'0' * (64 << 20))\n",  # over the file-size limit
        "x = bytearray(4 << 30)\n",  # over the address-space limit
    ],
)
def test_code_limits_refuse(prelude):
    assert code(prelude + ADD) == 0.0


def test_code_environment_is_empty_and_cwd_is_a_temp_dir():
    probe = "import os\nassert not os.environ.get('HOME') and not os.environ.get('PATH')\n"
    probe += "assert os.path.basename(os.getcwd()).startswith('routemoa-code-')\n"
    assert code(probe + ADD) == 1.0


def test_extract_code_tagged_and_plain():
    assert extract_code("[PYTHON]\ndef f():\n    return 1\n[/PYTHON]\n[TESTS]").strip() == "def f():\n    return 1"
    assert extract_code("def f(): pass") == "def f(): pass"


def test_programs_that_contain_an_answer_dict_are_not_unwrapped():
    program = '```python\ndef f():\n    return {"answer": 42}\n```'
    assert unwrap_answer(program) == program
    bare = "def f():\n    return {'answer': 42}\n"
    assert unwrap_answer(bare) == bare
    assert code(bare, "assert f() == {'answer': 42}") == 1.0
