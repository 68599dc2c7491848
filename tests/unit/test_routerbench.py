"""The one RouterBench CSV reader: scorer import and replay see the same prompt text; bad files are one-line errors."""

import csv

import pytest

from routemoa.errors import UserError
from routemoa.eval.replay_data import load_replay
from routemoa.routerbench import prompt_text, read_routerbench, response_text
from routemoa.scorer.data import import_routerbench

MODELS = ["model-a", "org/model-b"]
FEW_SHOT = (
    "Q: Which gas do plants take in?\nA) oxygen\nB) carbon dioxide\nAnswer:\nB\n\n"
    'Q: Which is a mammal?\nA) cat\nB) fish\nPrint only "A" or "B".\nAnswer:'
)
PROMPTS = {
    "two-part": repr(["Which is a mammal?", "A) cat B) fish"]),
    "repeated": repr([FEW_SHOT, FEW_SHOT]),
    "few-shot": repr([FEW_SHOT]),
    "plain": "2+2",
}


def write_csv(path, prompts=PROMPTS):
    header = ["", "sample_id", "prompt", "eval_name", *MODELS]
    header += (
        [f"{m}|model_response" for m in MODELS] + [f"{m}|total_cost" for m in MODELS] + ["oracle_model_to_route_to"]
    )
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i, (sample_id, prompt) in enumerate(prompts.items()):
            writer.writerow(
                [i, sample_id, prompt, "arc-challenge", "1.0", "0.0", "['A', 'B']", "['B']", "0.001", "", "model-a"]
            )
    return path


def test_scorer_import_and_replay_read_the_same_prompt_text(tmp_path):
    path = write_csv(tmp_path / "arc_challenge_test.csv")
    trained_on = [record.query for record in import_routerbench(path)]
    replayed = [record.prompt for record in load_replay(path).records]
    assert trained_on == replayed
    assert trained_on == ["Which is a mammal?\nA) cat B) fish", FEW_SHOT, FEW_SHOT, "2+2"]


def test_cells():
    assert prompt_text(repr(["a", "b", "a"])) == "a\nb"  # a repeated string counts once
    assert prompt_text("2+2") == "2+2"  # a literal that is not text stays the cell itself
    assert prompt_text("[1, 2]") == "[1, 2]"
    assert prompt_text("'quoted'") == "quoted"
    assert (
        response_text("['first', 'last']") == "last"
        and response_text("[]") == ""
        and response_text("free text") == "free text"
    )


def test_rows(tmp_path):
    table = read_routerbench(write_csv(tmp_path / "t.csv"))
    assert table.models == ("model-a", "org/model-b")
    row = table.rows[0]
    assert (row.sample_id, row.eval_name) == ("two-part", "arc-challenge")
    assert row.correct == {"model-a": 1.0, "org/model-b": 0.0}
    assert row.response == {"model-a": "B", "org/model-b": "B"}
    assert row.cost == {"model-a": 0.001, "org/model-b": None}
    assert load_replay(tmp_path / "t.csv").records[0].cost == {"model-a": 0.001, "org/model-b": 0.0}


@pytest.mark.parametrize(
    "content, message",
    [
        (b"sample_id,prompt,m,m|model_response\nq,hi,1,x\n", "no '<model>|total_cost' columns"),
        (b"prompt,m,m|model_response,m|total_cost\nhi,1,x,0.1\n", "missing column 'sample_id'"),
        (b"sample_id,prompt,m,m|total_cost\nq,hi,1,0.1\n", "model 'm' has no column 'm|model_response'"),
        (
            b"sample_id,prompt,m,m|model_response,m|total_cost\nq,hi,1,x,nan\n",
            r"bad.csv:2: column 'm\|total_cost': expected a number, got 'nan'",
        ),
        (
            b"sample_id,prompt,m,m|model_response,m|total_cost\nq,hi,yes,x,0.1\n",
            r"bad.csv:2: column 'm': expected a number",
        ),
        (b"sample_id,prompt,m,m|model_response,m|total_cost\nq,\xff,1,x,0.1\n", "not UTF-8"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    for read in (read_routerbench, import_routerbench):
        with pytest.raises(UserError, match=message) as error:
            read(path)
        assert "\n" not in str(error.value)
