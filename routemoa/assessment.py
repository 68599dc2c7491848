"""Self- and cross-assessment over a layer's call records. Pure functions.

Cross-assessment that no single model controls (see docs/assessment.md):

- every model of layer L that answered scores the answers of layer L-1 it was shown;
  a model's score of its own earlier answer is dropped;
- a model's peer consensus is the median of the scores the others gave its answer;
- a self score more than `self_trust_margin` above the model's peer consensus caps
  that model's self scores at consensus + margin for the rest of the run;
- an early exit on a model needs another model's backing whenever another model
  answered in the run: a peer consensus above the neutral score, or the same answer
  from another model of the layer (`exit_support`); the aggregator is the best-ranked
  backed model.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from routemoa.context import Context
from routemoa.state import AgentRecord


def layer_records(records: Iterable[AgentRecord], layer: int) -> list[AgentRecord]:
    """Agent records of one layer, failures included."""
    return [r for r in records if r["role"] == "agent" and r["layer"] == layer]


def scored_layer(ctx: Context, layer: int) -> bool:
    """Whether `layer`'s agents reply with scores (not the plain last layer, not a plain-answer method)."""
    return ctx.scored_replies and not (layer == ctx.max_layers and layer > 1)


def self_scores(records: Iterable[AgentRecord], layer: int) -> dict[str, float]:
    """Readable self score per successful model of `layer` (models without one are left out)."""
    return {
        r["model"]: r["self_score"]
        for r in layer_records(records, layer)
        if not r["error"] and r["self_score"] is not None
    }


def unscored(records: Iterable[AgentRecord], layer: int) -> list[str]:
    """Successful models of `layer` whose reply had no readable self score."""
    return [r["model"] for r in layer_records(records, layer) if not r["error"] and r["self_score"] is None]


@dataclass(frozen=True)
class CrossAssessment:
    """The previous layer's answers as this layer's models scored them."""

    consensus: dict[str, float]
    """Per previous-layer model: median of the scores the other models gave its answer."""
    votes: dict[str, int]
    """Per previous-layer model: how many scores the median is over."""
    assessors: list[str]
    """Models of this layer that gave at least one usable score."""


def peer_consensus(records: Iterable[AgentRecord], layer: int, shown_models: Sequence[str]) -> CrossAssessment:
    """Combine every successful model's peer scores of `layer`; peer_scores[i] scores shown_models[i].

    A model's score of its own earlier answer is ignored, so nobody votes for itself.
    """
    votes: dict[str, list[float]] = {}
    assessors: list[str] = []
    for record in layer_records(records, layer):
        if record["error"] or not record["peer_scores"]:
            continue
        used = False
        for author, score in zip(shown_models, record["peer_scores"]):
            if score is None or author == record["model"]:
                continue
            votes.setdefault(author, []).append(score)
            used = True
        if used:
            assessors.append(record["model"])
    return CrossAssessment(
        consensus={m: float(statistics.median(v)) for m, v in votes.items()},
        votes={m: len(v) for m, v in votes.items()},
        assessors=assessors,
    )


def update_self_caps(
    caps: Mapping[str, float], self_previous: Mapping[str, float], consensus: Mapping[str, float], margin: float
) -> dict[str, float]:
    """Caps on self scores for the rest of the run: a model whose self score of its previous answer
    exceeds its peer consensus by more than `margin` gets the cap consensus + margin (the lowest cap stays)."""
    updated = dict(caps)
    for model, agreed in consensus.items():
        claimed = self_previous.get(model)
        if claimed is not None and claimed - agreed > margin:
            updated[model] = min(updated.get(model, 1.0), agreed + margin)
    return updated


def capped(scores: Mapping[str, float], caps: Mapping[str, float]) -> dict[str, float]:
    """Self scores with each model's cap applied."""
    return {m: min(s, caps.get(m, 1.0)) for m, s in scores.items()}


def same_answer_key(answer: str) -> str:
    """An answer reduced for agreement checks: letter case, spacing and closing punctuation ignored."""
    return " ".join(answer.casefold().split()).rstrip(" .!。").strip()


def exit_support(
    records: Iterable[AgentRecord], consensus: Mapping[str, float], layer: int, neutral: float
) -> set[str] | None:
    """The models of `layer` an early exit may rest on, or None when no other model could judge.

    When more than one model answered in the run, a model of this layer is backed when another
    model supports its answer: the others scored its previous answer above `neutral` (its peer
    consensus), or another model of this layer gave the same answer (`same_answer_key`). Its own
    self score alone cannot end the run.
    """
    records = list(records)
    authors = {r["model"] for r in records if r["role"] == "agent" and not r["error"]}
    if len(authors) <= 1:
        return None
    answered = [r for r in layer_records(records, layer) if not r["error"]]
    keys = [same_answer_key(r["answer"]) for r in answered]
    backed = set()
    for record, key in zip(answered, keys):
        agreed = keys.count(key) > 1
        if agreed or consensus.get(record["model"], 0.0) > neutral:
            backed.add(record["model"])
    return backed
