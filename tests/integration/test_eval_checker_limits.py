"""Answer checkers under stress: worker threads, pathological expressions, CPU and wall limits (slow: seconds each)."""

import threading
import time

import pytest

from routemoa.eval.checkers import grade, run_program

pytestmark = pytest.mark.integration


def math(reference, answer):
    return grade({"checker": "math", "reference": reference}, answer)


def test_math_from_worker_threads_matches_main_thread():
    """math-verify's signal timeouts only work in the main thread; other threads use a worker process."""
    cases = [
        (r"\frac{20}{3}", r"\boxed{6\frac{2}{3}}", 1.0),
        (r"2\pi", r"\boxed{2}", 0.0),
        (r"\sqrt{2}", r"\boxed{\sqrt2}", 1.0),
    ]
    results = {}

    def work(i, reference, answer):
        results[i] = math(reference, answer)

    threads = [threading.Thread(target=work, args=(i, r, a)) for i, (r, a, _) in enumerate(cases)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == {i: expected for i, (_, _, expected) in enumerate(cases)}


def test_math_pathological_input_is_bounded():
    start = time.monotonic()
    assert math("1", r"\boxed{" + "(" * 3000 + "1" + ")" * 3000 + "}") == 0.0
    assert math("1", r"\boxed{9^{9^{9^{9^{9}}}}}") == 0.0
    assert time.monotonic() - start < 30


def test_code_cpu_limit_and_wall_timeout():
    start = time.monotonic()
    assert not run_program("while True:\n    pass\n", cpu_s=1, timeout_s=20)  # killed by RLIMIT_CPU
    assert time.monotonic() - start < 10
    start = time.monotonic()
    assert not run_program("import time\ntime.sleep(30)\n", timeout_s=1)  # sleeping uses no CPU: wall timeout
    assert time.monotonic() - start < 10
