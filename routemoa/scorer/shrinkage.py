"""Shrinkage of per-query scores toward the per-model base rate, by how familiar the query is.

    served = (1 − w)·head + w·base,   w = sigmoid(a + b·z)

`base` is each model's accuracy on the training data (the best-single ordering),
`z` the query's familiarity — mean cosine similarity to its KNN_K nearest
training queries in the encoder's space — standardised by the training queries'
own familiarity (each against the others). With b < 0 a query far from anything
seen in training leans on the global ranking, a familiar one on the head.

`a` and `b` are chosen on held-out folds by `fit_gate`: "unseen" folds (a head
trained without one task or cluster, scored on it) and the "seen" fold (the
validation split), each weighted half, maximising top-1 plus top-3 hit rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routemoa.scorer.metrics import hit_rates

KNN_K = 10
GATE_A = tuple(np.round(np.arange(-6.0, 6.01, 0.5), 2).tolist())
GATE_B = (0.0, -0.5, -1.0, -2.0, -4.0)
NEVER, ALWAYS = -50.0, 50.0
"""Gate offsets standing for w = 0 (head only) and w = 1 (base rate only)."""


def familiarity(queries: np.ndarray, reference: np.ndarray, k: int = KNN_K, leave_self_out: bool = False) -> np.ndarray:
    """Mean cosine similarity of each (unit) query vector to its k nearest reference vectors."""
    k = max(1, min(k, len(reference) - int(leave_self_out)))
    out = np.empty(len(queries), dtype=np.float32)
    for start in range(0, len(queries), 1024):
        sims = queries[start : start + 1024] @ reference.T
        if leave_self_out:
            sims[np.arange(len(sims)), np.arange(start, start + len(sims))] = -np.inf
        out[start : start + 1024] = -np.partition(-sims, k - 1, axis=1)[:, :k].mean(axis=1)
    return out


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


@dataclass(frozen=True)
class Gate:
    """The fitted weight w(z) = sigmoid(a + b·z), z = (familiarity − mean) / std."""

    a: float
    b: float
    mean: float
    std: float
    k: int = KNN_K

    def weight(self, fam: np.ndarray) -> np.ndarray:
        """Per query: the share given to the base rate."""
        return _sigmoid(self.a + self.b * (fam - self.mean) / self.std)

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "mean": self.mean, "std": self.std, "k": self.k}

    @classmethod
    def from_json(cls, value: dict) -> Gate:
        return cls(float(value["a"]), float(value["b"]), float(value["mean"]), float(value["std"]), int(value["k"]))


def shrink(probs: np.ndarray, base: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(1 − w)·probs + w·base, per query."""
    return (1.0 - w[:, None]) * probs + w[:, None] * base[None, :]


@dataclass
class Fold:
    """Held-out predictions for calibrating the gate."""

    kind: str  # "seen" or "unseen"
    probs: np.ndarray  # head scores of the held-out queries
    z: np.ndarray  # standardised familiarity of the held-out queries to the fold's training queries
    base: np.ndarray  # per-model accuracy on the fold's training queries
    labels: np.ndarray


def _objective(folds: list[Fold], a: float, b: float) -> float:
    by_kind: dict[str, list[float]] = {}
    for fold in folds:
        rates = hit_rates(shrink(fold.probs, fold.base, _sigmoid(a + b * fold.z)), fold.labels)
        by_kind.setdefault(fold.kind, []).append(rates["top1_hit"] + rates["top3_hit"])
    return float(np.mean([np.mean(v) for v in by_kind.values()]))


def fit_gate(folds: list[Fold]) -> tuple[float, float, dict]:
    """(a, b) maximising the fold objective over the grid (ties: the least shrinkage), and a summary."""
    candidates = [(NEVER, 0.0), (ALWAYS, 0.0)] + [(a, b) for a in GATE_A for b in GATE_B]
    scored = [(_objective(folds, a, b), -a, b) for a, b in candidates]
    best = max(scored)
    a, b = -best[1], best[2]
    summary = {
        "objective": round(best[0], 4),
        "head_only": round(_objective(folds, NEVER, 0.0), 4),
        "base_only": round(_objective(folds, ALWAYS, 0.0), 4),
        "folds": {kind: sum(f.kind == kind for f in folds) for kind in ("seen", "unseen")},
    }
    return a, b, summary
