"""The scorer: a prior for every pool model from the query alone, before any LLM runs."""

from routemoa.scorer.prior import Prior, pool_prior

__all__ = ["Prior", "pool_prior"]
