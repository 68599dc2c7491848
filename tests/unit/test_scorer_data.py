"""Scorer data: JSONL validation, the two importers, the mixed-task protocol, the import CLI."""

import argparse
import json
import re

import pytest

from routemoa.errors import UserError
from routemoa.scorer.cli import register
from routemoa.scorer.data import import_routerbench, import_routerdc, mixed_protocol, read_jsonl, task_from_filename

ROUTERBENCH_CSV = (
    ",sample_id,prompt,eval_name,model-a,org/model-b,model-a|model_response,org/model-b|model_response,"
    "model-a|total_cost,org/model-b|total_cost,oracle_model_to_route_to\n"
    "0,arc.1,\"['Which is a mammal?', 'A) cat B) fish']\",arc-challenge,1.0,0.0,\"['A']\",\"['B']\",0.001,0.002,model-a\n"
    "1,mbpp.7,\"['Write a function that adds two numbers.']\",mbpp,,1.0,\"['']\",\"['def add']\",,0.003,org/model-b\n"
)


def _parser():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser


def test_import_routerbench(tmp_path):
    path = tmp_path / "tiny_train.csv"
    path.write_text(ROUTERBENCH_CSV)
    first, second = import_routerbench(path)
    assert first.query == "Which is a mammal?\nA) cat B) fish"
    assert first.scores == {"model-a": 1.0, "org/model-b": 0.0}
    assert first.costs == {"model-a": 0.001, "org/model-b": 0.002}
    assert first.task == "arc-challenge"
    assert second.scores == {"org/model-b": 1.0}  # empty cell: no result, omitted
    assert second.task == "mbpp"


def test_import_routerdc_task_from_file_name(tmp_path):
    path = tmp_path / "gsm8k-train.json"
    path.write_text(json.dumps([{"question": "1+1?", "scores": {"m1": 1.0, "m2": 0.3}}]))
    (record,) = import_routerdc(path)
    assert (record.query, record.scores, record.task) == ("1+1?", {"m1": 1.0, "m2": 0.3}, "gsm8k")
    assert task_from_filename("mmlu_test.json") == "mmlu" and task_from_filename("mbpp.json") == "mbpp"


def test_import_cli_writes_jsonl(tmp_path, capsys):
    src = tmp_path / "arc_challenge_test.json"
    src.write_text(json.dumps([{"question": "q", "scores": {"m1": 0.0, "m2": 1.0}}]))
    out = tmp_path / "out.jsonl"
    args = _parser().parse_args(["scorer", "import", "routerdc", str(src), "--out", str(out)])
    assert args.handler(args) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 1
    (record,) = read_jsonl(out)
    assert record.task == "arc_challenge"


def test_read_jsonl_names_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"query": "ok", "scores": {"m": 1}}\n{"query": "x", "scores": {"m": 1.5}}\n')
    with pytest.raises(UserError, match=r"bad.jsonl:2: .*'m' has 1.5"):
        read_jsonl(path)
    path.write_text("not json\n")
    with pytest.raises(UserError, match=r"bad.jsonl:1: invalid JSON"):
        read_jsonl(path)
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(UserError, match=r"bad.jsonl:1: invalid JSON \(nested too deeply\)"):
        read_jsonl(path)
    path.write_text('{"query": "x", "scores": {"m": ' + "9" * 5000 + "}}\n")
    with pytest.raises(UserError, match=r"bad.jsonl:1: invalid JSON \(a number too long to read"):
        read_jsonl(path)
    path.write_bytes(b'{"query": "caf\xe9"}\n')
    with pytest.raises(UserError, match=r"bad.jsonl: data file is not UTF-8 \(invalid byte at offset 14\)"):
        read_jsonl(path)


def test_routerdc_files_that_are_not_utf8_json_name_the_file(tmp_path):
    path = tmp_path / "gsm8k-train.json"
    for content, says in (
        (b"[\xff]", r"RouterDC file is not UTF-8 \(invalid byte at offset 1\)"),
        (b"[" * 100_000 + b"]" * 100_000, r"invalid JSON \(nested too deeply\)"),
        (b'[{"question": "q", "scores": {"m": ' + b"9" * 5000 + b"}}]", r"invalid JSON \(a number too long to read"),
    ):
        path.write_bytes(content)
        with pytest.raises(UserError, match="gsm8k-train.json: " + says):
            import_routerdc(path)


def test_mixed_protocol_is_disjoint_and_seeded(tmp_path):
    def write(name, n):
        items = [{"question": f"{name} {i}", "scores": {"m1": 1.0, "m2": 0.0}} for i in range(n)]
        (tmp_path / name).write_text(json.dumps(items))

    write("gsm8k-train.json", 5)
    write("gsm8k-test.json", 4)
    write("MATH_prealgebra.json", 6)
    write("mbpp.json", 4)
    train = mixed_protocol(tmp_path, "mixed-train")
    test = mixed_protocol(tmp_path, "mixed-test")
    assert [r.query for r in train] == [r.query for r in mixed_protocol(tmp_path, "mixed-train")]
    assert len(train) == 5 + 3 + 2 and len(test) == 4 + 3 + 2
    assert not {r.query for r in train} & {r.query for r in test}
    with pytest.raises(UserError, match="unknown protocol"):
        mixed_protocol(tmp_path, "mixed-dev")


def test_import_cli_refuses_an_out_it_cannot_write(tmp_path):
    src = tmp_path / "arc_challenge_test.json"
    src.write_text(json.dumps([{"question": "q", "scores": {"m1": 0.0, "m2": 1.0}}]))
    for out, says in ((tmp_path, "is a folder; give a file name"), (src / "x.jsonl", f"cannot write to {src}")):
        args = _parser().parse_args(["scorer", "import", "routerdc", str(src), "--out", str(out)])
        with pytest.raises(UserError, match=re.escape(f"--out {out}") + ".*" + re.escape(says)):
            args.handler(args)
