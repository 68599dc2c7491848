"""The replay pool: a Pool whose models answer with the recorded columns of replay CSVs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from routemoa.errors import UserError
from routemoa.eval.replay_data import load_replay
from routemoa.eval.replay_prices import estimate_prices
from routemoa.spec import ModelSpec, Pool

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
