"""RouteMoA: Mixture-of-Agents with a learned router, as a LangGraph graph.

`routemoa.as_node(...)` and `routemoa.as_tool(...)` embed it in your own agent (see routemoa.embed).
"""

__version__ = "0.1.0"
__all__ = ["__version__", "as_node", "as_tool"]


def __getattr__(name: str):
    """Import the embedding helpers on first use (`import routemoa` stays light)."""
    if name in ("as_node", "as_tool"):
        from routemoa import embed

        return getattr(embed, name)
    raise AttributeError(f"module 'routemoa' has no attribute '{name}'")
