"""Scorer checkpoints: a directory of safetensors plus JSON metadata.

    scorer.json                 format, version, encoder, model names, temperature, net config, sharpen
    scorer.safetensors          the ScorerNet weights
    train_data.safetensors      base-encoder embeddings, labels and task ids of the training
                                queries (for the k-NN, best-single and task-router baselines)
    shrinkage.safetensors       the training queries' serving-encoder embeddings, which the
                                shrinkage gate measures familiarity against, and the task
                                centroids and per-task accuracies (version 2, with shrinkage)
    encoder/                    the fine-tuned encoder (only when it was not frozen)

Version 2 adds `input` (the encoder-input rule), `base_rates` and `shrinkage` to
scorer.json; version 1 checkpoints still load (plain truncation, no shrinkage).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.numpy import load_file as load_numpy
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import load_file, save_file

from routemoa.errors import UserError
from routemoa.jsonl import parse_json, read_text
from routemoa.scorer.encoder import DEFAULT_ENCODER, resolve_encoder_path
from routemoa.scorer.metrics import model_accuracy
from routemoa.scorer.model import ScorerNet
from routemoa.scorer.shrinkage import Gate
from routemoa.scorer.text import InputRule

FORMAT = "routemoa-scorer"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
META_FILE = "scorer.json"
WEIGHTS_FILE = "scorer.safetensors"
TRAIN_DATA_FILE = "train_data.safetensors"
REFERENCE_FILE = "shrinkage.safetensors"
ENCODER_DIR = "encoder"


def encoder_id(encoder: str | None) -> str:
    """How an encoder is recorded: the default's name, else an absolute path (or the name as given)."""
    if encoder in (None, "", DEFAULT_ENCODER):
        return DEFAULT_ENCODER
    return str(Path(encoder).resolve()) if Path(encoder).exists() else encoder


def same_encoder(a: str | None, b: str | None) -> bool:
    """Whether two encoder names designate the same model files."""
    return os.path.realpath(resolve_encoder_path(encoder_id(a))) == os.path.realpath(
        resolve_encoder_path(encoder_id(b))
    )


@dataclass
class Checkpoint:
    """A loaded checkpoint: metadata and the net (on CPU, eval mode)."""

    path: Path
    meta: dict
    net: ScorerNet

    @property
    def models(self) -> list[str]:
        """Model names in checkpoint order (one learned embedding each)."""
        return list(self.meta["models"])

    @property
    def base_encoder(self) -> str:
        """The encoder training started from (also the one the baselines embed with)."""
        return self.meta["encoder"]

    @property
    def serving_encoder(self) -> str:
        """The encoder that scores queries: the fine-tuned copy in the checkpoint, or the base one."""
        return str(self.path / ENCODER_DIR) if self.meta["finetuned_encoder"] else self.base_encoder

    @property
    def input_rule(self) -> InputRule:
        """How queries become encoder input (version 1: plain truncation)."""
        return InputRule.from_json(self.meta.get("input"))

    @property
    def gate(self) -> Gate | None:
        """The shrinkage gate, or None (trained without shrinkage, or version 1)."""
        return Gate.from_json(self.meta["shrinkage"]) if self.meta.get("shrinkage") else None

    def base_rates(self) -> np.ndarray:
        """Per model (checkpoint order): accuracy on the training data."""
        if "base_rates" in self.meta:
            return np.asarray(self.meta["base_rates"], dtype=np.float32)
        return model_accuracy(self.train_data()[1]).astype(np.float32)

    def reference(self) -> dict[str, np.ndarray]:
        """`embeddings` of the training queries (serving encoder; familiarity is measured against them),
        task `centroids` and per-task accuracies (`profiles`)."""
        return self._arrays(REFERENCE_FILE, ("embeddings", "centroids", "profiles"))

    def _arrays(self, name: str, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
        """The arrays of one of the checkpoint's files; a UserError naming it when it is unreadable."""
        file = self.path / name
        try:
            arrays = load_numpy(str(file))
        except (OSError, SafetensorError) as exc:
            raise UserError(f"{file}: unreadable ({str(exc).splitlines()[0]})") from None
        missing = [key for key in keys if key not in arrays]
        if missing:
            raise UserError(f"{file}: no '{missing[0]}' array")
        return arrays

    def train_data(self) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        """Training-query embeddings (base encoder), labels (NaN = no result) and task tags."""
        arrays = self._arrays(TRAIN_DATA_FILE, ("embeddings", "labels", "task_ids"))
        names = self.meta["tasks"]
        tasks = [names[i] if i >= 0 else None for i in arrays["task_ids"].tolist()]
        return arrays["embeddings"], arrays["labels"], tasks


def save_checkpoint(
    out: str | Path,
    net: ScorerNet,
    meta: dict,
    train_embeddings: np.ndarray,
    train_labels: np.ndarray,
    train_tasks: list[str | None],
    encoder_model=None,
    reference: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write a checkpoint directory; `encoder_model` is the fine-tuned SentenceTransformer, if any.

    `reference`: the shrinkage arrays (`embeddings`, `centroids`, `profiles`; needed when meta has `shrinkage`).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = sorted({t for t in train_tasks if t is not None})
    task_ids = np.array([tasks.index(t) if t is not None else -1 for t in train_tasks], dtype=np.int64)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **meta,
        "temperature": float(net.temperature.detach()),
        "net": net.config,
        "finetuned_encoder": encoder_model is not None,
        "tasks": tasks,
    }
    state = {k: v.detach().float().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(out / WEIGHTS_FILE))
    save_numpy(
        {
            "embeddings": train_embeddings.astype(np.float32),
            "labels": train_labels.astype(np.float32),
            "task_ids": task_ids,
        },
        str(out / TRAIN_DATA_FILE),
    )
    if reference is not None:
        save_numpy({k: v.astype(np.float32) for k, v in reference.items()}, str(out / REFERENCE_FILE))
    if encoder_model is not None:
        encoder_model.save(str(out / ENCODER_DIR))
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return out


def load_checkpoint(path: str | Path, encoder: str | None = None) -> Checkpoint:
    """Load and check a checkpoint; `encoder`, when given, must be the one it was trained with."""
    path = Path(path)
    if not (path / META_FILE).is_file():
        raise UserError(f"{path}: not a scorer checkpoint (no {META_FILE})")
    meta = parse_json(read_text(path / META_FILE, "checkpoint metadata"), str(path / META_FILE))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"{path / META_FILE}: not a {FORMAT} checkpoint")
    if meta.get("format_version") not in READABLE_VERSIONS:
        versions = ", ".join(map(str, READABLE_VERSIONS))
        raise UserError(
            f"{path}: checkpoint format version {meta.get('format_version')}, this RouteMoA reads {versions}"
        )
    missing = [k for k in ("encoder", "models", "net", "finetuned_encoder", "tasks") if k not in meta]
    if missing:
        raise UserError(f"{path / META_FILE}: missing field '{missing[0]}'")
    if encoder is not None and not same_encoder(encoder, meta["encoder"]):
        raise UserError(f"{path}: checkpoint was trained with encoder '{meta['encoder']}', not '{encoder_id(encoder)}'")
    config = meta["net"]
    net = ScorerNet(config["dim"], config["n_models"], hidden=config["hidden"], dropout=config["dropout"])
    try:
        net.load_state_dict(load_file(str(path / WEIGHTS_FILE)))
    except (OSError, RuntimeError, SafetensorError) as exc:
        raise UserError(f"{path / WEIGHTS_FILE}: unreadable scorer weights ({str(exc).splitlines()[0]})") from None
    if len(meta["models"]) != config["n_models"]:
        raise UserError(f"{path}: metadata names {len(meta['models'])} models, weights hold {config['n_models']}")
    net.eval()
    with torch.no_grad():
        meta["temperature"] = float(net.temperature)
    checkpoint = Checkpoint(path=path, meta=meta, net=net)
    try:
        checkpoint.input_rule, checkpoint.gate  # noqa: B018 - parse now, fail early
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"{path / META_FILE}: malformed 'input' or 'shrinkage' entry ({exc!r})") from None
    if "base_rates" in meta and len(meta["base_rates"]) != len(meta["models"]):
        raise UserError(f"{path / META_FILE}: 'base_rates' does not have one value per model")
    if checkpoint.gate is not None and not (path / REFERENCE_FILE).is_file():
        raise UserError(f"{path}: checkpoint has shrinkage but no {REFERENCE_FILE}")
    return checkpoint
