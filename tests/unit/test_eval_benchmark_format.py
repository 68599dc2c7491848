"""Benchmark item format: optional references, choices, labels, aliases and task; old files still load."""

import json

import pytest

from routemoa.errors import UserError
from routemoa.eval.benchmark import load_benchmark

BASE = {"id": "q", "question": "?", "reference": "B", "checker": "choice"}


def write(tmp_path, *objs):
    path = tmp_path / "bench.jsonl"
    path.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in objs) + "\n")
    return path


def test_old_four_field_files_still_load_and_grade(tmp_path):
    items = load_benchmark(
        write(
            tmp_path,
            {"id": "a", "question": "2+2?", "reference": "4", "checker": "gsm8k"},
            {"id": "b", "question": "x", "reference": "x", "checker": "normalized"},
        )
    )
    assert items[0].is_correct('{"answer": "4", "self_score": 0.9}') and items[0].group == "gsm8k"
    assert items[1].score("X.") == 1.0


def test_new_fields_are_read_and_passed_to_the_checker(tmp_path):
    label = {
        "id": "l",
        "question": "NLI",
        "reference": "蕴含",
        "checker": "label",
        "task": "cmnli",
        "labels": ["entailment", "contradiction"],
        "aliases": {"entailment": ["蕴含"]},
    }
    choice = {**BASE, "id": "c", "reference": "Lyon", "choices": ["Paris", "Lyon"]}
    short = {
        "id": "s",
        "question": "Who?",
        "reference": "Denver Broncos",
        "references": ["Broncos"],
        "checker": "short_answer",
    }
    items = load_benchmark(write(tmp_path, label, choice, short))
    assert items[0].task == "cmnli" and items[0].group == "cmnli" and items[0].aliases == {"entailment": ("蕴含",)}
    assert items[0].is_correct("The answer is entailment.") and not items[0].is_correct("Contradiction.")
    assert items[1].is_correct("Answer: B") and items[1].is_correct("It is Lyon.")
    assert items[2].is_correct("The Broncos.")
    assert items[2].as_dict()["references"] == ["Broncos"]


@pytest.mark.parametrize(
    "obj, message",
    [
        ({**BASE, "choices": "A,B"}, "field 'choices' must be a list of non-empty strings"),
        ({**BASE, "choices": [str(i) for i in range(27)]}, "at most 26"),
        ({**BASE, "references": ["ok", ""]}, "field 'references' must be a list"),
        ({**BASE, "reference": "Z", "choices": ["a", "b"]}, "reference 'Z' is not an option letter"),
        ({**BASE, "task": ""}, "field 'task' must be a non-empty string"),
        ({**BASE, "checker": "label"}, "checker 'label' needs field 'labels'"),
        ({**BASE, "checker": "label", "labels": ["yes", "no"]}, "reference 'B' is not one of the labels"),
        (
            {**BASE, "checker": "label", "reference": "yes", "labels": ["yes"], "aliases": {"maybe": ["?"]}},
            "aliases: 'maybe' is not one of the item's labels",
        ),
        (
            {**BASE, "checker": "label", "reference": "yes", "labels": ["yes"], "aliases": ["y"]},
            "field 'aliases' must be an object",
        ),
        ({**BASE, "checker": "regex"}, "field 'checker' is 'regex'"),
        ({**BASE, "extra": 1}, "unknown field 'extra'"),
    ],
)
def test_bad_items_are_one_line_errors_naming_the_line(tmp_path, obj, message):
    with pytest.raises(UserError, match=r"bench.jsonl:1: .*" + message.replace("(", r"\(").replace("?", r"\?")):
        load_benchmark(write(tmp_path, obj))
