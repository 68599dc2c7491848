"""Serving RouteMoA: the OpenAI-compatible HTTP app mounted into the LangGraph server, and `routemoa serve`.

- `methods`: which graphs ("methods") the server exports, read from langgraph.json.
- `openai_api`: request validation, response and error shapes of the OpenAI chat API.
- `app`: the Starlette app (`/v1/models`, `/v1/chat/completions`), referenced from langgraph.json.
- `cli`: the `serve` sub-command.
"""
