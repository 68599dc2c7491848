"""Scorer metrics and baselines on hand-made arrays; the RouterDC losses on tiny tensors."""

import numpy as np
import torch

from routemoa.scorer.losses import sample_llm_loss, sample_sample_loss
from routemoa.scorer.metrics import hit_rates, knn_scores, model_accuracy, task_router_scores

NAN = np.nan


def test_hit_rates_definitions():
    labels = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 1, NAN, 0]], dtype=np.float32)
    scores = np.array([[0.9, 0.1, 0.2, 0.3], [0.9, 0.8, 0.7, 0.1], [0.5, 0.5, 0.5, 0.5], [0.1, 0.2, 0.9, 0.0]])
    rates = hit_rates(scores, labels)
    # Query 3 is unanswerable; query 4's top model has no result, so the next one (correct) counts.
    assert rates["n_answerable"] == 3
    assert rates["top1_hit"] == 2 / 3
    assert rates["top3_hit"] == 2 / 3
    assert rates["first_pick_accuracy"] == 2 / 4


def test_baselines():
    labels = np.array([[1, 0], [1, 0], [0, 1], [NAN, 1]], dtype=np.float32)
    assert model_accuracy(labels).tolist() == [2 / 3, 0.5]
    router = task_router_scores(labels, ["a", "a", "b", "b"], ["b", "zzz"])
    assert router[0].tolist() == [0.0, 1.0] and router[1].tolist() == [2 / 3, 0.5]
    emb = np.eye(4, dtype=np.float32)
    assert knn_scores(emb, labels, emb[2:3], k=1).tolist() == [[0.0, 1.0]]


def test_sample_llm_loss_prefers_better_models():
    labels = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, float("nan")]])
    good = torch.tensor([[5.0, -5.0, -5.0], [-5.0, 5.0, 0.0]])
    assert sample_llm_loss(good, labels, 1, 1) < sample_llm_loss(-good, labels, 1, 1)
    assert sample_llm_loss(good, torch.zeros(2, 3), 1, 1) == 0  # no positive: nothing to learn


def test_sample_sample_loss_pulls_clusters_together():
    torch.manual_seed(0)
    clusters = torch.tensor([0, 0, 1, 1])
    tight = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]]), dim=1)
    mixed = tight[[0, 2, 1, 3]]
    assert sample_sample_loss(tight, clusters) < sample_sample_loss(mixed, clusters)
