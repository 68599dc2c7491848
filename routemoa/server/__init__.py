"""Serving RouteMoA: the OpenAI-compatible HTTP app mounted into the LangGraph server, and `routemoa serve`.

It sits above the graph: it serves the compiled graphs of `routemoa.graph.GRAPHS`, one per
method of `routemoa.methods.METHODS` (the graphs langgraph.json exports).

- `catalog`: what `/v1/models` says about each method and its pool.
- `openai_api`: request validation, response and error shapes of the OpenAI chat API.
- `app`: the Starlette app (`/v1/models`, `/v1/chat/completions`), referenced from langgraph.json.
- `cli`: the `serve` sub-command.
"""
