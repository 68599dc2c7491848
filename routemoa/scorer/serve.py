"""Serving a trained scorer: loaded once per process, thread-safe, batched, GPU when present.

The encoder runs fp16 on CUDA and fp32 on CPU (see `encoder.serving_encoder`); the
head runs fp32 on the same device. Nothing else differs between the two paths.

A query goes through the checkpoint's input rule (prefix strip, head + tail
window), the encoder, the head, then the shrinkage gate (toward the per-model
base rate, by the query's familiarity to the training queries) when the
checkpoint has one.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np
import torch

from routemoa.errors import UserError
from routemoa.scorer.checkpoint import META_FILE, Checkpoint, load_checkpoint
from routemoa.scorer.encoder import ENCODE_LOCK, embed, pick_device, serving_encoder
from routemoa.scorer.shrinkage import familiarity, profile_target, shrink

_LOAD_LOCK = threading.Lock()


def sharpen(x: np.ndarray) -> np.ndarray:
    """RouteMoA's monotone remap: 0.8·x^1.5 below 0.5, 1 − 0.8·(1 − x)^1.5 above."""
    return np.where(x < 0.5, 0.8 * x**1.5, 1.0 - 0.8 * (1.0 - x) ** 1.5)


class Scorer:
    """A checkpoint ready to score queries on one device."""

    def __init__(self, checkpoint: Checkpoint, device: str | None = None):
        self.checkpoint = checkpoint
        self.device = device or pick_device()
        self.net = checkpoint.net.to(self.device).eval()
        self.encoder = checkpoint.serving_encoder
        try:
            dim = serving_encoder(self.encoder, self.device).get_embedding_dimension()
        except (OSError, ValueError) as exc:
            raise UserError(
                f"{checkpoint.path}: cannot load encoder '{self.encoder}' ({str(exc).splitlines()[0]})"
            ) from None
        if dim != checkpoint.net.config["dim"]:
            raise UserError(
                f"{checkpoint.path}: encoder '{self.encoder}' gives {dim}-d vectors, the checkpoint expects {checkpoint.net.config['dim']}"
            )
        self.rule = checkpoint.input_rule
        self.gate = checkpoint.gate
        self.base_rates = checkpoint.base_rates()
        self.reference: dict[str, np.ndarray] = (
            checkpoint.reference() if self.gate is not None else {}
        )  # read with the gate only

    @property
    def models(self) -> list[str]:
        """Model names, in the column order of the score arrays."""
        return self.checkpoint.models

    def encoder_inputs(self, queries: list[str]) -> list[str]:
        """What the encoder reads of each query (the checkpoint's input rule)."""
        encoder = serving_encoder(self.encoder, self.device)
        with ENCODE_LOCK:  # a fast tokenizer must not be used by two threads at once
            return self.rule.apply(queries, encoder.tokenizer, encoder.max_seq_length)

    def head_scores(self, embeddings: np.ndarray) -> np.ndarray:
        """The head's scores in [0, 1] before shrinkage, (n_queries, n_models)."""
        with torch.inference_mode():
            h = torch.as_tensor(embeddings, dtype=torch.float32, device=self.device)
            return torch.sigmoid(self.net(h)).float().cpu().numpy()

    def score_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """Scores in [0, 1], (n_queries, n_models), from this scorer's encoder embeddings (of `encoder_inputs`)."""
        probs = self.head_scores(embeddings)
        if self.gate is not None:
            embeddings = np.asarray(embeddings, dtype=np.float32)
            weight = self.gate.weight(familiarity(embeddings, self.reference["embeddings"], self.gate.k))
            probs = shrink(probs, self.shrink_target(embeddings), weight).astype(np.float32)
        return sharpen(probs) if self.checkpoint.meta.get("sharpen") else probs

    def shrink_target(self, embeddings: np.ndarray) -> np.ndarray:
        """What unfamiliar queries lean on: the base rates, or the soft task router's profile per query."""
        if self.gate is None or self.gate.tau is None:
            return self.base_rates
        return profile_target(embeddings, self.reference["centroids"], self.reference["profiles"], self.gate.tau)

    def score(self, queries: list[str], batch_size: int = 64) -> np.ndarray:
        """Scores in [0, 1], (len(queries), n_models); the encoder runs in batches of `batch_size`."""
        if not queries:
            return np.zeros((0, len(self.models)), dtype=np.float32)
        return self.score_embeddings(
            embed(self.encoder_inputs(queries), self.encoder, self.device, batch_size=batch_size)
        )


@functools.lru_cache(maxsize=8)
def _cached(path: str, device: str, _mtime_ns: int) -> Scorer:
    return Scorer(load_checkpoint(path), device)


def get_scorer(path: str | Path, device: str | None = None) -> Scorer:
    """The process-wide Scorer for a checkpoint directory (reloaded only if its metadata changes)."""
    meta = Path(path) / META_FILE
    try:
        mtime = meta.stat().st_mtime_ns
    except OSError:
        raise UserError(f"{path}: not a scorer checkpoint (no {META_FILE})") from None
    with _LOAD_LOCK:
        return _cached(str(Path(path).resolve()), device or pick_device(), mtime)
