"""Shared pieces of the scorer benchmarks: the two datasets and an on-disk embedding cache.

The cache maps sha256(text) -> frozen-encoder vector, so every variant and every
leave-one-out fold embeds each distinct encoder input once (a fold then only
trains a head). It lives outside the repository (default /work/notes/cache).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from routemoa.scorer.data import Record, import_files, mixed_protocol
from routemoa.scorer.encoder import embed


def datasets(data: Path, only: str | None = None) -> dict[str, tuple[list[Record], list[Record]]]:
    """name -> (train, test): routerdc7's mixed-task protocol, RouterBench arc + mbpp train -> test files."""
    out = {}
    if only in (None, "routerdc7"):
        dc = data / "routerdc7"
        out["routerdc7"] = (mixed_protocol(dc, "mixed-train"), mixed_protocol(dc, "mixed-test"))
    if only in (None, "routerbench"):
        rb = data / "routerbench"
        out["routerbench"] = (
            import_files("routerbench", sorted(rb.glob("*_train.csv"))),
            import_files("routerbench", sorted(rb.glob("*_test.csv"))),
        )
    return out


def add_encoder_args(parser: argparse.ArgumentParser) -> None:
    """`--encoder DIR` (the frozen encoder; default the packaged all-MiniLM-L6-v2) and `--cache DIR`."""
    parser.add_argument("--encoder", help="sentence-transformers folder (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--cache", default="/work/notes/cache", help="embedding cache folder")


class EmbeddingCache:
    """Encoder (CPU) vectors of texts, computed once and kept in `folder/NAME.npz`.

    `encoder` None is the packaged all-MiniLM-L6-v2 (file minilm.npz); another encoder
    directory gets a file named after the directory.
    """

    def __init__(self, folder: Path, encoder: str | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        self.encoder = encoder
        self.path = folder / ("minilm.npz" if encoder is None else f"{Path(encoder).name}.npz")
        self.rows: dict[str, np.ndarray] = {}
        if self.path.exists():
            stored = np.load(self.path)
            self.rows = dict(zip(stored["keys"].tolist(), stored["vectors"]))

    def __call__(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self.rows}.items())
        for start in range(0, len(missing), 128):
            chunk = missing[start : start + 128]
            vectors = embed([t for _, t in chunk], self.encoder, "cpu")
            self.rows.update(zip([k for k, _ in chunk], vectors))
            print(f"embedded {min(start + 128, len(missing))}/{len(missing)} new texts", file=sys.stderr, flush=True)
            self.save()
        return np.stack([self.rows[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        keys = list(self.rows)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self.rows[k] for k in keys]))
        tmp.replace(self.path)
