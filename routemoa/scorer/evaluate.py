"""Evaluating a checkpoint on labelled data, with baselines measured in the same run.

The queries go through the checkpoint's input rule, as in serving. `head_only`
(checkpoints with shrinkage) is the head before the shrinkage gate.

Baselines: `best_single` (the model best on the checkpoint's training data),
`knn` (k = 20 nearest training queries under the base encoder), and, when the
evaluation data has task tags, `task_router` (per task, the model best on that
task's training data; overall best for tasks unseen in training).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from routemoa.errors import UserError
from routemoa.scorer.data import Record, label_matrix, pool_models
from routemoa.scorer.encoder import embed_many
from routemoa.scorer.metrics import KNN_K, best_single_scores, hit_rates, knn_scores, per_task, task_router_scores
from routemoa.scorer.serve import get_scorer

_SUMMARY = ("top1_hit", "top3_hit", "first_pick_accuracy")


def _summary(scores, labels) -> dict:
    rates = hit_rates(scores, labels)
    return {k: rates[k] for k in _SUMMARY}


def evaluate(records: list[Record], checkpoint: str | Path, device: str | None = None, embed_fn=None) -> dict:
    """Hit rates of the checkpoint on `records`, per task, and the baselines.

    `embed_fn`: texts -> the base encoder's unit vectors (e.g. a cache); default: the encoder.
    """
    scorer = get_scorer(checkpoint, device)
    ckpt = scorer.checkpoint
    models = ckpt.models
    unknown = [m for m in pool_models(records) if m not in models]
    labels = label_matrix(records, models)
    if np.isnan(labels).all():
        raise UserError(f"the data scores none of the checkpoint's models ({', '.join(models)})")
    queries = [r.query for r in records]
    tasks = [r.task for r in records]
    texts = scorer.encoder_inputs(queries)
    base = embed_fn(texts) if embed_fn is not None else embed_many(texts, ckpt.base_encoder, scorer.device)
    scores = scorer.score(queries) if ckpt.meta["finetuned_encoder"] else scorer.score_embeddings(base)
    train_emb, train_labels, train_tasks = ckpt.train_data()
    baselines = {
        "best_single": _summary(best_single_scores(train_labels, len(records)), labels),
        "knn": _summary(knn_scores(train_emb, train_labels, base, KNN_K), labels),
    }
    if any(t is not None for t in tasks):
        baselines["task_router"] = _summary(task_router_scores(train_labels, train_tasks, tasks), labels)
    overall = hit_rates(scores, labels)
    if scorer.gate is not None and not ckpt.meta["finetuned_encoder"]:
        overall["head_only"] = _summary(scorer.head_scores(base), labels)
    return {
        **overall,
        "per_task": per_task(scores, labels, tasks),
        "baselines": baselines,
        "best_single_model": ckpt.meta["best_single"],
        "knn_k": KNN_K,
        "checkpoint": str(ckpt.path),
        "models_not_in_checkpoint": unknown,
    }
