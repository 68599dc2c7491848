"""Routing metrics and the baselines they are compared with. Pure numpy.

`labels` is (n_queries, n_models) with NaN where a model has no result; a model
is correct when its label is > 0.5. Models without a result for a query are
ranked last for that query (nothing can be said about them).

- top-1 hit: the top-ranked model is correct, over queries some model answers correctly;
- top-3 hit: some top-3 model is correct, over the same queries;
- first-pick accuracy: the top-ranked model is correct, over all queries.
"""

from __future__ import annotations

import numpy as np

CORRECT = 0.5
KNN_K = 20


def _top(scores: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best-scored models with a result, per query (stable: ties keep model order)."""
    ranked = np.where(np.isnan(labels), -np.inf, scores.astype(np.float64))
    return np.argsort(-ranked, axis=1, kind="stable")[:, :k]


def hit_rates(scores: np.ndarray, labels: np.ndarray) -> dict:
    """top1_hit, top3_hit, first_pick_accuracy and the counts they are over."""
    correct = np.nan_to_num(labels, nan=0.0) > CORRECT
    top = _top(scores, labels, 3)
    rows = np.arange(len(labels))[:, None]
    picked = correct[rows, top]
    answerable = correct.any(axis=1)
    n_answerable = int(answerable.sum())
    return {
        "top1_hit": float(picked[answerable, 0].mean()) if n_answerable else 0.0,
        "top3_hit": float(picked[answerable].any(axis=1).mean()) if n_answerable else 0.0,
        "first_pick_accuracy": float(picked[:, 0].mean()) if len(labels) else 0.0,
        "n": len(labels),
        "n_answerable": n_answerable,
    }


def per_task(scores: np.ndarray, labels: np.ndarray, tasks: list[str | None]) -> dict:
    """hit_rates for each task tag (queries without a tag are left out)."""
    names = sorted({t for t in tasks if t is not None})
    tags = np.array([t if t is not None else "" for t in tasks], dtype=object)
    return {t: hit_rates(scores[tags == t], labels[tags == t]) for t in names}


def model_accuracy(labels: np.ndarray) -> np.ndarray:
    """Per model: share of correct answers over the queries it has a result for (0 if none)."""
    has = ~np.isnan(labels)
    correct = (np.nan_to_num(labels, nan=0.0) > CORRECT) & has
    return correct.sum(axis=0) / np.maximum(has.sum(axis=0), 1)


def best_single_scores(train_labels: np.ndarray, n_queries: int) -> np.ndarray:
    """Every query gets the training accuracies: always route to the best single model."""
    return np.tile(model_accuracy(train_labels), (n_queries, 1))


def task_router_scores(train_labels: np.ndarray, train_tasks: list, eval_tasks: list) -> np.ndarray:
    """Per query: training accuracies within its task (overall accuracies for unseen or untagged tasks)."""
    overall = model_accuracy(train_labels)
    train_tags = np.array(train_tasks, dtype=object)
    table = {t: model_accuracy(train_labels[train_tags == t]) for t in set(train_tasks) if t is not None}
    return np.stack([table.get(t, overall) for t in eval_tasks]) if eval_tasks else np.zeros((0, len(overall)))


def knn_scores(train_emb: np.ndarray, train_labels: np.ndarray, eval_emb: np.ndarray, k: int = KNN_K) -> np.ndarray:
    """Per query: mean correctness of each model over the k nearest training queries (cosine)."""
    k = min(k, len(train_emb))
    correct = (np.nan_to_num(train_labels, nan=0.0) > CORRECT).astype(np.float32)
    has = (~np.isnan(train_labels)).astype(np.float32)
    out = np.empty((len(eval_emb), train_labels.shape[1]), dtype=np.float32)
    for start in range(0, len(eval_emb), 1024):
        sims = eval_emb[start : start + 1024] @ train_emb.T
        near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out[start : start + 1024] = correct[near].sum(axis=1) / np.maximum(has[near].sum(axis=1), 1)
    return out
