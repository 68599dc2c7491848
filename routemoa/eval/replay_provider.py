"""Provider `replay`: recorded answers and dollars of RouterBench-style CSVs, as a LangChain chat model.

A pool model with `provider: replay`, `options: {path: FILE or [FILES]}` and
`model: <column>` (default: its name) answers with the recorded response of
that column for the recorded prompt contained in the last human message, and
reports the recorded dollars as `response_metadata["cost_usd"]`. The kind is
built in (routemoa.providers.registry names this module; it is imported on
first use).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from routemoa.errors import UserError
from routemoa.eval.replay_data import ReplayError, load_replay
from routemoa.eval.replay_prices import estimate_tokens
from routemoa.providers import CallSettings
from routemoa.spec import ModelSpec


def _message_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "\n".join(c if isinstance(c, str) else str(c.get("text", "")) for c in content)


class ReplayChatModel(BaseChatModel):
    """Answers with the recorded response of `model_name` for the recorded prompt in the last human message."""

    paths: tuple[str, ...]
    model_name: str

    @property
    def _llm_type(self) -> str:
        return "replay"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"paths": self.paths, "model_name": self.model_name}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        humans = [m for m in messages if isinstance(m, HumanMessage)]
        if not humans:
            raise ReplayError("replay needs a human message that contains a recorded prompt")
        data = load_replay(list(self.paths))
        if self.model_name not in data.models:
            raise ReplayError(f"model '{self.model_name}' is not in the replay data")
        record = data.lookup(_message_text(humans[-1]))
        text = record.response[self.model_name]
        input_tokens = sum(estimate_tokens(_message_text(m)) for m in messages)
        output_tokens = estimate_tokens(text)
        message = AIMessage(
            content=text,
            usage_metadata={
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
            response_metadata={
                "cost_usd": record.cost[self.model_name],
                "model_name": self.model_name,
                "replay_sample_id": record.sample_id,
                "replay_correct": record.correct[self.model_name],
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def replay_model(spec: ModelSpec, settings: CallSettings) -> BaseChatModel:
    """Provider `replay`: CSV path(s) from `options.path`, recorded column from `model` (default: name)."""
    raw = spec.options.get("path")
    paths = [raw] if isinstance(raw, str) else raw
    if not paths or not all(isinstance(p, str) and p for p in paths):
        raise UserError(f"model '{spec.name}': provider 'replay' needs options.path (a CSV file or a list of them)")
    return ReplayChatModel(paths=tuple(paths), model_name=spec.model or spec.name)
