"""`routemoa eval run` end to end on fake models: report, cache, exact calls, errors."""

from __future__ import annotations

import json

from routemoa.cli import main


def test_eval_run_reports_and_resumes(fake_pool, fixed_prior, scripts, tmp_path, capsys):
    pool = fake_pool(["a", "b"])
    fixed_prior({"a": 0.9, "b": 0.8})
    scripts["a"].reply = lambda p: "The answer is 4." if "2+2" in p else "I think 6."
    scripts["b"].reply = "5"
    bench = tmp_path / "bench.jsonl"
    bench.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "q1", "question": "2+2?", "reference": "4", "checker": "gsm8k"},
                {"id": "q2", "question": "3+2?", "reference": "5", "checker": "gsm8k"},
            ]
        )
    )
    out = tmp_path / "out"
    argv = [
        "eval",
        "run",
        "--benchmark",
        str(bench),
        "--methods",
        "moa,single:a",
        "--pool",
        pool,
        "--out",
        str(out),
        "--json",
        "--quiet",
        "--max-layers",
        "1",
    ]
    assert main(argv) == 0
    rows = {r["method"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["single:a"]["accuracy"] == 0.5 and rows["single:a"]["calls_per_query"] == 1
    assert rows["moa"]["calls_per_query"] == 3  # 2 models x 1 layer + aggregator
    assert {p.name for p in out.iterdir()} >= {"results.jsonl", "report.json", "report.md", "report.png"}
    calls_before = sum(len(s.calls) for s in scripts.values())
    assert main(argv) == 0  # resumed entirely from the cache: no new calls
    assert sum(len(s.calls) for s in scripts.values()) == calls_before


def test_an_unwritable_out_or_a_bad_limit_is_refused_before_any_call(fake_pool, scripts, tmp_path, capsys):
    pool = fake_pool(["a"])
    bench = tmp_path / "b.jsonl"
    bench.write_text(json.dumps({"id": "1", "question": "q", "reference": "r", "checker": "exact"}))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    argv = ["eval", "run", "--benchmark", str(bench), "--methods", "single:a", "--pool", pool, "--quiet"]
    assert main([*argv, "--out", str(blocker / "out")]) == 2  # ran every item, then failed writing (exit 1)
    assert capsys.readouterr().err == f"error: --out: cannot write to {blocker / 'out'} (Not a directory)\n"
    assert main([*argv, "--out", str(blocker)]) == 2
    assert capsys.readouterr().err == f"error: --out: cannot write to {blocker} (not a folder)\n"
    assert main([*argv, "--out", str(tmp_path / "out"), "--limit", "0"]) == 2  # ran nothing and reported it
    assert capsys.readouterr().err == "error: --limit must be >= 1, got 0\n"
    assert scripts["a"].calls == []


def test_eval_run_bad_method_is_one_line(fake_pool, tmp_path, capsys):
    pool = fake_pool(["a"])
    bench = tmp_path / "b.jsonl"
    bench.write_text(json.dumps({"id": "1", "question": "q", "reference": "r", "checker": "exact"}))
    assert main(["eval", "run", "--benchmark", str(bench), "--methods", "magic", "--pool", pool]) == 2
    assert capsys.readouterr().err.startswith("error: --methods: unknown method 'magic'")
    assert main(["eval", "run", "--benchmark", str(bench), "--methods", "single:zz", "--pool", pool]) == 2
