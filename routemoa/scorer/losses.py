"""RouterDC's two contrastive losses and a calibration term. Labels are NaN where a model has no result."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def sample_llm_loss(logits: torch.Tensor, labels: torch.Tensor, top_k: int = 3, last_k: int = 3) -> torch.Tensor:
    """For each of a query's top-k models (label > 0): −log softmax of its logit against the last-k models.

    A negative only counts when its label is strictly below the positive's.
    """
    has = ~torch.isnan(labels)
    top_k = min(top_k, labels.shape[1])
    last_k = min(last_k, labels.shape[1])
    pos_idx = torch.where(has, labels, -torch.inf).topk(top_k, dim=1).indices
    neg_idx = torch.where(has, labels, torch.inf).topk(last_k, dim=1, largest=False).indices
    pos_lab, neg_lab = labels.gather(1, pos_idx), labels.gather(1, neg_idx)
    pos_s, neg_s = logits.gather(1, pos_idx), logits.gather(1, neg_idx)
    neg_ok = neg_lab[:, None, :] < pos_lab[:, :, None]  # (B, top_k, last_k); NaN compares False
    neg_s = torch.where(neg_ok, neg_s[:, None, :].expand_as(neg_ok), -torch.inf)
    lse = torch.logsumexp(torch.cat([pos_s[:, :, None], neg_s], dim=2), dim=2)
    valid = (pos_lab > 0) & neg_ok.any(dim=2)
    if not valid.any():
        return logits.sum() * 0.0
    return (lse - pos_s)[valid].mean()


def sample_sample_loss(z: torch.Tensor, clusters: torch.Tensor, n_negatives: int = 3, tau: float = 0.1) -> torch.Tensor:
    """Each query against one random same-cluster query and `n_negatives` random other-cluster queries."""
    same = clusters[:, None] == clusters[None, :]
    same.fill_diagonal_(False)
    other = clusters[:, None] != clusters[None, :]
    rows = same.any(dim=1) & other.any(dim=1)
    if not rows.any():
        return z.sum() * 0.0
    z_rows = z[rows]
    pos = torch.multinomial(same[rows].float(), 1)
    neg = torch.multinomial(other[rows].float(), n_negatives, replacement=True)
    candidates = torch.cat([pos, neg], dim=1)
    sims = (z_rows[:, None, :] * z[candidates]).sum(-1) / tau
    return F.cross_entropy(sims, torch.zeros(len(sims), dtype=torch.long, device=z.device))


def calibration_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of sigmoid(logit) against the (graded) labels, over known results."""
    has = ~torch.isnan(labels)
    return F.binary_cross_entropy_with_logits(logits[has], labels[has])
