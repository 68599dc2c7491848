"""A BERT sentence encoder (mean pooling, L2-normalised) run in numpy: the serving path on CPU.

The same computation as sentence-transformers' Transformer + Pooling(mean) + Normalize
for a BERT model (all-MiniLM-L6-v2 and encoders fine-tuned from it), read from the same
folder (`model.safetensors`, `config.json`, `tokenizer.json`, `sentence_bert_config.json`)
with `safetensors` and `tokenizers` only. It exists for speed: importing
sentence-transformers and transformers costs ~8-10 s of CPU in a cold process, and
torch's per-call overhead dominated a one-query forward pass. Embeddings agree with
sentence-transformers' to ~1e-6 (tests/unit/test_lean_encoder.py); a folder of another
shape is `Unsupported`, and `encoder.serving_encoder` then uses sentence-transformers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

MODULES = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling"]
"""The module chain this encoder reproduces (a trailing Normalize is allowed: output is normalised anyway)."""


class Unsupported(ValueError):
    """The folder is not a BERT + mean-pooling sentence-transformers model in safetensors."""


_ERFC_COEFFS = tuple(
    np.float32(c)
    for c in (
        0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807,
        -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223,
    )
)  # fmt: skip
"""Numerical Recipes' erfc Chebyshev fit (to ~1.2e-7), highest power first; numpy has no erf."""

GELU_CHUNK = 16384
"""Values per GELU chunk: its three scratch rows stay in L2 across the fit's ~30 passes. Over whole
activations (3-10 MB for a pass of 64 queries) each pass made a temporary that streamed through
memory; a 64-query pass of 26-token queries takes x0.70-0.77 the time since (benchmarks/encoder_speed.py)."""


def _gelu_(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU of the C-contiguous float32 `x`, in place: x · (½ + sign(x)·(½ − ½·erfc(|x|/√2)))."""
    flat = x.reshape(-1)
    size = min(GELU_CHUNK, flat.size)
    z, t, p = (np.empty(size, dtype=np.float32) for _ in range(3))
    for start in range(0, flat.size, GELU_CHUNK):
        v = flat[start : start + GELU_CHUNK]
        zz, tt, pp = z[: v.size], t[: v.size], p[: v.size]
        np.abs(v, out=zz)
        zz *= np.float32(0.7071067811865476)
        np.multiply(zz, np.float32(0.5), out=tt)
        tt += np.float32(1.0)
        np.reciprocal(tt, out=tt)
        pp.fill(_ERFC_COEFFS[0])
        for c in _ERFC_COEFFS[1:]:
            pp *= tt
            pp += c
        zz *= zz
        pp -= zz
        np.exp(pp, out=pp)
        pp *= tt  # erfc(|v| / √2)
        np.multiply(pp, np.float32(-0.5), out=pp)
        pp += np.float32(0.5)
        np.sign(v, out=zz)
        pp *= zz
        pp += np.float32(0.5)
        v *= pp
    return x


def _layer_norm_(x: np.ndarray, norm: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    """Layer norm over the last axis of float32 `x`, in place."""
    weight, bias = norm
    x -= x.mean(-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x)[:, None] / np.float32(x.shape[-1])
    var += np.float32(eps)
    x /= np.sqrt(var, out=var)
    x *= weight
    x += bias
    return x


class OffsetsTokenizer:
    """The slice of a Hugging Face fast tokenizer's call that `scorer.text.head_tail` uses (no truncation)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def __call__(
        self, text: str, add_special_tokens: bool = True, return_offsets_mapping: bool = False, verbose: bool = True
    ):
        encoding = self.tokenizer.encode(text, add_special_tokens=add_special_tokens)
        out = {"input_ids": encoding.ids}
        if return_offsets_mapping:
            out["offset_mapping"] = encoding.offsets
        return out


class LeanEncoder:
    """`encode(texts)` -> L2-normalised float32 rows, like `SentenceTransformer.encode(..., normalize_embeddings=True)`."""

    def __init__(self, path: str | Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(path)
        try:
            modules = [m["type"] for m in json.loads((folder / "modules.json").read_text())]
            config = json.loads((folder / "config.json").read_text())
            pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
            settings = json.loads((folder / "sentence_bert_config.json").read_text())
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise Unsupported(f"{folder}: {exc}") from None
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
        shape_ok = (
            modules[:2] == MODULES
            and modules[2:] in ([], ["sentence_transformers.models.Normalize"])
            and config.get("model_type") == "bert"
            and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and modes == {"pooling_mode_mean_tokens"}
            and not settings.get("do_lower_case")
            and (folder / "model.safetensors").is_file()
            and (folder / "tokenizer.json").is_file()
        )
        if not shape_ok:
            raise Unsupported(f"{folder}: not a BERT + mean-pooling sentence-transformers model in safetensors")
        self.max_seq_length = int(settings.get("max_seq_length") or config["max_position_embeddings"])
        self.tokenizer = OffsetsTokenizer(Tokenizer.from_file(str(folder / "tokenizer.json")))
        self.tokenizer.tokenizer.no_padding()
        self.tokenizer.tokenizer.no_truncation()
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_seq_length)
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        weights = load_file(str(folder / "model.safetensors"))
        try:
            self._load(weights, int(config["num_hidden_layers"]))
        except KeyError as exc:
            raise Unsupported(f"{folder}: weight {exc} missing") from None

    def _load(self, w: dict[str, np.ndarray], layers: int) -> None:
        f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
        self.word = f32(w["embeddings.word_embeddings.weight"])
        self.position = f32(w["embeddings.position_embeddings.weight"])
        self.token_type = f32(w["embeddings.token_type_embeddings.weight"][0])
        self.embed_norm = (f32(w["embeddings.LayerNorm.weight"]), f32(w["embeddings.LayerNorm.bias"]))
        self.layers: list[dict[str, Any]] = []
        for i in range(layers):
            p = f"encoder.layer.{i}."
            qkv = [p + f"attention.self.{n}" for n in ("query", "key", "value")]
            self.layers.append(
                {
                    "qkv_w": f32(np.concatenate([w[n + ".weight"] for n in qkv]).T),
                    "qkv_b": f32(np.concatenate([w[n + ".bias"] for n in qkv])),
                    "out_w": f32(w[p + "attention.output.dense.weight"].T),
                    "out_b": f32(w[p + "attention.output.dense.bias"]),
                    "norm1": (
                        f32(w[p + "attention.output.LayerNorm.weight"]),
                        f32(w[p + "attention.output.LayerNorm.bias"]),
                    ),
                    "up_w": f32(w[p + "intermediate.dense.weight"].T),
                    "up_b": f32(w[p + "intermediate.dense.bias"]),
                    "down_w": f32(w[p + "output.dense.weight"].T),
                    "down_b": f32(w[p + "output.dense.bias"]),
                    "norm2": (f32(w[p + "output.LayerNorm.weight"]), f32(w[p + "output.LayerNorm.bias"])),
                }
            )

    def get_embedding_dimension(self) -> int:
        return self.word.shape[1]

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Normalised float32 embeddings, one row per text; texts of similar length share a batch."""
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.get_embedding_dimension()), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._forward([encodings[i].ids for i in rows])
        return out

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        batch, length = len(ids), max(len(t) for t in ids)
        tokens = np.zeros((batch, length), dtype=np.int64)
        mask = np.zeros((batch, length), dtype=np.float32)
        for row, t in enumerate(ids):
            tokens[row, : len(t)] = t
            mask[row, : len(t)] = 1.0
        hidden = self.word.shape[1]
        # a row per token: every projection is one 2-d GEMM (numpy's stacked matmul is ~7x slower)
        x = (self.word[tokens] + self.position[:length] + self.token_type).reshape(batch * length, hidden)
        x = _layer_norm_(x, self.embed_norm, self.eps)
        key_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        head = hidden // self.heads
        scale = np.float32(1.0 / np.sqrt(head))
        for layer in self.layers:
            qkv = (x @ layer["qkv_w"] + layer["qkv_b"]).reshape(batch, length, 3, self.heads, head)
            q, k, v = (qkv[:, :, j].transpose(0, 2, 1, 3) for j in range(3))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + key_bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, hidden)
            x += context @ layer["out_w"]
            x += layer["out_b"]
            x = _layer_norm_(x, layer["norm1"], self.eps)
            up = x @ layer["up_w"]
            up += layer["up_b"]
            x += _gelu_(up) @ layer["down_w"]
            x += layer["down_b"]
            x = _layer_norm_(x, layer["norm2"], self.eps)
        tokens_out = x.reshape(batch, length, hidden)
        pooled = (tokens_out * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
