"""Shrinkage of per-query scores toward a steadier target, by how familiar the query is.

    served = (1 − w)·head + w·target,   w = sigmoid(a + b·z)

`target` is either each model's accuracy on the training data (the base rate: the
best-single ordering) or the query's **task profile**: the per-task accuracies of
the training tasks (tags, or k-means clusters), weighted by softmax(cos(query,
task centroid) / tau) — a soft task router. `z` is the query's familiarity — mean cosine similarity to its KNN_K nearest
training queries in the encoder's space — standardised by the training queries'
own familiarity (each against the others). With b < 0 a query far from anything
seen in training leans on the global ranking, a familiar one on the head.

Below the familiarity of the queries of seen tasks (`floor`: the FLOOR_PERCENTILE
of z over the validation split, held-out queries of the training tasks) the gate
is not trusted: w rises linearly to 1 over FLOOR_RAMP standard deviations, so a
query unlike anything seen gets the target alone (e.g. a model trained on code
questions asked science questions falls back to the best-single ordering).

`a`, `b` and the target (base rate, or a profile temperature from PROFILE_TAUS)
are chosen on held-out folds by `fit_gate`, with the floor applied: "unseen"
folds (a head trained without one task or cluster, scored on it) and the "seen"
fold (the validation split), each kind weighted half, maximising top-1 plus top-3
hit rate minus DEFICIT_WEIGHT times the mean shortfall (top-1 plus top-3) of the
folds that end up below the base rates alone: a gate that is better on average
but worse than the best-single ordering on some held-out task loses to one that
is never worse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routemoa.scorer.metrics import hit_rates, model_accuracy

KNN_K = 10
GATE_A = tuple(np.round(np.arange(-6.0, 6.01, 0.5), 2).tolist())
GATE_B = (0.0, -0.5, -1.0, -2.0, -4.0)
PROFILE_TAUS = (0.01, 0.03, 0.1)
FLOOR_PERCENTILE = 1.0
FLOOR_RAMP = 1.0
DEFICIT_WEIGHT = 1.0
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


def task_profiles(embeddings: np.ndarray, labels: np.ndarray, cluster_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster (ids >= 0): unit mean embedding (centroid) and per-model accuracy (profile)."""
    ids = np.unique(cluster_ids[cluster_ids >= 0])
    centroids = np.stack([embeddings[cluster_ids == c].mean(axis=0) for c in ids]) if len(ids) else embeddings[:0]
    centroids = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    profiles = np.stack([model_accuracy(labels[cluster_ids == c]) for c in ids]) if len(ids) else labels[:0]
    return centroids.astype(np.float32), profiles.astype(np.float32)


def profile_target(queries: np.ndarray, centroids: np.ndarray, profiles: np.ndarray, tau: float) -> np.ndarray:
    """(n_queries, n_models): task profiles weighted by softmax(cos(query, centroid) / tau)."""
    logits = queries @ centroids.T / tau
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (weights / weights.sum(axis=1, keepdims=True)) @ profiles


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def _weight(a: float, b: float, z: np.ndarray, floor: float | None) -> np.ndarray:
    """sigmoid(a + b·z), raised to a ramp toward 1 below `floor`."""
    w = _sigmoid(a + b * z)
    if floor is None:
        return w
    return np.maximum(w, np.clip((floor - z) / FLOOR_RAMP, 0.0, 1.0))


@dataclass(frozen=True)
class Gate:
    """The fitted weight w(z) = sigmoid(a + b·z), z = (familiarity − mean) / std."""

    a: float
    b: float
    mean: float
    std: float
    k: int = KNN_K
    tau: float | None = None
    """Task-profile temperature of the target; None: the global base rate."""
    floor: float | None = None
    """Lowest calibrated z; below it w ramps up to 1. None: no floor."""

    def weight(self, fam: np.ndarray) -> np.ndarray:
        """Per query: the share given to the target."""
        return _weight(self.a, self.b, (fam - self.mean) / self.std, self.floor)

    def to_json(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "mean": self.mean,
            "std": self.std,
            "k": self.k,
            "tau": self.tau,
            "floor": self.floor,
        }

    @classmethod
    def from_json(cls, value: dict) -> Gate:
        tau, floor = value.get("tau"), value.get("floor")
        return cls(
            float(value["a"]),
            float(value["b"]),
            float(value["mean"]),
            float(value["std"]),
            int(value["k"]),
            None if tau is None else float(tau),
            None if floor is None else float(floor),
        )


def shrink(probs: np.ndarray, target: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(1 − w)·probs + w·target, per query; `target` is per model (n_models,) or per query (n, n_models)."""
    return (1.0 - w[:, None]) * probs + w[:, None] * np.broadcast_to(target, probs.shape)


@dataclass
class Fold:
    """Held-out predictions for calibrating the gate."""

    kind: str  # "seen" or "unseen"
    probs: np.ndarray  # head scores of the held-out queries
    z: np.ndarray  # standardised familiarity of the held-out queries to the fold's training queries
    targets: dict  # tau (None: base rate) -> shrinkage target of the held-out queries, from the fold's training queries
    labels: np.ndarray


def _rates(fold: Fold, a: float, b: float, tau: float | None, floor: float | None) -> tuple[float, float]:
    rates = hit_rates(shrink(fold.probs, fold.targets[tau], _weight(a, b, fold.z, floor)), fold.labels)
    return rates["top1_hit"], rates["top3_hit"]


def _objective(
    folds: list[Fold], bases: list[tuple[float, float]], a: float, b: float, tau: float | None, floor: float | None
) -> float:
    """Mean over fold kinds of top-1 + top-3, minus DEFICIT_WEIGHT × the mean shortfall below the base rates alone (`bases`)."""
    by_kind: dict[str, list[float]] = {}
    shortfall = []
    for fold, (base1, base3) in zip(folds, bases):
        top1, top3 = _rates(fold, a, b, tau, floor)
        by_kind.setdefault(fold.kind, []).append(top1 + top3)
        shortfall.append(max(0.0, base1 - top1) + max(0.0, base3 - top3))
    return round(float(np.mean([np.mean(v) for v in by_kind.values()]) - DEFICIT_WEIGHT * np.mean(shortfall)), 10)


def fit_gate(folds: list[Fold], floor: float | None = None) -> tuple[float, float, float | None, dict]:
    """(a, b, tau) maximising the fold objective over the grid (ties: least shrinkage, base rate), and a summary.

    `floor` (see `calibrated_floor`) is applied as it will be when serving.
    """
    taus = [t for t in folds[0].targets if all(t in f.targets for f in folds)]
    order = {t: -i for i, t in enumerate(taus)}  # ties prefer the earlier target (None, the base rate, first)
    candidates = [(NEVER, 0.0, None)] + [(a, b, t) for t in taus for a in (*GATE_A, ALWAYS) for b in GATE_B]
    bases = [_rates(fold, ALWAYS, 0.0, None, None) for fold in folds]
    scored = [(_objective(folds, bases, a, b, t, floor), -a, b, order[t], t) for a, b, t in candidates]
    best = max(scored, key=lambda row: row[:4])
    a, b, tau = -best[1], best[2], best[4]
    summary = {
        "objective": best[0],
        "head_only": _objective(folds, bases, NEVER, 0.0, None, floor),
        "base_only": _objective(folds, bases, ALWAYS, 0.0, None, None),
        "folds": {kind: sum(f.kind == kind for f in folds) for kind in ("seen", "unseen")},
    }
    return a, b, tau, summary


def calibrated_floor(folds: list[Fold]) -> float:
    """FLOOR_PERCENTILE of z over the seen fold's queries (every fold's when there is no seen fold)."""
    seen = [f.z for f in folds if f.kind == "seen"] or [f.z for f in folds]
    return float(np.percentile(np.concatenate(seen), FLOOR_PERCENTILE))
