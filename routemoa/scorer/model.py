"""The scorer network: a projection head over encoder embeddings and one learned vector per model.

score_m(q) = sigmoid(cos(head(encoder(q)), e_m) / T). The head is a residual MLP
(identity at initialisation, so training starts from the encoder's geometry)
followed by one learned constant coordinate, so each model's embedding can hold
a query-independent part (its overall strength). T is learned (stored as
log T) so the calibration loss can set the scale.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

TEMPERATURE_BOUNDS = (0.01, 1.0)


class ScorerNet(nn.Module):
    """Query embedding (already from the encoder) -> one logit per model; hidden=0: no MLP."""

    def __init__(self, dim: int, n_models: int, hidden: int = 512, temperature: float = 0.1, dropout: float = 0.1):
        super().__init__()
        self.config = {"dim": dim, "n_models": n_models, "hidden": hidden, "dropout": dropout}
        self.dropout = nn.Dropout(dropout)
        self.up = nn.Linear(dim, hidden) if hidden else None
        self.down = nn.Linear(hidden, dim) if hidden else None
        if self.down is not None:
            nn.init.zeros_(self.down.weight)
            nn.init.zeros_(self.down.bias)
        self.constant = nn.Parameter(torch.ones(1))
        self.model_embeddings = nn.Parameter(torch.randn(n_models, dim + 1) * 0.1)
        self.log_temperature = nn.Parameter(torch.tensor(math.log(temperature)))

    @property
    def temperature(self) -> torch.Tensor:
        """T, clamped to TEMPERATURE_BOUNDS."""
        return self.log_temperature.exp().clamp(*TEMPERATURE_BOUNDS)

    def project(self, h: torch.Tensor) -> torch.Tensor:
        """Unit-length query vectors: residual head output plus the constant coordinate."""
        h = self.dropout(h)
        if self.up is not None and self.down is not None:
            h = h + self.down(F.gelu(self.up(h)))
        return F.normalize(torch.cat([h, self.constant.expand(len(h), 1)], dim=-1), dim=-1)

    def logits_of(self, z: torch.Tensor) -> torch.Tensor:
        """cos(z, e_m) / T for projected queries z."""
        return z @ F.normalize(self.model_embeddings, dim=-1).T / self.temperature

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Logits (n_queries, n_models); sigmoid gives the scores."""
        return self.logits_of(self.project(h))
