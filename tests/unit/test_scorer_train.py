"""Training, checkpoints, serving and the pool prior, with the real MiniLM encoder on synthetic data."""

import argparse
import json
import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from routemoa.errors import UserError
from routemoa.scorer.checkpoint import META_FILE, load_checkpoint
from routemoa.scorer.cli import register
from routemoa.scorer.data import Record, label_matrix, write_jsonl
from routemoa.scorer.encoder import embed
from routemoa.scorer.metrics import hit_rates
from routemoa.scorer.prior import pool_prior
from routemoa.scorer.serve import Scorer
from routemoa.scorer.train import TrainConfig, train_scorer
from routemoa.spec import ModelSpec, Pool

MODELS = ["mathy", "coder", "chatty"]
NOUNS = ["apples", "trains", "coins", "books", "birds", "chairs", "stones", "cards"]
TASKS = ["sort a list", "reverse a string", "parse a CSV file", "count words", "merge two dicts", "find primes"]


def synthetic(n: int, seed: int) -> list[Record]:
    """Two task families: arithmetic (mathy is right) and programming (coder is right); chatty is a coin flip."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        coin = float(rng.random() < 0.3)
        if i % 2:
            a, b, noun = rng.randint(2, 99), rng.randint(2, 99), rng.choice(NOUNS)
            query = f"Tom has {a} {noun} and buys {b} more. How many {noun} does he have now?"
            records.append(Record(query, {"mathy": 1.0, "coder": 0.0, "chatty": coin}, "math"))
        else:
            query = f"Write a Python function to {rng.choice(TASKS)} in {rng.randint(2, 40)} lines."
            records.append(Record(query, {"mathy": 0.0, "coder": 1.0, "chatty": coin}, "code"))
    return records


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt")
    config = TrainConfig(epochs=15, patience=5, freeze_encoder=True, seed=1)
    summary = train_scorer(synthetic(120, seed=1), out, config, device="cpu")
    assert summary["best_epoch"] >= 1
    return out


def test_training_beats_random_routing(checkpoint):
    test = synthetic(60, seed=2)
    scorer = Scorer(load_checkpoint(checkpoint), device="cpu")
    labels = label_matrix(test, scorer.models)
    trained = hit_rates(scorer.score([r.query for r in test]), labels)["top1_hit"]
    random_hit = np.mean(
        [hit_rates(np.random.default_rng(s).random(labels.shape), labels)["top1_hit"] for s in range(20)]
    )
    assert trained >= 0.95 and trained > random_hit + 0.3


def test_checkpoint_round_trip_identical_scores(checkpoint):
    queries = [r.query for r in synthetic(8, seed=3)]
    first = Scorer(load_checkpoint(checkpoint), device="cpu").score(queries)
    second = Scorer(load_checkpoint(checkpoint), device="cpu").score(queries, batch_size=3)
    np.testing.assert_allclose(first, second, rtol=0, atol=1e-6)
    assert first.shape == (8, 3) and ((first >= 0) & (first <= 1)).all()
    meta = json.loads((checkpoint / META_FILE).read_text())
    assert meta["models"] == MODELS and meta["encoder"] == "all-MiniLM-L6-v2" and meta["format_version"] == 2


def test_different_encoder_is_a_clear_error(checkpoint, tmp_path):
    with pytest.raises(UserError, match="trained with encoder 'all-MiniLM-L6-v2'"):
        load_checkpoint(checkpoint, encoder=str(tmp_path))
    bad = tmp_path / "ckpt"
    bad.mkdir()
    for file in checkpoint.iterdir():
        (bad / file.name).write_bytes(file.read_bytes())
    meta = json.loads((bad / META_FILE).read_text())
    (bad / META_FILE).write_text(json.dumps({**meta, "encoder": str(tmp_path / "no-such-encoder")}))
    with pytest.raises(UserError, match="cannot load encoder"):
        Scorer(load_checkpoint(bad), device="cpu")
    (bad / "scorer.safetensors").write_bytes(b"garbage")
    with pytest.raises(UserError, match="unreadable scorer weights"):
        load_checkpoint(bad)


def test_pool_prior_uses_checkpoint_and_cold_start(checkpoint, caplog):
    specs = (
        ModelSpec("coder", "local", "writes code"),
        ModelSpec("newcomer", "local", "arithmetic and word problems"),
        ModelSpec("mathy", "local", "solves math"),
    )
    prior = pool_prior("Write a Python function to sort a list in 5 lines.", Pool(specs, "test", str(checkpoint)))
    assert list(prior.scores) == ["coder", "newcomer", "mathy"]
    assert prior.source == {"coder": "trained", "newcomer": "zero-shot", "mathy": "trained"}
    assert prior.scores["coder"] > prior.scores["mathy"]
    assert "newcomer" in caplog.text and "cold start" in caplog.text


def test_pool_prior_is_thread_safe(checkpoint):
    pool = Pool((ModelSpec("mathy", "local", "math"), ModelSpec("coder", "local", "code")), "test", str(checkpoint))
    queries = [r.query for r in synthetic(8, seed=7)]
    alone = [pool_prior(q, pool).scores for q in queries]
    with ThreadPoolExecutor(4) as workers:
        together = list(workers.map(lambda q: pool_prior(q, pool).scores, queries))
    for a, b in zip(alone, together):
        assert a == pytest.approx(b, abs=1e-5)


def _scorer_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser


def _train_argv(data, out) -> list[str]:
    """`scorer train` on `data` into `out`: two quick epochs, frozen encoder, CPU."""
    return ["scorer", "train", str(data), "--out", str(out), "--epochs", "2", "--freeze-encoder", "--device", "cpu"]


def test_cli_train_refuses_an_unwritable_out_before_training(tmp_path, monkeypatch):
    import routemoa.scorer.train as train

    monkeypatch.setattr(train, "train_scorer", lambda *a, **k: pytest.fail("trained before checking --out"))
    write_jsonl(synthetic(40, seed=4), tmp_path / "train.jsonl")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = _scorer_parser().parse_args(_train_argv(tmp_path / "train.jsonl", blocker / "ck"))
    with pytest.raises(UserError, match=f"--out: cannot write to {blocker / 'ck'} \\(Not a directory\\)"):
        args.handler(args)  # it trained for minutes, then failed writing the checkpoint (exit 1)


def test_cli_train_and_eval(tmp_path, capsys):
    parser = _scorer_parser()
    write_jsonl(synthetic(40, seed=4), tmp_path / "train.jsonl")
    write_jsonl(synthetic(20, seed=5), tmp_path / "test.jsonl")
    out = tmp_path / "ck"
    argv = _train_argv(tmp_path / "train.jsonl", out)
    args = parser.parse_args(argv)
    assert args.handler(args) == 0
    capsys.readouterr()
    args = parser.parse_args(
        ["scorer", "eval", str(tmp_path / "test.jsonl"), "--checkpoint", str(out), "--json", "--device", "cpu"]
    )
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("top1_hit", "top3_hit", "first_pick_accuracy", "per_task"):
        assert key in result
    assert set(result["baselines"]) == {"best_single", "knn", "task_router"}
    assert set(result["per_task"]) == {"math", "code"}


def test_fine_tuned_encoder_round_trip(tmp_path):
    config = TrainConfig(epochs=1, freeze_encoder=False, batch_size=8)
    train_scorer(synthetic(12, seed=6), tmp_path, config, device="cpu")
    assert (tmp_path / "encoder").is_dir()
    checkpoint = load_checkpoint(tmp_path)
    scores = Scorer(checkpoint, device="cpu").score(["What is 2 plus 2?"])
    assert scores.shape == (1, 3)


async def test_graph_routes_with_the_pool_checkpoint(checkpoint, tmp_path, scripts):
    import yaml

    from routemoa.context import Context
    from routemoa.runner import run_query
    from tests.fakes import Script

    models = [
        {"name": n, "provider": "fake", "model": n, "description": d}
        for n, d in (("mathy", "solves math"), ("coder", "writes code"), ("newcomer", "a new model"))
    ]
    pool = tmp_path / "pool.yaml"
    pool.write_text(yaml.safe_dump({"scorer": str(checkpoint), "models": models}))
    for name in ("mathy", "coder", "newcomer"):
        scripts[name] = Script()
    out = await run_query(
        "Write a Python function to merge two dicts in 6 lines.", Context(pool=str(pool), top_k=1, max_layers=1)
    )
    first = out["trace"][0]
    assert first["models"][0]["name"] == "coder"
    assert first["scores"]["coder"]["prior_source"] == "trained"
    assert out["bill"]["calls"] == 1 and len(scripts["coder"].calls) == 1


def test_checkpoint_has_shrinkage_and_version_1_still_loads(checkpoint, tmp_path):
    ckpt = load_checkpoint(checkpoint)
    assert ckpt.gate is not None and ckpt.meta["shrinkage"]["calibration"]["folds"]["unseen"] == 2
    assert ckpt.input_rule.head_tokens == 32 and len(ckpt.base_rates()) == 3
    queries = [r.query for r in synthetic(6, seed=8)]
    scorer = Scorer(ckpt, device="cpu")
    one_by_one = np.stack([scorer.score_embeddings(e[None])[0] for e in embed(queries, None, "cpu")])
    np.testing.assert_allclose(scorer.score(queries), one_by_one, atol=1e-5)
    old = tmp_path / "v1"
    old.mkdir()
    for file in checkpoint.iterdir():
        if file.name != "shrinkage.safetensors":
            (old / file.name).write_bytes(file.read_bytes())
    meta = json.loads((old / META_FILE).read_text())
    for key in ("input", "base_rates", "shrinkage"):
        meta.pop(key)
    (old / META_FILE).write_text(json.dumps({**meta, "format_version": 1}))
    v1 = Scorer(load_checkpoint(old), device="cpu")
    assert v1.gate is None
    np.testing.assert_allclose(v1.score(queries), v1.head_scores(embed(queries, None, "cpu")), atol=1e-6)
    np.testing.assert_allclose(v1.base_rates, ckpt.base_rates(), atol=1e-6)
    meta["shrinkage"] = {"a": 0.0, "b": 0.0, "mean": 0.5, "std": 0.1, "k": 10}
    (old / META_FILE).write_text(json.dumps({**meta, "format_version": 2}))
    with pytest.raises(UserError, match=r"no shrinkage\.safetensors"):
        load_checkpoint(old)
    (old / META_FILE).write_text(json.dumps({**meta, "format_version": 3}))
    with pytest.raises(UserError, match="reads 1, 2"):
        load_checkpoint(old)


def test_cold_start_model_is_scored_on_the_trained_scale(checkpoint):
    specs = (
        ModelSpec("mathy", "local", "solves arithmetic word problems", input_price=1.0, output_price=1.0),
        ModelSpec("coder", "local", "writes Python code", input_price=10.0, output_price=10.0),
        ModelSpec("chatty", "local", "chats", input_price=0.1, output_price=0.1),
        ModelSpec("coder2", "local", "writes Python code", input_price=10.0, output_price=10.0),
    )
    pool = Pool(specs, "test", str(checkpoint))
    prior = pool_prior("Write a Python function to reverse a string in 3 lines.", pool)
    assert prior.source["coder2"] == "zero-shot"
    base = dict(zip(load_checkpoint(checkpoint).models, load_checkpoint(checkpoint).base_rates()))
    # anchored at the base rates of the two trained models nearest in price (coder, mathy), moved with the query
    shift = np.mean([prior.scores[m] for m in MODELS]) - np.mean(list(base.values()))
    lead = prior.scores["coder2"] - (base["coder"] + base["mathy"]) / 2 - shift
    assert lead == pytest.approx(0.0, abs=1e-5)  # the shipped description gain is 0: price tier and query shift only
    assert prior.scores["coder2"] < prior.scores["coder"]  # not over-trusted


def test_cli_flags_turn_off_shrinkage_and_the_window(tmp_path, capsys):
    parser = _scorer_parser()
    write_jsonl(synthetic(40, seed=4), tmp_path / "train.jsonl")
    out = tmp_path / "ck"
    argv = _train_argv(tmp_path / "train.jsonl", out)
    args = parser.parse_args([*argv, "--no-shrinkage", "--no-strip-prefixes", "--head-tokens", "-1"])
    assert args.handler(args) == 0
    ckpt = load_checkpoint(out)
    assert ckpt.gate is None and ckpt.input_rule.head_tokens == -1 and not (out / "shrinkage.safetensors").exists()
    with pytest.raises(UserError, match="--head-tokens"):
        bad = parser.parse_args([*argv, "--head-tokens", "-2"])
        bad.handler(bad)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xff\xfe", r"checkpoint metadata is not UTF-8 \(invalid byte at offset 0\)"),
        (b"{", r"invalid JSON \(Expecting property name"),
        (b"[" * 100_000, r"invalid JSON \(nested too deeply\)"),
    ],
    ids=["not-utf8", "not-json", "too-deep"],
)
def test_a_checkpoint_meta_that_is_not_utf8_json_is_one_clear_error(tmp_path, content, says):
    (tmp_path / META_FILE).write_bytes(content)
    with pytest.raises(UserError, match=f"{META_FILE}: {says}"):
        load_checkpoint(tmp_path)


def test_a_damaged_array_file_of_a_checkpoint_is_one_clear_error(tmp_path, capsys):
    write_jsonl(synthetic(40, seed=4), tmp_path / "train.jsonl")
    out = tmp_path / "ck"
    args = _scorer_parser().parse_args(_train_argv(tmp_path / "train.jsonl", out))
    assert args.handler(args) == 0
    checkpoint = load_checkpoint(out)
    (out / "shrinkage.safetensors").write_bytes(b"garbage")
    with pytest.raises(UserError, match=r"shrinkage.safetensors: unreadable \(Error while deserializing header"):
        checkpoint.reference()  # was a SafetensorError (exit 1 in the CLI, a failed run in a server)
    (out / "train_data.safetensors").write_bytes(b"")
    with pytest.raises(UserError, match=r"train_data.safetensors: unreadable"):
        checkpoint.train_data()
