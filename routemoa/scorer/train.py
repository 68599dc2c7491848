"""Training the scorer: fixed seeds, a validation split, early stopping, progress on stderr.

With a frozen encoder the query embeddings are computed once and only the head,
the model embeddings and the temperature train (minutes on a CPU). Without it the
encoder is fine-tuned too, at a smaller learning rate. Contrastive clusters are
the records' task tags; untagged data is clustered with k-means on the embeddings.
Training targets are smoothed toward their cluster's mean (`task_smoothing`), which
keeps the per-query scores from drifting far from what the whole task supports.

The encoder reads each query through the checkpoint's input rule (`text.InputRule`:
shared prefixes found in the training queries are stripped, long texts keep a
head + tail window). After the final head, `shrinkage` heads are trained on folds
that each leave one task (or cluster) out, and the gate that pulls unfamiliar
queries toward the per-model base rate is fitted on them (`shrinkage.fit_gate`), so
that no held-out task ends up below the best-single ordering where that can be had.
"""

from __future__ import annotations

import copy
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from routemoa.errors import UserError
from routemoa.scorer.checkpoint import encoder_id, save_checkpoint
from routemoa.scorer.data import Record, label_matrix, pool_models
from routemoa.scorer.encoder import embed_many, load_encoder, pick_device, resolve_encoder_path
from routemoa.scorer.losses import calibration_loss, sample_llm_loss, sample_sample_loss
from routemoa.scorer.metrics import hit_rates, model_accuracy
from routemoa.scorer.model import ScorerNet
from routemoa.scorer.shrinkage import (
    KNN_K,
    PROFILE_TAUS,
    Fold,
    Gate,
    calibrated_floor,
    familiarity,
    fit_gate,
    profile_target,
    task_profiles,
)
from routemoa.scorer.text import InputRule, common_prefixes

MAX_UNSEEN_FOLDS = 8


@dataclass
class TrainConfig:
    """Training settings (all stored in the checkpoint metadata)."""

    encoder: str | None = None
    freeze_encoder: bool = True
    epochs: int = 60
    batch_size: int = 64
    lr: float = 1e-3
    encoder_lr: float = 2e-5
    weight_decay: float = 1e-2
    hidden: int = 512
    dropout: float = 0.1
    temperature: float = 0.1
    top_k: int = 3
    last_k: int = 3
    task_smoothing: float = 0.5
    sample_sample_weight: float = 1.0
    calibration_weight: float = 1.0
    val_fraction: float = 0.1
    patience: int = 8
    seed: int = 0
    sharpen: bool = False
    strip_prefixes: bool = True
    head_tokens: int = 32
    shrinkage: bool = True
    contrastive_clusters: int = 0
    """0: the sample-sample loss groups queries by task; N: by N k-means clusters of the embeddings (RouterDC)."""


def seed_everything(seed: int) -> None:
    """Fix Python, numpy and torch random state."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def kmeans(x: np.ndarray, k: int, seed: int, iterations: int = 25) -> np.ndarray:
    """Cluster ids of unit vectors by spherical k-means (for data without task tags)."""
    rng = np.random.default_rng(seed)
    centres = x[rng.choice(len(x), size=k, replace=False)]
    for _ in range(iterations):
        ids = (x @ centres.T).argmax(axis=1)
        for c in range(k):
            if (ids == c).any():
                centre = x[ids == c].mean(axis=0)
                centres[c] = centre / max(np.linalg.norm(centre), 1e-8)
    return ids


def clusters_of(records: list[Record], embeddings: np.ndarray, seed: int) -> np.ndarray:
    """Contrastive cluster ids: task tags when there are at least two, else k-means."""
    tasks = sorted({r.task for r in records if r.task is not None})
    if len(tasks) >= 2:
        return np.array([tasks.index(r.task) if r.task is not None else -1 - i for i, r in enumerate(records)])
    return kmeans(embeddings, k=max(2, min(8, len(records) // 50)), seed=seed)


def split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation indices; no validation for tiny data or fraction 0."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = round(n * fraction) if n >= 20 else 0
    return order[n_val:], order[:n_val]


def smooth_targets(labels: np.ndarray, clusters: np.ndarray, rows: np.ndarray, weight: float) -> np.ndarray:
    """(1 − weight)·label + weight·(mean label of the cluster over `rows`); NaN (no result) stays NaN."""
    out = labels.copy()
    for cluster in np.unique(clusters):
        members = clusters == cluster
        pool = labels[rows[members[rows]]]
        if len(pool) == 0:
            continue
        has = ~np.isnan(pool)
        mean = np.where(has, pool, 0.0).sum(axis=0) / np.maximum(has.sum(axis=0), 1)
        out[members] = (1 - weight) * labels[members] + weight * mean
    return out


class _Embedder:
    """Query vectors for training: cached (frozen encoder) or a differentiable forward pass."""

    def __init__(self, config: TrainConfig, texts: list[str], base: np.ndarray, device: str):
        self.texts, self.device, self.model = texts, device, None
        self.base = torch.as_tensor(base, device=device)
        if not config.freeze_encoder:
            from sentence_transformers import SentenceTransformer

            path = resolve_encoder_path(config.encoder)
            self.model = SentenceTransformer(path, device=device, local_files_only=True)

    def __call__(self, idx: np.ndarray, train: bool) -> torch.Tensor:
        if self.model is None:
            return self.base[idx]
        self.model.train(train)
        features = self.model.preprocess([self.texts[i] for i in idx])
        features = {k: v.to(self.device) if torch.is_tensor(v) else v for k, v in features.items()}
        with torch.set_grad_enabled(train):
            return F.normalize(self.model(features)["sentence_embedding"], dim=-1)


def _predict(net: ScorerNet, embedder: _Embedder, idx: np.ndarray, batch: int = 256) -> torch.Tensor:
    """Logits of the queries `idx` (eval mode, no gradient)."""
    net.eval()
    with torch.no_grad():
        return torch.cat([net(embedder(idx[s : s + batch], train=False)) for s in range(0, len(idx), batch)])


def _evaluate(net: ScorerNet, embedder: _Embedder, idx: np.ndarray, labels: np.ndarray) -> dict:
    logits = _predict(net, embedder, idx)
    metrics = hit_rates(torch.sigmoid(logits).cpu().numpy(), labels[idx])
    metrics["calibration_loss"] = float(calibration_loss(logits, torch.as_tensor(labels[idx], device=logits.device)))
    return metrics


def fit_head(
    config, embedder, labels, cluster_ids, train_idx, val_idx, device, desc="train", progress=True, contrastive=None
):
    """Train one head on `train_idx`, early-stopped on `val_idx`: (net, best epoch, validation metrics).

    `cluster_ids` group the target smoothing; `contrastive` (default: the same) the sample-sample loss.
    """
    dim, n_models = embedder.base.shape[1], labels.shape[1]
    net = ScorerNet(dim, n_models, config.hidden, config.temperature, config.dropout).to(device)
    groups = [{"params": net.parameters(), "lr": config.lr}]
    if embedder.model is not None:
        groups.append({"params": embedder.model.parameters(), "lr": config.encoder_lr})
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    target = torch.as_tensor(smooth_targets(labels, cluster_ids, train_idx, config.task_smoothing), device=device)
    clusters = torch.as_tensor(cluster_ids if contrastive is None else contrastive, device=device)

    best, best_key, best_epoch, stale = None, None, 0, 0
    n_batches = -(-len(train_idx) // config.batch_size)
    bar = tqdm(total=config.epochs * n_batches, desc=desc, unit="batch", file=sys.stderr, disable=not progress)
    for epoch in range(1, config.epochs + 1):
        net.train()
        order = np.random.permutation(train_idx)
        total = 0.0
        for s in range(0, len(order), config.batch_size):
            idx = order[s : s + config.batch_size]
            z = net.project(embedder(idx, train=True))
            logits = net.logits_of(z)
            loss = (
                sample_llm_loss(logits, target[idx], config.top_k, config.last_k)
                + config.sample_sample_weight * sample_sample_loss(z, clusters[idx])
                + config.calibration_weight * calibration_loss(logits, target[idx])
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            bar.update()
        if len(val_idx) == 0:
            best_epoch = epoch
            bar.set_postfix(epoch=epoch, loss=f"{total / len(order):.4f}")
            continue
        val = _evaluate(net, embedder, val_idx, labels)
        bar.set_postfix(epoch=epoch, loss=f"{total / len(order):.4f}", val_top1=f"{val['top1_hit']:.3f}")
        key = (val["top1_hit"], val["top3_hit"], -val["calibration_loss"])
        if best_key is None or key > best_key:
            best_key, best_epoch, stale = key, epoch, 0
            best = (
                copy.deepcopy(net.state_dict()),
                val,
                None if embedder.model is None else copy.deepcopy(embedder.model.state_dict()),
            )
        else:
            stale += 1
            if stale >= config.patience:
                break
    bar.close()
    val_metrics = None
    if best is not None:
        net.load_state_dict(best[0])
        val_metrics = best[1]
        if best[2] is not None:
            embedder.model.load_state_dict(best[2])
    net.eval()
    return net, best_epoch, val_metrics


def _unseen_folds(cluster_ids: np.ndarray) -> list[np.ndarray]:
    """Groups of cluster ids to hold out together: one per cluster, at most MAX_UNSEEN_FOLDS (round-robin)."""
    ids = np.unique(cluster_ids[cluster_ids >= 0])
    if len(ids) < 2:
        return []
    n = min(len(ids), MAX_UNSEEN_FOLDS)
    return [ids[i::n] for i in range(n)]


def _calibrate(
    config, base, labels, cluster_ids, train_idx, val_idx, net, device, progress, contrastive
) -> tuple[Gate, dict]:
    """Fit the shrinkage gate on the validation split (seen) and leave-one-cluster-out folds (unseen).

    Folds train frozen-encoder heads on the base embeddings (also when the final encoder is fine-tuned).
    """
    frozen = replace(config, freeze_encoder=True)
    embedder = _Embedder(frozen, [], base, device)
    reference = familiarity(base[train_idx], base[train_idx], KNN_K, leave_self_out=True)
    mean, std = float(reference.mean()), float(max(reference.std(), 1e-6))

    def fold(kind, fit_idx, held_idx, head):
        probs = torch.sigmoid(_predict(head, embedder, held_idx)).cpu().numpy()
        z = (familiarity(base[held_idx], base[fit_idx], KNN_K) - mean) / std
        targets: dict[float | None, np.ndarray] = {None: model_accuracy(labels[fit_idx])}
        centroids, profiles = task_profiles(base[fit_idx], labels[fit_idx], cluster_ids[fit_idx])
        if len(centroids) >= 2:
            targets.update({tau: profile_target(base[held_idx], centroids, profiles, tau) for tau in PROFILE_TAUS})
        return Fold(kind, probs, z, targets, labels[held_idx])

    folds = [fold("seen", train_idx, val_idx, net)]
    for number, group in enumerate(_unseen_folds(cluster_ids[train_idx]), start=1):
        held = np.isin(cluster_ids, group)
        fit_idx, stop_idx = train_idx[~held[train_idx]], val_idx[~held[val_idx]]
        held_idx = np.concatenate([train_idx[held[train_idx]], val_idx[held[val_idx]]])
        if len(fit_idx) < 2 or len(held_idx) == 0:
            continue
        head, _, _ = fit_head(
            frozen, embedder, labels, cluster_ids, fit_idx, stop_idx, device, f"fold {number}", progress, contrastive
        )
        folds.append(fold("unseen", fit_idx, held_idx, head))
    floor = calibrated_floor(folds)
    a, b, tau, summary = fit_gate(folds, floor)
    return Gate(a, b, mean, std, tau=tau, floor=floor), summary


def input_rule(config: TrainConfig, queries: list[str]) -> InputRule:
    """The encoder-input rule for these training queries under `config`."""
    return InputRule(common_prefixes(queries) if config.strip_prefixes else (), config.head_tokens)


def train_scorer(
    records: list[Record],
    out: str | Path,
    config: TrainConfig,
    device: str | None = None,
    embed_fn=None,
    progress: bool = True,
) -> dict:
    """Train on `records`, write the checkpoint to `out`, return a summary.

    `embed_fn`: texts -> the base encoder's unit vectors (e.g. a cache); default: the encoder on `device`.
    """
    started = time.perf_counter()
    device = device or pick_device()
    seed_everything(config.seed)
    models = pool_models(records)
    if len(models) < 2:
        raise UserError("training data must score at least two models")
    labels = label_matrix(records, models)
    base_encoder = load_encoder(config.encoder, device)
    rule = input_rule(config, [r.query for r in records])
    texts = rule.apply([r.query for r in records], base_encoder.tokenizer, base_encoder.max_seq_length)
    base = embed_fn(texts) if embed_fn is not None else embed_many(texts, config.encoder, device)
    cluster_ids = clusters_of(records, base, config.seed)
    train_idx, val_idx = split(len(records), config.val_fraction, config.seed)
    embedder = _Embedder(config, texts, base, device)
    contrastive = (
        kmeans(base, min(config.contrastive_clusters, len(base)), config.seed) if config.contrastive_clusters else None
    )
    net, best_epoch, val_metrics = fit_head(
        config, embedder, labels, cluster_ids, train_idx, val_idx, device, progress=progress, contrastive=contrastive
    )

    accuracy = model_accuracy(labels)
    meta: dict[str, Any] = {
        "encoder": encoder_id(config.encoder),
        "encoder_dim": int(base_encoder.get_embedding_dimension()),
        "models": models,
        "sharpen": config.sharpen,
        "best_single": models[int(np.argmax(accuracy))],
        "base_rates": [round(float(a), 6) for a in accuracy],
        "input": rule.to_json(),
        "training": {
            **{k: v for k, v in asdict(config).items() if k not in ("encoder", "sharpen")},
            "n_train": len(train_idx),
            "n_val": len(val_idx),
            "best_epoch": best_epoch,
            "validation": val_metrics,
        },
    }
    reference = None
    if config.shrinkage and len(val_idx) and len(np.unique(cluster_ids[train_idx][cluster_ids[train_idx] >= 0])) >= 2:
        gate, summary = _calibrate(
            config, base, labels, cluster_ids, train_idx, val_idx, net, device, progress, contrastive
        )
        meta["shrinkage"] = {**gate.to_json(), "calibration": summary}
        # The gate reads familiarity in the serving encoder's space (the fine-tuned one, if any).
        serving = base if embedder.model is None else _predict_embeddings(embedder, len(records))
        centroids, profiles = task_profiles(serving, labels, cluster_ids)
        reference = {"embeddings": serving, "centroids": centroids, "profiles": profiles}
    meta["training"]["seconds"] = round(time.perf_counter() - started, 1)
    # The baselines use every training query, including the validation split.
    tasks = [r.task for r in records]
    save_checkpoint(out, net.cpu(), meta, base, labels, tasks, encoder_model=embedder.model, reference=reference)
    seconds = round(time.perf_counter() - started, 1)
    return {
        "out": str(out),
        "models": models,
        "best_epoch": best_epoch,
        "validation": val_metrics,
        "shrinkage": meta.get("shrinkage"),
        "prefixes_stripped": len(rule.prefixes),
        "seconds": seconds,
    }


def _predict_embeddings(embedder: _Embedder, n: int, batch: int = 64) -> np.ndarray:
    idx = np.arange(n)
    with torch.no_grad():
        return torch.cat([embedder(idx[s : s + batch], train=False) for s in range(0, n, batch)]).float().cpu().numpy()
