"""Test helper: a deterministic fake provider, a pool file writer, and the graph re-exported.

Importing this module registers provider kind `fake-serving`. A pool model with
`provider: fake-serving` answers from its `options`:

- `answer`: text of the answer (default: "<name> says 42"); `{turns}` becomes the
  number of human messages the model was shown (to check conversation memory).
- `self_score`: the self-assessment it claims (default 0.9).
- `fail`: true makes every call raise (a provider failure).

Agent prompts (which ask for JSON) get a JSON reply; the aggregator gets plain
text "<answer> (aggregated)". Streaming yields the reply word by word, so the
aggregator's tokens show in `messages` stream mode.

A `langgraph dev` test config names `<this file>:graph`, so the server process
imports this module (registering the fake) before it serves the graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from routemoa.graph import graph  # noqa: F401  (re-exported for the test server config)
from routemoa.providers import register_provider

FAKE_KIND = "fake-serving"


class FakeProviderError(RuntimeError):
    """What a `fail: true` fake model raises."""


class FakeChatModel(BaseChatModel):
    """Deterministic stand-in for a real provider."""

    name_: str = "fake"
    answer: str = ""
    self_score: float = 0.9
    fail: bool = False

    @property
    def _llm_type(self) -> str:
        return "routemoa-test-fake"

    def _reply(self, messages: list[BaseMessage]) -> str:
        if self.fail:
            raise FakeProviderError(f"{self.name_} is down")
        turns = sum(1 for m in messages if isinstance(m, HumanMessage))
        answer = (self.answer or f"{self.name_} says 42").replace("{turns}", str(turns))
        prompt = messages[-1].text if messages else ""
        if "self_score" not in prompt:
            return f"{answer} (aggregated)"
        reply: dict[str, Any] = {"answer": answer, "self_score": self.self_score}
        if "peer_scores" in prompt:
            reply["peer_scores"] = [0.8] * prompt.count("ANSWER_")
        return json.dumps(reply)

    @staticmethod
    def _usage(messages: list[BaseMessage], text: str) -> dict[str, int]:
        prompt_tokens = sum(len(m.text.split()) for m in messages)
        output_tokens = len(text.split())
        return {
            "input_tokens": prompt_tokens,
            "output_tokens": output_tokens,
            "total_tokens": prompt_tokens + output_tokens,
        }

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        text = self._reply(messages)
        message = AIMessage(content=text, usage_metadata=self._usage(messages, text))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        text = self._reply(messages)
        words = text.split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=self._usage(messages, text)))


def _fake(spec, settings) -> BaseChatModel:
    opts = spec.options or {}
    return FakeChatModel(
        name_=spec.name,
        answer=str(opts.get("answer", "")),
        self_score=float(opts.get("self_score", 0.9)),
        fail=bool(opts.get("fail", False)),
    )


register_provider(FAKE_KIND, _fake)

DESCRIPTIONS = [
    "answers questions directly and concisely, short factual answers",
    "reasons step by step through arithmetic and math word problems",
    "checks claims and code for mistakes, verifies answers",
]


def write_pool(path: Path, n: int = 2, *, fail: bool = False, answer: str = "", self_score: float = 0.9) -> Path:
    """A pool file of `n` fake models (named fake-0..n-1) at `path`; returns the path."""
    models = []
    for i in range(n):
        options: dict[str, Any] = {"self_score": self_score}
        if fail:
            options["fail"] = True
        if answer:
            options["answer"] = answer
        models.append(
            {
                "name": f"fake-{i}",
                "provider": FAKE_KIND,
                "description": DESCRIPTIONS[i % len(DESCRIPTIONS)],
                "input_price": 1.0 + i,
                "output_price": 2.0 + i,
                "latency_s": 1.0,
                "options": options,
            }
        )
    path.write_text(yaml.safe_dump({"models": models}, sort_keys=False))
    return path
