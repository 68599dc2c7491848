"""Token-by-token decoding of one llama.cpp context, with a JSON grammar consulted only when needed.

llama-cpp-python's `Llama.generate` puts the grammar first in its sampler chain, so at
every token the grammar filters the whole 49,152-token vocabulary (5-13 ms a token on
these CPUs, 20-40 % of SmolLM2's decoding). `decode` draws a token without the grammar
and asks the grammar about that one token only; when the grammar rejects it, the
whole vocabulary is filtered and the token drawn again (llama.cpp's own server samples
the same way). Every reply still follows the grammar. The longest prefix of the prompt
still in the context's KV cache is reused, as `generate` does.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Generator
from typing import Any

TOP_K, TOP_P, MIN_P = 40, 0.9, 0.05


def _chain(temperature: float) -> Any:
    """Top-k / top-p / min-p at `temperature`, then a random draw (greedy at temperature 0)."""
    from llama_cpp import llama_cpp as lib

    chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
    if temperature <= 0:
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
        return chain
    for sampler in (
        lib.llama_sampler_init_top_k(TOP_K),
        lib.llama_sampler_init_top_p(TOP_P, 1),
        lib.llama_sampler_init_min_p(MIN_P, 1),
        lib.llama_sampler_init_temp(temperature),
        lib.llama_sampler_init_dist(lib.LLAMA_DEFAULT_SEED),
    ):
        lib.llama_sampler_chain_add(chain, sampler)
    return chain


def _reuse_cached_prefix(llm: Any, prompt: list[int]) -> list[int]:
    """Keep the KV cache's longest common prefix with `prompt`; the prompt tokens still to evaluate
    (at least one, so the logits are fresh)."""
    cached = llm.input_ids[: llm.n_tokens].tolist()
    keep = 0
    for old, new in zip(cached, prompt[:-1]):
        if old != new:
            break
        keep += 1
    if keep == 0 or not llm._ctx.kv_cache_seq_rm(-1, keep, -1):
        keep = 0
    llm.n_tokens = keep
    return prompt[keep:]


def decode(llm: Any, prompt: list[int], temperature: float, grammar: Any | None = None) -> Generator[int, None, None]:
    """The tokens `llm` generates after `prompt`, one at a time; stop iterating to stop decoding.

    `grammar` is a `llama_cpp.LlamaGrammar` (e.g. `local_engine.grammar_for`), or None.
    """
    from llama_cpp import llama_cpp as lib
    from llama_cpp._internals import LlamaTokenDataArray

    vocab_size = llm.n_vocab()
    chain = _chain(temperature)
    checker = None
    if grammar is not None:
        checker = lib.llama_sampler_init_grammar(
            llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
    every = LlamaTokenDataArray(n_vocab=vocab_size)
    one = (lib.llama_token_data * 1)()
    drawn = lib.llama_token_data_array(data=one, size=1, selected=-1, sorted=False)
    try:
        llm.eval(_reuse_cached_prefix(llm, prompt))
        while True:
            logits = ctypes.cast(lib.llama_get_logits_ith(llm.ctx, -1), ctypes.POINTER(ctypes.c_float))
            every.copy_logits(_as_array(logits, vocab_size))
            lib.llama_sampler_apply(chain, ctypes.byref(every.candidates))
            token = int(every.candidates_data.id[every.candidates.selected])
            if checker is not None:
                one[0] = lib.llama_token_data(id=token, logit=0.0, p=0.0)
                drawn.size, drawn.selected = 1, -1
                lib.llama_sampler_apply(checker, ctypes.byref(drawn))
                if not math.isfinite(one[0].logit):  # the grammar forbids it: draw among the allowed tokens
                    every.copy_logits(_as_array(logits, vocab_size))
                    lib.llama_sampler_apply(checker, ctypes.byref(every.candidates))
                    lib.llama_sampler_apply(chain, ctypes.byref(every.candidates))
                    token = int(every.candidates_data.id[every.candidates.selected])
                lib.llama_sampler_accept(checker, token)
            lib.llama_sampler_accept(chain, token)
            yield token
            llm.eval([token])
    finally:
        lib.llama_sampler_free(chain)
        if checker is not None:
            lib.llama_sampler_free(checker)


def _as_array(logits: Any, size: int):
    import numpy as np

    return np.ctypeslib.as_array(logits, shape=(size,))
