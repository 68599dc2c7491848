"""Token-by-token decoding of one llama.cpp context, with a JSON grammar consulted only when needed.

llama-cpp-python's `Llama.generate` puts the grammar first in its sampler chain, so at
every token the grammar filters the whole 49,152-token vocabulary (5-13 ms a token on
these CPUs, 20-40 % of SmolLM2's decoding). `decode` draws a token without the grammar
and asks the grammar about that one token only; when the grammar rejects it, the
whole vocabulary is filtered and the token drawn again (llama.cpp's own server samples
the same way). Every reply still follows the grammar. The longest prefix of the prompt
still in the context's KV cache is reused, as `generate` does.

Text the grammar forces (a JSON reply's keys and punctuation) is not decoded token by token:
after each drawn token, `forced_text` asks a copy of the grammar which one-character tokens
it allows; while only one is allowed that character is forced. The forced text is tokenized
and evaluated in the same llama.cpp batch as the drawn token (a batch of 5 tokens costs about
twice one token, not five times), except a last token that a longer token begins with: the model
draws that one itself, through the grammar, so it may join the forced text to what follows as the
model would (`{"` rather than `{` then `"`). When the grammar then allows only the end of the reply, the reply
ends without another evaluation. Multi-byte characters are probed through the tokens of their
lead bytes, so a position that also allows a non-ASCII character is not forced.

A second context can decode the reply (`decoder`): the prompt is evaluated in the first one, whose
F16 weights suit the prompt's large batches, and its cached state is copied into the decoder, whose
quantised weights (the packaged Q4_1, a third of the bytes) suit decoding a token at a time, which
reads every weight once a token.
"""

from __future__ import annotations

import ctypes
import math
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

TOP_K, TOP_P, MIN_P = 40, 0.9, 0.05
FORCED_MAX_CHARS = 64
"""Longest forced text taken at once (a JSON schema's longest key and punctuation fit well within it)."""


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


def hand_over(source: Any, target: Any) -> None:
    """Make `target`'s context hold what `source`'s holds (its one sequence's cache and tokens), replacing its own.
    Both contexts must be of one architecture (the same model in two quantisations)."""
    from llama_cpp import llama_cpp as lib

    size = lib.llama_state_seq_get_size(source.ctx, 0)
    state = (ctypes.c_uint8 * size)()
    written = lib.llama_state_seq_get_data(source.ctx, state, size, 0)
    lib.llama_memory_clear(lib.llama_get_memory(target.ctx), True)
    if written == 0 or lib.llama_state_seq_set_data(target.ctx, state, written, 0) != written:
        raise RuntimeError("llama.cpp could not copy the prompt's cache into the decoding context")
    target.n_tokens = source.n_tokens
    target.input_ids[: source.n_tokens] = source.input_ids[: source.n_tokens]


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


@dataclass
class Vocabulary:
    """What forwarding forced text needs to know of a model's vocabulary (`vocabulary`)."""

    pieces: list[bytes]
    """Every token's bytes, by id."""
    chars: dict[int, str]
    """The probe tokens of one printable ASCII character (or tab, newline), by id."""
    probes: list[int]
    """Those, the tokens of one UTF-8 lead byte, and the end-of-generation token."""
    end: int
    _extendable: dict[int, bool] = field(default_factory=dict)

    def extendable(self, token: int) -> bool:
        """Whether a longer token begins with `token`'s bytes (the model might have drawn it instead)."""
        if token not in self._extendable:
            piece = self.pieces[token]
            self._extendable[token] = any(len(p) > len(piece) and p.startswith(piece) for p in self.pieces)
        return self._extendable[token]


_VOCABULARIES: dict[str, Vocabulary] = {}
_VOCABULARIES_LOCK = threading.Lock()


def vocabulary(llm: Any) -> Vocabulary:
    """`llm`'s Vocabulary, read once per model file (~0.15 s; `local_engine` reads it as a slot loads)."""
    from llama_cpp import llama_cpp as lib

    with _VOCABULARIES_LOCK:
        found = _VOCABULARIES.get(llm.model_path)
        if found is None:
            vocab = lib.llama_model_get_vocab(llm.model)
            buffer = ctypes.create_string_buffer(256)
            pieces = []
            for token in range(llm.n_vocab()):
                size = lib.llama_token_to_piece(vocab, token, buffer, len(buffer), 0, False)
                pieces.append(buffer.raw[: max(size, 0)])
            ones = [(t, p) for t, p in enumerate(pieces) if len(p) == 1]
            chars = {t: p.decode() for t, p in ones if 0x20 <= p[0] < 0x7F or p in (b"\n", b"\t")}
            leads = [t for t, p in ones if 0xC2 <= p[0] <= 0xF4]
            end = llm.token_eos()
            found = _VOCABULARIES[llm.model_path] = Vocabulary(pieces, chars, [*chars, *leads, end], end)
        return found


def forced_text(checker: Any, vocab: Vocabulary) -> tuple[str, bool]:
    """The text `checker` (a grammar sampler) allows next and nothing else, and whether it then
    allows only the end of generation."""
    from llama_cpp import llama_cpp as lib

    size = len(vocab.probes)
    data = (lib.llama_token_data * size)()
    array = lib.llama_token_data_array(data=data, size=size, selected=-1, sorted=False)
    probe = lib.llama_sampler_clone(checker)
    text = ""
    try:
        while len(text) < FORCED_MAX_CHARS:
            for i, token in enumerate(vocab.probes):
                data[i] = lib.llama_token_data(id=token, logit=0.0, p=0.0)
            array.size, array.selected = size, -1
            lib.llama_sampler_apply(probe, ctypes.byref(array))
            allowed = [int(data[i].id) for i in range(size) if math.isfinite(data[i].logit)]
            if allowed == [vocab.end]:
                return text, True
            if len(allowed) != 1 or allowed[0] not in vocab.chars:  # a choice, or a multi-byte character
                return text, False
            text += vocab.chars[allowed[0]]
            lib.llama_sampler_accept(probe, allowed[0])
        return text, False
    finally:
        lib.llama_sampler_free(probe)


def _forced_tokens(llm: Any, text: str) -> list[int]:
    """`text` as tokens, or none when the tokens do not spell exactly `text`."""
    if not text:
        return []
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    return tokens if llm.detokenize(tokens, special=False) == text.encode("utf-8") else []


def grammar_sampler(llm: Any, grammar: Any) -> Any:
    """A llama.cpp grammar sampler of `llm`'s vocabulary for a `llama_cpp.LlamaGrammar` (free it with
    `llama_sampler_free`)."""
    from llama_cpp import llama_cpp as lib

    return lib.llama_sampler_init_grammar(
        llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
    )


def decode(
    llm: Any,
    prompt: list[int],
    temperature: float,
    grammar: Any | None = None,
    forward_forced: bool = True,
    decoder: Any | None = None,
) -> Generator[int, None, None]:
    """The tokens `llm` generates after `prompt`, one at a time; stop iterating to stop decoding.

    `grammar` is a `llama_cpp.LlamaGrammar` (e.g. `local_engine.grammar_for`), or None. The text the
    grammar forces comes in the same stream, evaluated in one batch with the prompt or the token drawn
    before it, and a reply the grammar ends comes with `llm.token_eos()` last (`forward_forced=False`: every token
    is drawn and evaluated on its own, for comparison). `decoder`, a llama.cpp model of the same architecture
    and vocabulary: `llm` evaluates the prompt (and keeps it cached for the next call), `decoder` the reply.
    """
    from llama_cpp import llama_cpp as lib
    from llama_cpp._internals import LlamaTokenDataArray

    vocab_size = llm.n_vocab()
    chain = _chain(temperature)
    checker = grammar_sampler(llm, grammar) if grammar is not None else None
    every = LlamaTokenDataArray(n_vocab=vocab_size)
    one = (lib.llama_token_data * 1)()
    drawn = lib.llama_token_data_array(data=one, size=1, selected=-1, sorted=False)
    vocab = vocabulary(llm) if checker is not None and forward_forced else None
    current = llm
    try:
        pending = _reuse_cached_prefix(llm, prompt)
        while True:
            if checker is not None and vocab is not None:  # forward what the grammar forces
                text, ends = forced_text(checker, vocab)
                forced = _forced_tokens(llm, text)
                if not ends and forced and vocab.extendable(forced[-1]):
                    forced = forced[:-1]  # the model draws it: it may join what follows (`{` + `"` = `{"`)
                for token in forced:
                    lib.llama_sampler_accept(checker, token)
                    lib.llama_sampler_accept(chain, token)
                    pending.append(token)
                    yield token
                if ends and (forced or not text):
                    yield vocab.end  # the grammar allows nothing else: no evaluation needed
                    return
            current.eval(pending)
            logits = ctypes.cast(lib.llama_get_logits_ith(current.ctx, -1), ctypes.POINTER(ctypes.c_float))
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
            if decoder is not None and current is llm:
                hand_over(llm, decoder)
                current = decoder
            yield token
            pending = [token]
    finally:
        lib.llama_sampler_free(chain)
        if checker is not None:
            lib.llama_sampler_free(checker)


def _as_array(logits: Any, size: int):
    import numpy as np

    return np.ctypeslib.as_array(logits, shape=(size,))
