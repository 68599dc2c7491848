"""Deterministic fake chat models for tests, registered as provider kind `fake`.

A pool entry `{provider: fake, model: KEY}` answers with `SCRIPTS[KEY]`: a fixed
reply, or a function of the prompt text; with an optional delay and error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from routemoa.providers import register_provider


@dataclass
class Script:
    """How one fake model behaves."""

    reply: str | Callable[[str], str] = '{"answer": "42", "self_score": 0.5}'
    delay: float = 0.0
    error: Exception | None = None
    input_tokens: int = 100
    output_tokens: int = 10
    calls: list[str] = field(default_factory=list)
    """Prompt texts seen, one per call."""
    turns: list[list[tuple[str, str]]] = field(default_factory=list)
    """Per call, its messages as (type, text): where each piece of text was sent."""
    options: list[dict[str, Any]] = field(default_factory=list)
    """Per call, the options it was invoked with (e.g. response_format)."""
    intervals: list[tuple[float, float]] = field(default_factory=list)
    """(start, end) monotonic times of each async call."""


SCRIPTS: dict[str, Script] = {}


def prompt_text(messages) -> str:
    return "\n".join(str(m.text) for m in messages)


def is_aggregation(prompt: str) -> bool:
    return "Candidate responses" in prompt


class FakeChatModel(BaseChatModel):
    """Replays a Script; async calls honour the delay without blocking the loop."""

    key: str

    @property
    def _llm_type(self) -> str:
        return "fake"

    def _reply(self, messages, options: dict[str, Any]) -> AIMessage:
        script = SCRIPTS[self.key]
        prompt = prompt_text(messages)
        script.calls.append(prompt)
        script.turns.append([(m.type, str(m.text)) for m in messages])
        script.options.append(options)
        if script.error is not None:
            raise script.error
        text = script.reply(prompt) if callable(script.reply) else script.reply
        usage = {
            "input_tokens": script.input_tokens,
            "output_tokens": script.output_tokens,
            "total_tokens": script.input_tokens + script.output_tokens,
        }
        return AIMessage(content=text, usage_metadata=usage)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages, kwargs))])

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        started = time.monotonic()
        await asyncio.sleep(SCRIPTS[self.key].delay)
        result = ChatResult(generations=[ChatGeneration(message=self._reply(messages, kwargs))])
        SCRIPTS[self.key].intervals.append((started, time.monotonic()))
        return result


register_provider("fake", lambda spec, settings: FakeChatModel(key=spec.model or spec.name))


def write_pool(path, names: list[str], *, prices: dict[str, tuple[float, float]] | None = None) -> str:
    """Write a pool YAML of fake models (one Script each is expected in SCRIPTS)."""
    prices = prices or {}
    models = [
        {
            "name": n,
            "provider": "fake",
            "model": n,
            "description": f"fake model {n}",
            "input_price": prices.get(n, (1.0, 2.0))[0],
            "output_price": prices.get(n, (1.0, 2.0))[1],
            "latency_s": 1.0,
        }
        for n in names
    ]
    path.write_text(yaml.safe_dump({"models": models}))
    return str(path)
