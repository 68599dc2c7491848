"""Answer checkers on crafted answers."""

import time

import pytest

from routemoa.errors import UserError
from routemoa.eval.checkers import (
    check,
    check_choice,
    check_code,
    check_exact,
    check_gsm8k,
    check_math,
    check_normalized,
    choice_letter,
    extract_code,
)


@pytest.mark.parametrize(
    "answer, reference",
    [
        (r"So the result is \boxed{\frac{1}{2}}.", "0.5"),
        ("x = 1/2.", r"\frac12"),
        (r"\boxed{0.5}", r"\dfrac{1}{2}"),
        ("The total is 1,000 dollars", "1000"),
        (r"\boxed{5 \text{ cm}}", "5"),
        ("It is $-3$.", "-3"),
        (r"\boxed{-\frac{1}{2}}", "-0.5"),
        (r"\boxed{50\%}", "0.5"),
        ("50%", "50"),
        (r"\boxed{\$12.50}", "12.5"),
        (r"\boxed{x^2 + 1}", "x^2+1"),
        ("First 3, then 4, so 7 apples in total.", "7"),
        (r"\boxed{\left( 1, 2 \right)}", "(1,2)"),
        (r"the answer is \boxed{\boxed{9}} but wait 12", r"\boxed{9}"),
    ],
)
def test_math_equivalent_forms(answer, reference):
    assert check_math(answer, reference)


@pytest.mark.parametrize(
    "answer, reference",
    [("\\boxed{3}", "4"), ("so 1/3", "0.3"), ("7 then 8", "7"), ("no number here", "5"), (r"\boxed{-2}", "2")],
)
def test_math_wrong_answers(answer, reference):
    assert not check_math(answer, reference)


def test_gsm8k():
    assert check_gsm8k("She has 40 + 2 = 42 apples.\n#### 42", "Natalia sold 42.\n#### 42")
    assert check_gsm8k("The answer is $1,200.", "1200")
    assert check_gsm8k("#### -5", "-5")
    assert check_gsm8k("It costs 18 dollars in total.", "#### 18")
    assert not check_gsm8k("13, then 14", "13")
    assert not check_gsm8k("I do not know", "13")


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
        ("I cannot tell", None),
    ],
)
def test_choice_letter(text, letter):
    assert choice_letter(text) == letter


def test_check_choice():
    assert check_choice("The answer is (B)", "B")
    assert check_choice("**c**".upper(), "(C)")
    assert not check_choice("The answer is (B)", "C")
    assert not check_choice("no idea", "A")


def test_exact_and_normalized():
    assert check_exact("  Paris \n", "Paris")
    assert not check_exact("paris", "Paris")
    assert check_normalized("Hello,   World!", "hello world")
    assert not check_normalized("hello world", "hello there")


ADD_TESTS = "assert add(1, 2) == 3\nassert add(-1, 1) == 0"


def test_code_passing_with_fences():
    answer = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\nUsage:\n```python\nprint(add(1, 2))\n```"
    assert check_code(answer, ADD_TESTS)


def test_code_failing():
    assert not check_code("def add(a, b):\n    return a - b\n", ADD_TESTS)
    assert not check_code("this is not python", ADD_TESTS)


def test_code_infinite_loop_times_out():
    start = time.monotonic()
    assert not check_code("def add(a, b):\n    while True:\n        pass\n", ADD_TESTS, timeout_s=1.0)
    assert time.monotonic() - start < 5


def test_code_has_no_network_and_no_environment():
    net = "import socket\nsocket.create_connection(('127.0.0.1', 9))\ndef add(a, b):\n    return a + b\n"
    assert not check_code(net, ADD_TESTS)
    env = "import os\nassert not os.environ.get('HOME') and not os.environ.get('PATH')\ndef add(a, b):\n    return a + b\n"
    assert check_code(env, ADD_TESTS)


def test_extract_code_tagged_and_plain():
    assert extract_code("[PYTHON]\ndef f():\n    return 1\n[/PYTHON]\n[TESTS]").strip() == "def f():\n    return 1"
    assert extract_code("def f(): pass") == "def f(): pass"


def test_dispatcher():
    assert check("gsm8k", "#### 4", "4")
    assert check("choice", "(A)", "A")
    with pytest.raises(UserError, match="unknown checker 'nope'"):
        check("nope", "a", "b")
