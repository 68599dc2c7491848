"""The numpy serving encoder computes what sentence-transformers computes, on the same folder."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from routemoa.scorer.encoder import DEFAULT_ENCODER, _encode, load_encoder, resolve_encoder_path, serving_encoder
from routemoa.scorer.lean_encoder import GELU_CHUNK, LeanEncoder, Unsupported, _gelu_
from routemoa.scorer.text import head_tail

TEXTS = [
    "What is 12 + 7?",
    "",
    "x",
    "def f(x):\n    return x * 2  # why does this fail for strings?",
    "Ünïcode, 日本語 and emoji 😀 in one question",
    "a question much longer than the window " * 60,  # truncated at max_seq_length
    "The capital of France is",
]


@pytest.fixture(scope="module")
def lean() -> LeanEncoder:
    return LeanEncoder(resolve_encoder_path(DEFAULT_ENCODER))


def test_embeddings_match_sentence_transformers(lean):
    reference = _encode(load_encoder(DEFAULT_ENCODER, "cpu"), TEXTS, batch_size=3)
    ours = lean.encode(TEXTS, batch_size=3)
    assert ours.dtype == np.float32 and ours.shape == reference.shape
    assert np.abs(ours - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_batching_does_not_change_a_row(lean):
    alone = np.concatenate([lean.encode([t]) for t in TEXTS])
    assert np.abs(lean.encode(TEXTS) - alone).max() < 1e-5


def test_tokenizer_windows_like_the_fast_tokenizer(lean):
    reference = load_encoder(DEFAULT_ENCODER, "cpu")
    long_text = TEXTS[5]
    assert lean.max_seq_length == reference.max_seq_length
    assert head_tail(long_text, lean.tokenizer, 64, 16) == head_tail(long_text, reference.tokenizer, 64, 16)


def test_serving_path_on_cpu_is_the_lean_encoder():
    assert isinstance(serving_encoder(None, "cpu"), LeanEncoder)


def test_another_model_shape_is_unsupported_and_served_by_sentence_transformers(tmp_path):
    folder = tmp_path / "cls-pooled"
    shutil.copytree(resolve_encoder_path(DEFAULT_ENCODER), folder)
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    with pytest.raises(Unsupported):
        LeanEncoder(folder)
    assert not isinstance(serving_encoder(str(folder), "cpu"), LeanEncoder)
    with pytest.raises(Unsupported):
        LeanEncoder(tmp_path / "missing")


def test_gelu_in_place_is_the_exact_erf_gelu_across_chunks():
    values = np.concatenate([np.linspace(-12, 12, GELU_CHUNK * 2 + 123), [0.0, -0.0, 1e-30, -40.0, 40.0]])
    x = values.astype(np.float32).reshape(-1, 1)  # 2-d, like the activations
    exact = np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x.ravel().astype(np.float64)])
    out = _gelu_(x)
    assert out is x  # in place
    assert np.abs(x.ravel() - exact).max() < 1e-6
