"""RouteMoA: Mixture-of-Agents with a learned router, as a LangGraph graph."""

__version__ = "0.1.0"
