"""Replay recorded model outputs (RouterBench-style CSVs) as if the models answered now.

A replay CSV has one row per query: `sample_id`, `eval_name`, `prompt` (a
Python-list literal of the prompt string(s)), one column per model with its
correctness (1.0 / 0.0, empty = no result), `<model>|model_response` (a
Python-list literal), `<model>|total_cost` (dollars) and
`oracle_model_to_route_to`.

Importing this module registers provider kind `replay`: a pool model with
`provider: replay`, `options: {path: FILE or [FILES]}` and `model: <column>`
(default: its name) answers with the recorded response of that column for the
recorded prompt contained in the last human message, and reports the recorded
dollars as `response_metadata["cost_usd"]`.
"""

from __future__ import annotations

import ast
import csv
import functools
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from routemoa.errors import UserError
from routemoa.pool import ModelSpec, Pool
from routemoa.providers import CallSettings

COST_SUFFIX = "|total_cost"
RESPONSE_SUFFIX = "|model_response"
CHARS_PER_TOKEN = 4
"""Token counts are estimated as characters / 4 (the data records dollars, not tokens)."""


class ReplayError(RuntimeError):
    """A replayed call that has no recording (the graph records it as a provider failure)."""


@dataclass(frozen=True)
class ReplayRecord:
    """One recorded query and every model's result on it."""

    sample_id: str
    eval_name: str
    prompt: str
    correct: dict[str, float | None]
    """Per model: 1.0 / 0.0, or None when the data has no result."""
    response: dict[str, str]
    cost: dict[str, float]
    """Per model: dollars the recorded call cost."""

    @property
    def question(self) -> str:
        """The item actually asked: the prompt's last paragraph (drops a shared few-shot prefix)."""
        blocks = [b for b in self.prompt.split("\n\n") if b.strip()]
        return blocks[-1].strip() if blocks else self.prompt


@dataclass(frozen=True)
class ReplayData:
    """Recorded results of several models on several queries."""

    models: tuple[str, ...]
    records: tuple[ReplayRecord, ...]

    @functools.cached_property
    def _by_prompt(self) -> dict[str, ReplayRecord]:
        return {r.prompt: r for r in self.records}

    @functools.cached_property
    def _longest_first(self) -> list[ReplayRecord]:
        return sorted(self._by_prompt.values(), key=lambda r: len(r.prompt), reverse=True)

    def lookup(self, text: str) -> ReplayRecord:
        """The record whose prompt is `text`, else the longest recorded prompt contained in it."""
        record = self._by_prompt.get(text) or self._by_prompt.get(text.strip())
        if record is not None:
            return record
        for record in self._longest_first:
            if record.prompt in text:
                return record
        raise ReplayError(f"no recorded prompt is contained in the query ({text[:60]!r}...)")


def _literal_text(raw: str, where: str) -> str:
    """The last string of a Python-list literal cell (or the cell itself when it is not a list)."""
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw
    if isinstance(value, (list, tuple)):
        if not value:
            return ""
        value = value[-1]
    if not isinstance(value, str):
        raise UserError(f"{where}: expected a string or a list of strings")
    return value


def _float_or_none(raw: str, where: str) -> float | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise UserError(f"{where}: expected a number, got {raw[:40]!r}") from None


def _read_csv(path: str) -> ReplayData:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read replay data ({exc.strerror or exc})") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in ("sample_id", "prompt") if c not in header]
        if missing:
            raise UserError(f"{path}: missing column '{missing[0]}'")
        models = tuple(c[: -len(COST_SUFFIX)] for c in header if c.endswith(COST_SUFFIX))
        if not models:
            raise UserError(f"{path}: no '<model>{COST_SUFFIX}' columns")
        for model in models:
            for column in (model, model + RESPONSE_SUFFIX):
                if column not in header:
                    raise UserError(f"{path}: model '{model}' has no column '{column}'")
        records = []
        for row in reader:
            where = f"{path}:{reader.line_num}"
            costs = {}
            for m in models:
                cost = _float_or_none(row[m + COST_SUFFIX], f"{where}: column '{m}{COST_SUFFIX}'")
                costs[m] = 0.0 if cost is None else cost
            records.append(
                ReplayRecord(
                    sample_id=row["sample_id"],
                    eval_name=row.get("eval_name", ""),
                    prompt=_literal_text(row["prompt"], f"{where}: column 'prompt'"),
                    correct={m: _float_or_none(row[m], f"{where}: column '{m}'") for m in models},
                    response={m: _literal_text(row[m + RESPONSE_SUFFIX], f"{where}: column '{m}{RESPONSE_SUFFIX}'") for m in models},
                    cost=costs,
                )
            )
    if not records:
        raise UserError(f"{path}: no rows")
    return ReplayData(models=models, records=tuple(records))


@functools.lru_cache(maxsize=16)
def _read_cached(path: str, _mtime_ns: int) -> ReplayData:
    return _read_csv(path)


def load_replay(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> ReplayData:
    """Read one or more replay CSVs (cached per file version); models are those every file has."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not paths:
        raise UserError("no replay data files given")
    parts = []
    for path in paths:
        file = Path(path)
        try:
            stat = file.stat()
        except OSError as exc:
            raise UserError(f"{file}: cannot read replay data ({exc.strerror or exc})") from None
        parts.append(_read_cached(str(file.resolve()), stat.st_mtime_ns))
    models = tuple(m for m in parts[0].models if all(m in p.models for p in parts[1:]))
    if not models:
        raise UserError(f"the replay files {', '.join(map(str, paths))} share no model")
    return ReplayData(models=models, records=tuple(r for p in parts for r in p.records))


def estimate_tokens(text: str) -> int:
    """Rough token count of a text (characters / 4, at least 1)."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


def estimate_prices(data: ReplayData) -> dict[str, tuple[float, float]]:
    """Per model (input, output) dollars per million tokens, fitted to the recorded costs.

    Least squares of cost ≈ in_tokens·p_in + out_tokens·p_out over every record, with
    tokens estimated as characters / 4 of the prompt and of the response. When the fit
    gives a negative price, both prices fall back to the blended rate Σcost / Σtokens.
    """
    prices = {}
    for m in data.models:
        x = np.array([[estimate_tokens(r.prompt), estimate_tokens(r.response[m])] for r in data.records], float)
        y = np.array([r.cost[m] for r in data.records])
        fit = np.linalg.lstsq(x, y, rcond=None)[0] * 1e6
        if (fit < 0).any():
            fit = np.full(2, y.sum() / x.sum() * 1e6)
        prices[m] = (round(float(fit[0]), 4), round(float(fit[1]), 4))
    return prices


MODEL_DESCRIPTIONS = {
    "gpt-4-1106-preview": "OpenAI GPT-4 Turbo: the strongest and most expensive generalist; excellent at reasoning, science questions and Python programming.",
    "gpt-3.5-turbo-1106": "OpenAI GPT-3.5 Turbo: fast, cheap generalist; good at short factual answers and simple Python functions.",
    "claude-v2": "Anthropic Claude 2: strong, expensive generalist; careful reasoning, long answers, good at writing code.",
    "claude-v1": "Anthropic Claude 1: strong, expensive generalist; good at reasoning and explanations.",
    "claude-instant-v1": "Anthropic Claude Instant: fast, cheap assistant; good at everyday questions and simple code.",
    "meta/llama-2-70b-chat": "Meta Llama 2 70B chat: open model, fair at general knowledge questions, weaker at code.",
    "meta/code-llama-instruct-34b-chat": "Meta Code Llama 34B instruct: open model specialised in writing Python code.",
    "mistralai/mistral-7b-chat": "Mistral 7B instruct: very cheap small open model; fair at simple questions.",
    "mistralai/mixtral-8x7b-chat": "Mixtral 8x7B instruct: cheap open mixture-of-experts; good at multiple-choice science and simple code.",
    "zero-one-ai/Yi-34B-Chat": "Yi 34B chat: open bilingual model; good at knowledge and multiple-choice questions.",
    "WizardLM/WizardLM-13B-V1.2": "WizardLM 13B: cheap small open instruction-tuned model; fair at general questions.",
}
"""Hand-written descriptions of the RouterBench models (the zero-shot prior reads them)."""


def replay_pool(paths: str | os.PathLike | Sequence[str | os.PathLike], models: Sequence[str] | None = None) -> Pool:
    """A Pool whose models replay the recorded columns of `paths`.

    Prices come from `estimate_prices` on the same data, descriptions from
    MODEL_DESCRIPTIONS (a generic line for unknown columns); latency is unknown in
    the data and left at 1 s for every model, so it never changes a ranking.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    data = load_replay(paths)
    chosen = list(models) if models is not None else list(data.models)
    unknown = [m for m in chosen if m not in data.models]
    if unknown:
        raise UserError(f"model '{unknown[0]}' is not in the replay data (known: {', '.join(data.models)})")
    prices = estimate_prices(data)
    files = [str(Path(p).resolve()) for p in paths]
    specs = tuple(
        ModelSpec(
            name=m,
            provider="replay",
            description=MODEL_DESCRIPTIONS.get(m, f"{m}: a recorded language model."),
            input_price=prices[m][0],
            output_price=prices[m][1],
            model=m,
            options={"path": files},
        )
        for m in chosen
    )
    return Pool(models=specs, source="replay:" + ",".join(files))


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

