"""Live-evaluation plumbing: benchmark files, the resumable result cache, report arithmetic."""

import json

import numpy as np
import pytest

from routemoa.errors import UserError
from routemoa.eval.benchmark import load_benchmark
from routemoa.eval.cache import ResultCache
from routemoa.eval.report import markdown, percentile, summarize, write_report

ITEMS = [
    {"id": "a", "question": "2+2?", "reference": "4", "checker": "gsm8k"},
    {"id": "b", "question": "Pick one", "reference": "B", "checker": "choice"},
]


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_load_benchmark(tmp_path):
    path = write_lines(tmp_path / "bench.jsonl", [json.dumps(ITEMS[0]), "", json.dumps(ITEMS[1])])
    items = load_benchmark(path)
    assert [i.id for i in items] == ["a", "b"]
    assert items[0].is_correct("so 4") and items[1].is_correct("The answer is (B)") and not items[1].is_correct("A")


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("{not json", r"bench.jsonl:2: invalid JSON"),
        ('["a"]', r"bench.jsonl:2: expected a JSON object"),
        (json.dumps({**ITEMS[1], "checker": "regex"}), r"bench.jsonl:2: field 'checker' is 'regex'"),
        (
            json.dumps({k: v for k, v in ITEMS[1].items() if k != "question"}),
            r"bench.jsonl:2: field 'question' is required",
        ),
        (json.dumps({**ITEMS[1], "extra": 1}), r"bench.jsonl:2: unknown field 'extra'"),
        (json.dumps({**ITEMS[1], "id": "a"}), r"bench.jsonl:2: id 'a' is duplicated"),
    ],
)
def test_benchmark_errors_name_the_line(tmp_path, bad_line, message):
    path = write_lines(tmp_path / "bench.jsonl", [json.dumps(ITEMS[0]), bad_line])
    with pytest.raises(UserError, match=message):
        load_benchmark(path)


def test_benchmark_missing_or_empty(tmp_path):
    with pytest.raises(UserError, match="cannot read benchmark"):
        load_benchmark(tmp_path / "none.jsonl")
    with pytest.raises(UserError, match="no items"):
        load_benchmark(write_lines(tmp_path / "empty.jsonl", [""]))


async def test_cache_second_run_makes_no_calls(tmp_path):
    calls = []

    async def fake_runner(method, item_id):
        calls.append((method, item_id))
        return {"correct": item_id == "a", "usd": 0.01, "seconds": 1.0, "calls": 2}

    async def run_all(cache):
        return [
            await cache.get_or_run(m, i, lambda m=m, i=i: fake_runner(m, i))
            for m in ("moa", "routemoa")
            for i in ("a", "b")
        ]

    path = tmp_path / "cache" / "results.jsonl"
    first = await run_all(ResultCache(path))
    assert len(calls) == 4
    second = await run_all(ResultCache(path))
    assert len(calls) == 4 and second == first
    assert len(path.read_text().splitlines()) == 4


async def test_cache_resumes_after_torn_write(tmp_path):
    path = tmp_path / "results.jsonl"
    cache = ResultCache(path)
    cache.put({"method": "moa", "id": "a", "correct": True, "usd": 0.1, "seconds": 1, "calls": 1})
    with open(path, "a") as handle:
        handle.write('{"method": "moa", "id": "b", "corr')  # died mid-write
    resumed = ResultCache(path)
    assert len(resumed) == 1 and resumed.get("moa", "a")["correct"] is True and resumed.get("moa", "b") is None
    with open(path, "ab") as handle:
        handle.write('\n{"method": "moa", "id": "c", "answer": "\u00e9'.encode()[:-1])  # died inside a UTF-8 character
    assert len(ResultCache(path)) == 1


def test_percentile_matches_numpy():
    values = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 7.0]
    for q in (0, 50, 90, 95, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)


def test_report_arithmetic(tmp_path):
    results = [
        {"method": "moa", "id": str(i), "correct": i < 3, "usd": 0.04, "seconds": float(s), "calls": 10}
        for i, s in enumerate([10, 20, 30, 40])
    ] + [
        {"method": "routemoa", "id": str(i), "correct": True, "usd": u, "seconds": 2.0, "calls": c}
        for i, (u, c) in enumerate([(0.001, 2), (0.003, 4)])
    ]
    moa, route = summarize(results)
    assert moa == {
        "method": "moa",
        "n": 4,
        "accuracy": 0.75,
        "usd_per_query": pytest.approx(0.04),
        "latency_p50_s": 25.0,
        "latency_p95_s": pytest.approx(38.5),
        "calls_per_query": 10.0,
    }
    assert (
        route["accuracy"] == 1.0 and route["usd_per_query"] == pytest.approx(0.002) and route["calls_per_query"] == 3.0
    )
    assert "| routemoa | 2 | 100.0 % | $0.00200 | $20.00 |" in markdown([route])
    paths = write_report(results, tmp_path / "rep")
    assert [p.name for p in paths] == ["report.json", "report.md", "report.png"] and all(
        p.stat().st_size for p in paths
    )
    assert json.loads(paths[0].read_text())["methods"][0]["method"] == "moa"
