"""The platform's OpenAI-compatible model server: champion and challenger behind one API.

Endpoints (the official ``openai`` client works against them unchanged):

- ``POST /v1/chat/completions`` (``stream=true`` answers with server-sent events like OpenAI's),
  ``POST /v1/completions`` (one prompt or a list), ``GET /v1/models``;
- ``POST /v1/feedback``: a rating (-1/0/1), correction and comment for a response id;
- ``GET /healthz`` (liveness, no key), ``GET /metrics`` (Prometheus, no key);
- ``GET /admin/rollout``, ``POST /admin/kill-switch``, ``POST /admin/canary`` (admin key).

A request names the served model (``settings.model_name``, by default the champion's registered name):
the router then picks champion or challenger (canary share, sticky per ``user``, kill switch). Naming
``<model>@champion`` or ``<model>@challenger`` pins a variant (A/B evaluation, debugging).

Per request: API key check (constant-time), validation (4xx with an OpenAI-style error body), routing,
the response cache (greedy requests only), the variant's dynamic batcher (one worker thread per model,
so the event loop never runs the model), then the log store (latency, variant, version, token counts)
and Prometheus metrics.

Streaming sends the finished answer as a sequence of OpenAI chunks: generation is batched, so the first
chunk arrives when the whole answer is ready. The wire format is OpenAI's; token-by-token latency is not.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import random
import re
import socket
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from fastapi import Depends, FastAPI, Request
from jinja2.exceptions import TemplateError
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from finetune_platform.evaluation.generation import Answer
from finetune_platform.formats.templates import default_chat_prompt
from finetune_platform.serving.batching import DynamicBatcher, GenerationParams
from finetune_platform.serving.cache import ResponseCache
from finetune_platform.serving.metrics import NO_VARIANT, ServingMetrics
from finetune_platform.serving.routing import CHALLENGER, CHAMPION, VARIANTS, Router

#: Backends of deployed specialists are keyed by their registry alias: ``specialist-<name>``
#: (``finetune_platform.specialists.spec.ALIAS_PREFIX``, repeated so that serving imports no training code).
SPECIALIST_PREFIX = "specialist-"

if TYPE_CHECKING:
    from finetune_platform.monitoring.store import LogStore
    from finetune_platform.rag.index import Hit, IndexFollower
    from finetune_platform.specialists.router import RouterFollower
    from finetune_platform.serving.registry import ModelRegistry

logger = logging.getLogger(__name__)

CHAT_ENDPOINT = "chat.completions"
COMPLETIONS_ENDPOINT = "completions"
#: What a chat template raises when it refuses a conversation (jinja's raise_exception, and what
#: tokenizers raise on a malformed one).
_TEMPLATE_REFUSALS = (TemplateError, ValueError, TypeError, IndexError)
#: Most prompts one /v1/completions request may carry (a list prompt); bounds the memory one request takes.
MAX_PROMPTS_PER_REQUEST = 128


# ================================================================== settings


class ServerSettings(BaseModel):
    """How the model server runs. Field types stay within what Dagster config supports."""

    host: str = Field("127.0.0.1", description="Interface to bind; the default accepts local connections only.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port.")
    model_name: str | None = Field(
        None, description="Model id clients send (None: the champion's registered model name)."
    )
    api_key: str | None = Field(
        None, repr=False, min_length=8,
        description="When set, /v1 requests need 'Authorization: Bearer <key>'. Never logged.",
    )
    admin_api_key: str | None = Field(
        None, repr=False, min_length=8,
        description="Key for the /admin endpoints (kill switch, canary share). None: they answer 403 when api_key "
        "is set (a client's key never moves production traffic; the CLI and deployment_job work through the "
        "rollout state file), and are open when neither key is set (a loopback-only server).",
    )
    canary_share: float = Field(
        0.0, ge=0.0, le=1.0, description="Initial share of users routed to the challenger (state file wins)."
    )
    rollout_state_path: str | None = Field(
        None,
        description="JSON file holding canary share and kill switch, shared with the CLI and Dagster; the "
        "server re-reads it when it changes (None: in memory only).",
    )
    cache_enabled: bool = Field(True, description="Answer repeated greedy requests from the response cache.")
    cache_size: int = Field(1024, ge=0, le=1_000_000, description="Most cached answers (0 turns the cache off).")
    batch_window_ms: float = Field(
        50.0, ge=0.0, le=1000.0,
        description="The longest a batch waits for more requests after its first one (0: no waiting, only what "
        "is already queued).",
    )
    batch_idle_ms: float | None = Field(
        10.0, ge=0.0, le=1000.0,
        description="A batch closes sooner once no request has arrived for this long: a lone request waits this "
        "long, a burst fills the batch (None, or more than batch_window_ms: only the window bounds the wait).",
    )
    max_batch_size: int = Field(8, ge=1, le=256, description="Most prompts per model call (1: no batching).")
    max_prompt_chars: int = Field(8000, ge=1, le=1_000_000, description="Longest prompt (rendered chat) accepted.")
    max_tokens_limit: int = Field(512, ge=1, le=32_768, description="Largest max_tokens a request may ask for.")
    default_max_tokens: int = Field(64, ge=1, le=32_768, description="max_tokens when a request gives none.")
    default_temperature: float = Field(
        0.0, ge=0.0, le=2.0,
        description="temperature when a request gives none (OpenAI's is 1; 0 = greedy, cacheable, like evaluation).",
    )
    request_timeout_s: float = Field(120.0, gt=0.0, description="A request waiting longer for the model gets HTTP 504.")
    quantize: bool = Field(False, description="int8 dynamic quantization of Linear layers (CPU only).")
    knowledge_index_path: str | None = Field(
        None,
        description="Hybrid RAG: a knowledge index folder, or the index root whose CURRENT pointer the "
        "knowledge_index asset moves (followed without a restart). None: no retrieval.",
    )
    router_path: str | None = Field(
        None,
        description="Specialists: a domain router folder, or the router root whose CURRENT pointer the router "
        "asset moves (followed without a restart). Chat requests for the plain model id go to a loaded "
        "specialist when the router is confident, else to the generalist. None: no specialist routing.",
    )
    rag_top_k: int = Field(3, ge=1, le=20, description="Passages retrieved per chat request (hybrid RAG).")
    rag_max_context_chars: int = Field(
        1500, ge=100, le=100_000, description="Most characters of retrieved passages added to one chat request."
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field("info", description="uvicorn log level.")

    @model_validator(mode="after")
    def _consistent(self) -> "ServerSettings":
        if self.default_max_tokens > self.max_tokens_limit:
            raise ValueError(
                f"default_max_tokens ({self.default_max_tokens}) exceeds max_tokens_limit ({self.max_tokens_limit})"
            )
        if self.api_key is None and not _is_loopback(self.host):
            raise ValueError(
                f"host {self.host!r} accepts connections from other machines but no api_key is set; set api_key "
                "or bind 127.0.0.1"
            )
        return self


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ================================================================== backends


@runtime_checkable
class Backend(Protocol):
    """One loaded model version. ``generate`` is called from a single worker thread at a time."""

    name: str
    version: str

    def generate(self, prompts: list[str], max_new_tokens: int, temperature: float) -> list[str | Answer]:
        """One continuation per prompt (only the new text), in order; temperature 0 means greedy. An
        :class:`~finetune_platform.evaluation.generation.Answer` also says how many tokens were generated
        and whether the model ended the answer, which ``finish_reason`` and ``usage`` report; for a plain
        string the server counts the text's tokens and calls an answer of ``max_new_tokens`` cut off."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def chat_prompt(self, messages: list[dict[str, str]]) -> str:
        """The prompt text for a conversation (``role``/``content`` dicts), ready for the assistant's turn."""
        ...


class FakeBackend:
    """A deterministic stand-in model for tests and demos: no torch, answers in microseconds.

    The answer to a greedy request is ``"<name> v<version> says: <last 6 words of the prompt, reversed>"``;
    a sampled one (temperature > 0) appends a random number, so it differs between calls. ``delay_s`` per
    call plus ``per_prompt_delay_s`` per prompt imitate a model whose batch costs little more than one
    prompt. A prompt containing ``fail_marker`` makes the whole call raise (error paths).
    """

    def __init__(
        self,
        name: str = "fake-model",
        version: str = "1",
        delay_s: float = 0.0,
        per_prompt_delay_s: float = 0.0,
        fail_marker: str = "FAIL-NOW",
        seed: int = 0,
    ) -> None:
        self.name = name
        self.version = version
        self.delay_s = delay_s
        self.per_prompt_delay_s = per_prompt_delay_s
        self.fail_marker = fail_marker
        self.calls: list[list[str]] = []
        self._rng = random.Random(seed)

    def generate(self, prompts: list[str], max_new_tokens: int, temperature: float) -> list[str]:
        self.calls.append(list(prompts))
        if any(self.fail_marker in p for p in prompts):
            raise RuntimeError(f"fake model failure: a prompt contained {self.fail_marker!r}")
        time.sleep(self.delay_s + self.per_prompt_delay_s * len(prompts))
        answers = []
        for prompt in prompts:
            words = [f"{self.name}", f"v{self.version}", "says:", *reversed(prompt.split()[-6:])]
            if temperature > 0:
                words.append(str(self._rng.randint(0, 10**6)))
            answers.append(" ".join(words[:max_new_tokens]))
        return answers

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def chat_prompt(self, messages: list[dict[str, str]]) -> str:
        return default_chat_prompt(messages)


class RegistryBackend:
    """A registered model version (base model + adapter) loaded from the MLflow registry.

    Greedy requests go through ``evaluation.generation.generate``, the function evaluation scored the
    model with, so the server answers exactly what the evaluation measured. Sampled requests
    (temperature > 0) use ``model.generate(do_sample=True)`` with the same left padding.
    """

    def __init__(self, model: Any, tokenizer: Any, name: str, version: str, alias: str | None = None) -> None:
        import copy

        self.model = model
        self.tokenizer = tokenizer
        # Token counting runs on the event loop while the batcher thread encodes padded batches; transformers
        # toggles padding state on the shared tokenizer per call, so the two threads need separate tokenizers
        # (seen as intermittent 500s "Unable to create tensor" under concurrent load).
        self._counting_tokenizer = copy.deepcopy(tokenizer)
        # Token counts of recent texts: a cache hit counts the same prompt and answer again on every repeat
        # (~0.1 ms each, a fifth of a hit's time in the server). Bounded: at most _COUNT_MEMO_SIZE texts of at
        # most _COUNT_MEMO_CHARS characters each, forgotten all at once when full.
        self._token_counts: dict[str, int] = {}
        self.name = name
        self.version = str(version)
        self.alias = alias
        self.quantized = False

    @classmethod
    def from_registry(cls, registry: "ModelRegistry", alias: str, quantize: bool = False) -> "RegistryBackend":
        """Load the version ``alias`` (or a version number) points to; ``quantize`` applies int8 dynamic
        quantization to its Linear layers (CPU only)."""
        info = registry.resolve(alias)
        python_model = registry.load(info.version).unwrap_python_model()
        backend = cls(python_model.model, python_model.tokenizer, registry.model_name, str(info.version), alias)
        if quantize:
            backend.quantize()
        return backend

    def quantize(self) -> None:
        """Replace every ``torch.nn.Linear`` by an int8 dynamically quantized one (weights int8,
        activations quantized per batch). Smaller and usually faster on CPU; answers may change slightly.

        Uses ``torch.ao.quantization.quantize_dynamic``, which torch 2.13 marks as deprecated in favour of
        torchao (not installed); its deprecation warnings are silenced here, nothing else.
        """
        import torch
        from torch.ao.quantization import quantize_dynamic

        device = next(self.model.parameters()).device
        if device.type != "cpu":
            raise ValueError(
                f"quantize=True needs the model on the CPU, but it is on {device}; int8 dynamic quantization "
                "has no GPU kernels. Set quantize=False on a GPU machine."
            )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.ao\..*")
            warnings.filterwarnings("ignore", message=r".*(deprecated|torchao).*")
            self.model = quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        self.quantized = True

    def generate(self, prompts: list[str], max_new_tokens: int, temperature: float) -> list[str | Answer]:
        from finetune_platform.evaluation.generation import generate_answers

        if temperature == 0:
            return list(generate_answers(self.model, self.tokenizer, prompts, max_new_tokens=max_new_tokens,
                                         batch_size=max(len(prompts), 1)))
        return list(self._sample(prompts, max_new_tokens, temperature))

    def _sample(self, prompts: list[str], max_new_tokens: int, temperature: float) -> list[Answer]:
        import torch

        tokenizer = self.tokenizer
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        from finetune_platform.evaluation.generation import answers_of, encode_prompts, left_pad

        device = next(self.model.parameters()).device
        input_ids, attention_mask = left_pad(encode_prompts(tokenizer, prompts), pad_id, device)
        with torch.inference_mode():
            generated = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=max_new_tokens,
                do_sample=True,
                temperature=temperature,
                top_k=0,  # plain temperature sampling over the whole vocabulary, as OpenAI's API does
                top_p=1.0,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=pad_id,
            )
        return answers_of(tokenizer, generated[:, input_ids.shape[1] :].tolist())

    def count_tokens(self, text: str) -> int:
        n = self._token_counts.get(text)
        if n is None:
            n = len(self._counting_tokenizer(text, add_special_tokens=False)["input_ids"])
            if len(text) <= _COUNT_MEMO_CHARS:
                if len(self._token_counts) >= _COUNT_MEMO_SIZE:
                    self._token_counts.clear()
                self._token_counts[text] = n
        return n

    def chat_prompt(self, messages: list[dict[str, str]]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            from finetune_platform.formats.templates import render_chat_prompt

            return render_chat_prompt(self.tokenizer, messages)
        return default_chat_prompt(messages)


#: The token-count memo of a :class:`RegistryBackend`: texts remembered, and the longest one remembered.
_COUNT_MEMO_SIZE = 1024
_COUNT_MEMO_CHARS = 8192


def load_backends(
    registry: "ModelRegistry", quantize: bool = False, specialists: "Sequence[str]" = ()
) -> dict[str, Backend]:
    """Champion (required), challenger (when it is a different version) and the deployed ``specialists``
    (those whose ``specialist-<name>`` alias exists; the others fall back to the generalist) from the
    registry."""
    champion = registry.get_by_alias(CHAMPION)
    if champion is None:
        raise RuntimeError(
            f"model {registry.model_name!r} has no version with the alias '{CHAMPION}'; register and promote a "
            "model first (the deploy stage's registered_model asset does this)"
        )
    backends: dict[str, Backend] = {CHAMPION: RegistryBackend.from_registry(registry, CHAMPION, quantize)}
    challenger = registry.get_by_alias(CHALLENGER)
    if challenger is not None and challenger.version != champion.version:
        backends[CHALLENGER] = RegistryBackend.from_registry(registry, CHALLENGER, quantize)
    for name in specialists:
        alias = f"{SPECIALIST_PREFIX}{name}"
        if registry.get_by_alias(alias) is not None:
            backends[alias] = RegistryBackend.from_registry(registry, alias, quantize)
        else:
            logger.warning("specialist %s is not deployed (no %r alias): the generalist answers its domain", name, alias)
    return backends


# ================================================================== request and response bodies


class ApiError(Exception):
    """An error answered with an OpenAI-style body: ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # noqa: A002 - OpenAI's field name
        param: str | None = None,
        code: str | None = None,
        variant: str = NO_VARIANT,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.variant = variant

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def _encodable(value: Any) -> Any:
    """``value`` (a string, or strings in lists), refused when a string holds a lone UTF-16 surrogate
    (``"\\ud83d"`` is valid JSON, but no UTF-8 text: the tokenizer and the log store cannot take it)."""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as error:
                raise ValueError(
                    f"holds a lone UTF-16 surrogate at character {error.start} ({text[error.start]!r}), which is "
                    "not text: send the whole surrogate pair (or the character itself)"
                ) from None
    return value


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None

    _text_is_text = field_validator("text")(_encodable)


class ChatMessage(BaseModel):
    """One message; extra keys a client echoes back from an earlier answer (``refusal``, ...) are ignored."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[ContentPart]

    _content_is_text = field_validator("content")(_encodable)

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        unsupported = sorted({p.type for p in self.content if p.type != "text"})
        if unsupported:
            raise ApiError(
                400, f"message content parts of type {unsupported} are not supported; this model reads text only",
                param="messages", code="unsupported_content",
            )
        return "".join(p.text or "" for p in self.content)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_usage: bool = False


def _no_op(name: str, value: Any, default: Any, why: str) -> Any:
    """``value`` when it is None or ``default`` (a parameter a client sends with its default value, which
    changes nothing here); else a ValueError saying what the server cannot do."""
    if value is None:
        return value
    same = value is default if isinstance(value, bool) or isinstance(default, bool) else value == default
    if same:
        return value
    raise ValueError(f"{name}={value!r}: {why}; send {default!r} or omit it")


class _GenerationRequest(BaseModel):
    """Fields both completion endpoints share. Unknown fields are rejected (as OpenAI's API does), so a
    client never believes a parameter took effect when this server ignores it; parameters that OpenAI
    clients send with their default values (``top_p: 1``, ``presence_penalty: 0``, ...) are taken when they
    hold that value, which changes nothing, and refused with any other."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    n: int | None = Field(None, ge=1)
    stop: str | list[str] | None = None
    _stop_is_text = field_validator("stop")(_encodable)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(None, max_length=256)
    top_p: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    # Greedy answers (temperature 0, the default) are deterministic, which is what a seed asks for; a seed
    # with sampling is refused where the temperature is known (the handler: the server's default applies).
    seed: int | None = None

    @field_validator("top_p")
    @classmethod
    def _top_p(cls, value: float | None) -> float | None:
        return _no_op("top_p", value, 1, "nucleus sampling is not supported; temperature samples the whole vocabulary")

    @field_validator("presence_penalty", "frequency_penalty")
    @classmethod
    def _penalty(cls, value: float | None, info: ValidationInfo) -> float | None:
        return _no_op(str(info.field_name), value, 0, "repetition penalties are not supported")

    @field_validator("logit_bias")
    @classmethod
    def _logit_bias(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value:
            raise ValueError("logit_bias is not supported; send {} or omit it")
        return value

    @model_validator(mode="after")
    def _stream_options_need_a_stream(self) -> "_GenerationRequest":
        if self.stream_options is not None and not self.stream:
            raise ValueError("stream_options is only allowed when stream is true")
        return self

    @field_validator("n")
    @classmethod
    def _one_choice(cls, n: int | None) -> int | None:
        if n is not None and n != 1:
            raise ValueError(f"n={n}: this server returns one choice per prompt; send n=1 or omit it")
        return n

    @field_validator("stop")
    @classmethod
    def _stops(cls, stop: str | list[str] | None) -> list[str] | None:
        if stop is None:
            return None
        stops = [stop] if isinstance(stop, str) else stop
        if len(stops) > 4 or any(not s for s in stops):
            raise ValueError("stop takes up to 4 non-empty strings")
        return stops


class ChatCompletionRequest(_GenerationRequest):
    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: bool | None = None
    top_logprobs: int | None = None
    response_format: dict[str, Any] | None = None

    @field_validator("logprobs")
    @classmethod
    def _logprobs(cls, value: bool | None) -> bool | None:
        return _no_op("logprobs", value, False, "this server returns no log probabilities")

    @field_validator("top_logprobs")
    @classmethod
    def _top_logprobs(cls, value: int | None) -> int | None:
        return _no_op("top_logprobs", value, 0, "this server returns no log probabilities")

    @field_validator("response_format")
    @classmethod
    def _response_format(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and value != {"type": "text"}:
            raise ValueError(
                f"response_format {value!r} is not supported: this model answers in plain text; send "
                "{'type': 'text'} or omit it"
            )
        return value
    # An extension (OpenAI clients send it in extra_body): false answers without retrieved passages on a
    # server with a knowledge index; true requires one (400 without). None: the server's setting.
    rag: bool | None = None


class CompletionRequest(_GenerationRequest):
    prompt: str | list[str]
    logprobs: int | None = None
    echo: bool | None = None
    best_of: int | None = None

    @field_validator("logprobs")
    @classmethod
    def _logprobs(cls, value: int | None) -> int | None:
        if value is not None:
            raise ValueError(f"logprobs={value!r}: this server returns no log probabilities; omit it")
        return value

    @field_validator("echo")
    @classmethod
    def _echo(cls, value: bool | None) -> bool | None:
        return _no_op("echo", value, False, "the answer never repeats the prompt here")

    @field_validator("best_of")
    @classmethod
    def _best_of(cls, value: int | None) -> int | None:
        return _no_op("best_of", value, 1, "this server generates one answer per prompt")

    @field_validator("prompt")
    @classmethod
    def _some_prompt(cls, prompt: str | list[str]) -> str | list[str]:
        if isinstance(prompt, list) and not prompt:
            raise ValueError("prompt is an empty list; send a string or a list of strings")
        return _encodable(prompt)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response_id: str = Field(min_length=1, max_length=128, description="The id of the answer being rated.")
    choice_index: int | None = Field(
        None, ge=0, le=1_000,
        description="For a /v1/completions request with several prompts: the index of the choice rated.",
    )
    rating: Literal[-1, 0, 1] = Field(description="-1 thumbs down, 0 neutral, 1 thumbs up.")
    correction: str | None = Field(None, max_length=100_000, description="The answer the model should have given.")
    comment: str | None = Field(None, max_length=10_000, description="Free text.")


class KillSwitchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engaged: bool = True
    reason: str = Field("", max_length=500)


class CanaryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share: float = Field(ge=0.0, le=1.0)
    reason: str = Field("", max_length=500)


# ================================================================== the server core


@dataclass
class Completion:
    """The answers to one request, with what the log store and the response need."""

    id: str
    model: str
    variant: str
    backend: "Backend"
    texts: list[str]
    finish_reasons: list[str]
    prompt_tokens: list[int]
    completion_tokens: list[int]
    cached: list[bool]
    latency_ms: float
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def usage(self) -> dict[str, int]:
        prompt, completion = sum(self.prompt_tokens), sum(self.completion_tokens)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def response_ids(self) -> list[str]:
        """The log store id of each choice: the completion id, or ``<id>:<index>`` for a list of prompts."""
        if len(self.texts) == 1:
            return [self.id]
        return [f"{self.id}:{i}" for i in range(len(self.texts))]


def _apply_stop(text: str, stops: list[str] | None) -> tuple[str, bool]:
    """``text`` cut at the earliest stop sequence, and whether one was found."""
    if not stops:
        return text, False
    cuts = [i for i in (text.find(s) for s in stops) if i >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


def _stream_pieces(text: str) -> list[str]:
    """``text`` split into word-sized pieces (with their whitespace) that concatenate back to it."""
    return re.findall(r"\S+\s*|\s+", text)


class ModelServer:
    """Everything behind the HTTP layer: routing, cache, batchers, logging, metrics. Usable without HTTP."""

    def __init__(
        self,
        settings: ServerSettings,
        backends: dict[str, Backend],
        store: "LogStore | None" = None,
        metrics: ServingMetrics | None = None,
        knowledge: "IndexFollower | None" = None,
        domain_router: "RouterFollower | None" = None,
    ) -> None:
        if CHAMPION not in backends:
            raise ValueError(f"backends has no '{CHAMPION}' (keys: {sorted(backends)}); the champion is required")
        unknown = sorted(v for v in backends if v not in VARIANTS and not v.startswith(SPECIALIST_PREFIX))
        if unknown:
            raise ValueError(f"unknown variants {unknown} in backends; use {list(VARIANTS)} or '{SPECIALIST_PREFIX}<name>'")
        for variant, backend in backends.items():
            if not isinstance(backend, Backend):
                raise TypeError(
                    f"backend {variant!r} ({type(backend).__name__}) lacks the Backend protocol "
                    "(name, version, generate, count_tokens, chat_prompt)"
                )
        self.settings = settings
        self.backends = dict(backends)
        self.store = store
        # One writer at a time: SQLite takes one writer anyway, and an in-memory store ("sqlite://") shares
        # a single connection, which concurrent threads corrupt (sqlite3 SystemError, lost rows).
        self.store_lock = threading.Lock()
        self.metrics = metrics or ServingMetrics()
        self.model_name = settings.model_name or backends[CHAMPION].name
        self.router = Router(
            settings.canary_share,
            has_challenger=CHALLENGER in backends,
            challenger_version=backends[CHALLENGER].version if CHALLENGER in backends else None,
            state_path=settings.rollout_state_path,
        )
        self.cache = ResponseCache(settings.cache_size, settings.cache_enabled)
        self.domain_router = domain_router
        if self.domain_router is None and settings.router_path is not None:
            from finetune_platform.specialists.router import RouterFollower

            self.domain_router = RouterFollower(settings.router_path)
        self.knowledge = knowledge
        if self.knowledge is None and settings.knowledge_index_path is not None:
            from finetune_platform.rag.index import IndexFollower

            self.knowledge = IndexFollower(settings.knowledge_index_path)
        self.batchers = {
            variant: DynamicBatcher(
                self._batch_function(backend),
                max_batch_size=settings.max_batch_size,
                window_ms=settings.batch_window_ms,
                idle_ms=settings.batch_idle_ms,
                on_batch=self.metrics.batch_size.labels(variant=variant).observe,
                name=variant,
            )
            for variant, backend in backends.items()
        }
        self._sync_rollout_metrics()

    @staticmethod
    def _batch_function(backend: Backend):  # noqa: ANN205 - a BatchFunction
        def generate_batch(prompts: list[str], params: GenerationParams) -> list[str | Answer]:
            return backend.generate(prompts, params.max_new_tokens, params.temperature)

        return generate_batch

    def close(self) -> None:
        for batcher in self.batchers.values():
            batcher.close()

    def redacted_for_log(self, message: str, context: Sequence[str]) -> str:
        """``message`` (an error's text) as the log store would store it for a request of ``context`` (its
        prompts): PII redacted, also a value the prompt revealed and the message repeats. Without a store, the
        store's default redactor does it; a store made to keep text as is keeps it as is here too."""
        if self.store is not None:
            return self.store.redact_message(message, context)
        from finetune_platform.monitoring.store import redact_message

        return redact_message(message, context)

    def describe_failure(self, error: BaseException, context: Sequence[str]) -> str:
        """``error`` for the server's log: its traceback's code lines (file, line, function, source) and, for it and
        each exception it was raised from, the type and the message redacted (:meth:`redacted_for_log`): a
        backend's message may quote the prompt, and the log is not redacted later as the log store is."""
        return loggable_failure(error, lambda message: self.redacted_for_log(message, context))

    def _sync_rollout_metrics(self) -> None:
        state = self.router.state
        self.metrics.set_rollout(state.canary_share, state.kill_switch)

    # -- models and routing --------------------------------------------------------------------------

    def model_ids(self) -> list[str]:
        pinned = [v for v in VARIANTS if v in self.backends] + sorted(v for v in self.backends if v not in VARIANTS)
        return [self.model_name, *(f"{self.model_name}@{v}" for v in pinned)]

    def route_request(self, model: str, user: str | None, question: str) -> tuple[str, dict[str, Any] | None]:
        """The variant that answers a chat request, and (with a domain router) how it was chosen.

        The plain model id goes to a specialist when the router's top domain is that specialist with
        enough confidence, the specialist is loaded and the kill switch is off; otherwise to the
        generalist (champion or challenger, by the canary route). A pinned ``<model>@<variant>`` is
        answered by that variant (see :meth:`resolve`).
        """
        if model != self.model_name or self.domain_router is None:
            return self.resolve(model, user), None
        decision = self.domain_router.current().route(question)
        alias = f"{SPECIALIST_PREFIX}{decision.domain}"
        if decision.specialist is None:
            outcome = "generalist_domain" if decision.domain == "general" else "low_confidence"
        elif alias not in self.backends:
            outcome = "not_deployed"
        elif self.router.state.kill_switch:
            outcome = "kill_switch"
        else:
            outcome = "specialist"
        self.metrics.domain_routes.labels(domain=decision.domain, outcome=outcome).inc()
        variant = alias if outcome == "specialist" else self.resolve(model, user)
        return variant, {
            "domain": decision.domain,
            "confidence": decision.confidence,
            "variant": variant,
            "fallback": None if outcome == "specialist" else outcome,
        }

    def resolve(self, model: str, user: str | None) -> str:
        """The variant that answers: routed for the plain model id, pinned for ``<model>@<variant>``.

        The kill switch overrides a pin to the challenger too ("all traffic to the champion"); the
        response says which variant answered (``system_fingerprint``, ``x-model-variant``).
        """
        if model == self.model_name:
            variant = self.router.route(user).variant
            self._sync_rollout_metrics()
            return variant
        name, _, variant = model.rpartition("@")  # a model name may hold an "@"; a variant never does
        if name == self.model_name and variant in self.backends:
            if variant != CHAMPION and self.router.state.kill_switch:
                return CHAMPION
            return variant
        raise ApiError(
            404,
            f"the model {model!r} does not exist on this server; available: {self.model_ids()}",
            param="model",
            code="model_not_found",
        )

    # -- hybrid RAG ----------------------------------------------------------------------------------

    def retrieve(
        self, messages: list[dict[str, str]], rag: bool | None
    ) -> tuple[list[dict[str, str]], list["Hit"], str | None]:
        """The messages to answer, with retrieved passages added when this server has a knowledge index
        and the request does not opt out (``rag`` false); also the hits and the index fingerprint.

        The question is the last user turn (what the user is asking now).
        """
        if self.knowledge is None:
            if rag:
                raise ApiError(
                    400, "rag is true but this server has no knowledge index; start it with --rag (or set "
                    "knowledge_index_path), or leave rag out", param="rag", code="rag_unavailable",
                )
            return messages, [], None
        index = self.knowledge.current()
        if rag is False:
            return messages, [], index.fingerprint
        from finetune_platform.rag.index import augment_messages

        question = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        started = time.perf_counter()
        hits = index.search(question, self.settings.rag_top_k) if question.strip() else []
        self.metrics.retrieval_latency.observe(time.perf_counter() - started)
        self.metrics.retrievals.labels(outcome="passages" if hits else "no_passages").inc()
        return augment_messages(messages, hits, self.settings.rag_max_context_chars), hits, index.fingerprint

    def chat_prompt(
        self, variant: str, messages: list[dict[str, str]], answered: list[dict[str, str]], hits: list["Hit"]
    ) -> tuple[str, dict[str, str] | None]:
        """The prompt of a chat request through the answering model's own chat template: ``answered``
        (the client's ``messages`` with retrieved passages in the system message), else, when that
        template refuses a system message, the passages in the last user turn. Also, when passages were
        added, what the log store keeps of them: ``{"placement": "system" | "user", "context": block}``
        (``rag.index.context_block``; ``rag.index.insert_context`` puts it back where it was).

        A template refusing the client's own conversation (roles that do not alternate, a system message
        it does not support) is the request's fault: a 400 naming the reason. One that accepts the
        conversation but neither placement of the passages is the server's: a 500 that says so.
        """
        backend = self.backends[variant]

        def retrieved(placement: str) -> dict[str, str] | None:
            if not hits:
                return None
            from finetune_platform.rag.index import context_block

            return {"placement": placement, "context": context_block(hits, self.settings.rag_max_context_chars)}

        try:
            return backend.chat_prompt(answered), retrieved("system")
        except _TEMPLATE_REFUSALS as error:
            refusal = error
        if hits:
            from finetune_platform.rag.index import augment_messages

            in_user_turn = augment_messages(messages, hits, self.settings.rag_max_context_chars, placement="user")
            try:
                return backend.chat_prompt(in_user_turn), retrieved("user")
            except _TEMPLATE_REFUSALS:
                pass
            try:
                backend.chat_prompt(messages)
            except _TEMPLATE_REFUSALS as error:
                refusal = error
            else:
                raise ApiError(
                    500,
                    f"the {variant} model's chat template accepts this conversation but not with the retrieved "
                    f"passages, in the system message or the user turn ({type(refusal).__name__}: {refusal}); "
                    "send rag: false, or serve a model whose template takes a system message",
                    type="server_error",
                    code="rag_context_unsupported",
                    variant=variant,
                ) from refusal
        raise ApiError(
            400,
            f"the model's chat template refuses this conversation ({type(refusal).__name__}: {refusal}); "
            "alternate user and assistant turns, starting with the user",
            param="messages",
            code="unsupported_conversation",
        ) from refusal

    # -- completions ---------------------------------------------------------------------------------

    def check_prompt(self, prompt: str, param: str, added_chars: int = 0) -> None:
        """Refuse a prompt over ``max_prompt_chars``; ``added_chars`` the server added itself (retrieved
        passages, at most ``rag_max_context_chars``) do not count against the client."""
        if len(prompt) - added_chars > self.settings.max_prompt_chars:
            raise ApiError(
                400,
                f"the prompt is {len(prompt) - added_chars} characters long; this server accepts at most "
                f"{self.settings.max_prompt_chars} (max_prompt_chars). Shorten the {param}.",
                param=param,
                code="prompt_too_long",
            )

    def generation_params(self, max_tokens: int | None, temperature: float | None) -> GenerationParams:
        limit = self.settings.max_tokens_limit
        tokens = self.settings.default_max_tokens if max_tokens is None else max_tokens
        if tokens > limit:
            raise ApiError(
                400, f"max_tokens is {tokens}; this server allows at most {limit} (max_tokens_limit)",
                param="max_tokens", code="max_tokens_too_large",
            )
        temp = self.settings.default_temperature if temperature is None else temperature
        return GenerationParams(max_new_tokens=tokens, temperature=float(temp))

    async def complete(
        self,
        prompts: list[str],
        *,
        variant: str,
        params: GenerationParams,
        stops: list[str] | None,
        model: str,
        id_prefix: str,
    ) -> Completion:
        """Answer ``prompts`` with ``variant``: from the cache where possible, else through its batcher."""
        backend = self.backends[variant]
        started = time.perf_counter()
        texts: list[str | None] = [None] * len(prompts)
        keys = [
            self.cache.key(
                variant=variant, model_name=backend.name, model_version=backend.version, prompt=p,
                max_new_tokens=params.max_new_tokens, temperature=params.temperature,
            )
            for p in prompts
        ]
        for i, key in enumerate(keys):
            if key is not None:
                texts[i] = self.cache.get(key)
                counter = self.metrics.cache_hits if texts[i] is not None else self.metrics.cache_misses
                counter.labels(variant=variant).inc()
        cached = [t is not None for t in texts]
        pending = {i: self.batchers[variant].submit(prompts[i], params) for i, t in enumerate(texts) if t is None}
        if pending:
            try:
                results = await asyncio.wait_for(
                    asyncio.gather(*(asyncio.wrap_future(f) for f in pending.values())),
                    timeout=self.settings.request_timeout_s,
                )
            except TimeoutError as error:
                for future in pending.values():
                    future.cancel()
                raise ApiError(
                    504, f"the model did not answer within {self.settings.request_timeout_s:g} s "
                    "(request_timeout_s); the server is overloaded or the request too long",
                    type="server_error", code="timeout", variant=variant,
                ) from error
            for (i, _), text in zip(pending.items(), results, strict=True):
                texts[i] = text
                self.cache.put(keys[i], text)
        latency_ms = (time.perf_counter() - started) * 1000.0
        final, reasons, completion_tokens = [], [], []
        for answer in texts:
            assert answer is not None
            text = answer.text if isinstance(answer, Answer) else answer
            cut, stopped = _apply_stop(text, stops)
            if stopped or not isinstance(answer, Answer):  # what the client gets, counted
                n_tokens = backend.count_tokens(cut)
                cut_off = not stopped and n_tokens >= params.max_new_tokens
            else:  # what the model generated: a text tokenised again may count otherwise
                n_tokens = answer.tokens
                cut_off = not answer.ended and n_tokens >= params.max_new_tokens
            final.append(cut)
            completion_tokens.append(n_tokens)
            reasons.append("length" if cut_off else "stop")
        return Completion(
            id=f"{id_prefix}-{uuid.uuid4().hex}",
            model=model,
            variant=variant,
            backend=backend,
            texts=final,
            finish_reasons=reasons,
            prompt_tokens=[backend.count_tokens(p) for p in prompts],
            completion_tokens=completion_tokens,
            cached=cached,
            latency_ms=latency_ms,
        )

    # -- the log store -------------------------------------------------------------------------------

    async def log_completion(
        self,
        completion: Completion,
        prompts: list[str],
        user: str | None,
        latency_ms: float | None = None,
        conversation: list[dict[str, str]] | None = None,
        rag_context: dict[str, str] | None = None,
        pinned: bool = False,
    ) -> None:
        """One store row per choice, with ``latency_ms`` (default: the generation's), a chat request's
        ``conversation`` (its messages as the client sent them, before retrieval added passages), the
        retrieved passages' ``rag_context`` (see :meth:`ModelServer.chat_prompt`) and whether the client
        ``pinned`` the variant (``<model>@challenger``; the rollout gates leave such requests out). A store
        failure is logged and counted but does not fail the answer the user already has: serving stays up
        while the store is down (see ``llm_request_errors``)."""
        if self.store is None:
            return
        latency_ms = completion.latency_ms if latency_ms is None else latency_ms
        rows = [
            dict(
                response_id=rid, prompt=prompt, response=text, model_name=completion.backend.name,
                model_version=completion.backend.version, variant=completion.variant, user_id=user,
                latency_ms=latency_ms, prompt_tokens=pt, completion_tokens=ct, status_code=200,
                messages=conversation, rag_context=rag_context, pinned=pinned,
            )
            for rid, prompt, text, pt, ct in zip(
                completion.response_ids(), prompts, completion.texts, completion.prompt_tokens,
                completion.completion_tokens, strict=True,
            )
        ]
        await self._write_rows(rows, completion.variant)

    async def log_failure(
        self,
        prompts: list[str],
        variant: str,
        user: str | None,
        error: ApiError,
        latency_ms: float,
        conversation: list[dict[str, str]] | None = None,
        rag_context: dict[str, str] | None = None,
        pinned: bool = False,
    ) -> None:
        """A server-side failure (5xx) of a request: it counts against the variant's error rate (in the
        rollout gates, unless the client ``pinned`` the variant)."""
        if self.store is None:
            return
        backend = self.backends[variant]
        rows = [
            dict(
                prompt=prompt, response="", model_name=backend.name, model_version=backend.version,
                variant=variant, user_id=user, latency_ms=latency_ms, prompt_tokens=0, completion_tokens=0,
                status_code=error.status, error=error.message, messages=conversation,  # the store redacts, then cuts
                rag_context=rag_context, pinned=pinned,
            )
            for prompt in prompts
        ]
        await self._write_rows(rows, variant)

    async def _write_rows(self, rows: list[dict[str, Any]], variant: str) -> None:
        store = self.store
        assert store is not None

        def write() -> None:
            with self.store_lock:
                for row in rows:
                    store.log_request(**row)

        try:
            await run_in_threadpool(write)
        except Exception:  # noqa: BLE001 - logged with traceback and counted; the answer still goes out
            logger.exception("could not write %d request rows to the log store %r", len(rows), store)
            self.metrics.errors.labels(endpoint="log_store", variant=variant, error_type="log_store_error").inc()


def loggable_failure(error: BaseException, redact: Callable[[str], str]) -> str:
    """``error`` as a traceback for a log line, with each message through ``redact``: the chain it was raised
    from (``__cause__``, or ``__context__`` unless suppressed), oldest first as Python prints it, each part
    the code lines of its frames (``traceback.format_tb``: file, line, function and the source line, never
    data) and ``Type: <redacted message>``."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = []
    for exc in reversed(chain):
        message = str(exc)
        frames = "".join(traceback.format_tb(exc.__traceback__)) if exc.__traceback__ is not None else ""
        head = "Traceback (most recent call last):\n" if frames else ""
        parts.append(f"{head}{frames}{type(exc).__qualname__}" + (f": {redact(message)}" if message else ""))
    return "\n\nThe above exception led to the following:\n\n".join(parts)


# ================================================================== HTTP layer


def _error_response(error: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _validation_message(errors: list[dict[str, Any]], accepted: list[str] | None) -> tuple[str, str | None]:
    """A readable sentence for pydantic's errors, and the ``param`` of the first one."""
    messages, param = [], None
    for error in errors[:5]:
        loc = [str(p) for p in error.get("loc", ()) if p != "body"]
        kind = error.get("type", "")
        where = ".".join(loc)
        if kind != "json_invalid":  # its loc is a character position, not a parameter
            param = param or (where or None)
        if kind == "json_invalid":
            messages.append(
                f"the request body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')}); "
                "send a JSON object"
            )
        elif kind == "missing" and not loc:
            messages.append("the request body is missing; send a JSON object")
        elif kind == "extra_forbidden":
            hint = f"; accepted fields: {', '.join(accepted)}" if accepted else ""
            messages.append(f"unsupported or unknown parameter '{where}'{hint}")
        elif kind == "missing":
            messages.append(f"'{where}' is required")
        else:
            got = "" if isinstance(error.get("input"), dict) else f" (got {_short(error.get('input'))})"
            messages.append(f"{where or 'body'}: {error.get('msg', 'invalid value')}{got}")
    if len(errors) > 5:
        messages.append(f"and {len(errors) - 5} more problems")
    return "; ".join(messages), param


def _accepted_fields(path: str) -> list[str] | None:
    models = {
        "/v1/chat/completions": ChatCompletionRequest,
        "/v1/completions": CompletionRequest,
        "/v1/feedback": FeedbackRequest,
        "/admin/kill-switch": KillSwitchRequest,
        "/admin/canary": CanaryRequest,
    }
    model = models.get(path)
    return sorted(model.model_fields) if model else None


def _endpoint_of(request: Request) -> str:
    """The ``endpoint`` label of a request's metrics: the route's template (``/v1/models/{model_id}``), never
    the path a client sent, so that no client can add label values (Prometheus series) at will; a path that
    matched no route is ``other``."""
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return "other"
    return {"/v1/chat/completions": CHAT_ENDPOINT, "/v1/completions": COMPLETIONS_ENDPOINT}.get(template, template)


def _sse(payload: dict[str, Any] | str) -> str:
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return f"data: {data}\n\n"


def _router_summary(server: ModelServer) -> dict[str, Any] | None:
    """What /healthz shows of the domain router (None: no specialist routing)."""
    if server.domain_router is None:
        return None
    current = server.domain_router.current()
    return {
        "fingerprint": current.fingerprint[:16],
        "specialists": {name: f"{SPECIALIST_PREFIX}{name}" in server.backends for name in current.specialists},
        "min_confidence": current.min_confidence,
    }


def _knowledge_summary(server: ModelServer) -> dict[str, Any] | None:
    """What /healthz shows of the knowledge index in use (None: no hybrid RAG)."""
    if server.knowledge is None:
        return None
    index = server.knowledge.current()
    return {
        "fingerprint": index.fingerprint[:16],
        "passages": len(index),
        "folder": server.knowledge.path.name,  # not the full path: /healthz needs no key
        "follows_current": server.knowledge.follows_pointer,
    }


def _key_checker(expected: str | None, what: str):  # noqa: ANN202 - a FastAPI dependency
    """A dependency that requires ``Authorization: Bearer <expected>`` (no check when ``expected`` is None).

    ``hmac.compare_digest`` takes the same time wherever the first differing byte is, so response times
    reveal nothing about the key. Neither the expected nor the sent key is ever logged or echoed.
    """
    expected_bytes = expected.encode() if expected is not None else None

    async def check(request: Request) -> None:
        if expected_bytes is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, sent = header.partition(" ")
        if scheme.lower() != "bearer" or not sent.strip():
            raise ApiError(
                401, f"missing {what}: send the header 'Authorization: Bearer <key>'",
                type="invalid_request_error", code="invalid_api_key",
            )
        if not hmac.compare_digest(sent.strip().encode(), expected_bytes):
            raise ApiError(401, f"incorrect {what} provided", type="invalid_request_error", code="invalid_api_key")

    return check


async def _admin_disabled() -> None:
    raise ApiError(
        403, "the /admin endpoints are off: this server has an API key for clients but no admin_api_key (set "
        "FINETUNE_PLATFORM_ADMIN_API_KEY for `finetune-platform serve`); `finetune-platform kill-switch` and "
        "`canary` work without one, through the rollout state file",
        type="permission_error", code="admin_disabled",
    )


def create_app(
    config: ServerSettings,
    backends: dict[str, Backend],
    store: "LogStore | None" = None,
    knowledge: "IndexFollower | None" = None,
    domain_router: "RouterFollower | None" = None,
) -> FastAPI:
    """The FastAPI app serving ``backends`` (``champion`` required, ``challenger`` optional).

    ``app.state.server`` is the :class:`ModelServer` (router, cache, batchers, metrics); its batcher
    threads stop when the app shuts down (or on ``app.state.server.close()``).
    """
    server = ModelServer(config, backends, store, knowledge=knowledge, domain_router=domain_router)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state = server.router.state
        logger.info(
            "serving %s: %s; canary share %.3f, kill switch %s",
            server.model_name,
            ", ".join(f"{v}=v{b.version}" for v, b in server.backends.items()),
            state.canary_share,
            state.kill_switch,
        )
        loaded = server.backends.get(CHALLENGER)
        if loaded is not None and state.challenger_version not in (None, str(loaded.version)):
            logger.warning(
                "the canary share belongs to challenger version %s, not the loaded version %s: this server sends "
                "the challenger no one until a rollout or share of its own (finetune-platform rollout start)",
                state.challenger_version, loaded.version,
            )
        knowledge = _knowledge_summary(server)
        if knowledge is not None:
            logger.info(
                "hybrid RAG: knowledge index %s, %d passages, from %s",
                knowledge["fingerprint"], knowledge["passages"], server.knowledge.path,  # the log may show the path
            )
        try:
            yield
        finally:
            server.close()

    app = FastAPI(title="finetune-platform model server", version="1", lifespan=lifespan)
    app.state.server = server
    require_key = Depends(_key_checker(config.api_key, "API key"))
    if config.admin_api_key is None and config.api_key is not None:
        require_admin = Depends(_admin_disabled)
    else:
        require_admin = Depends(_key_checker(config.admin_api_key, "admin API key"))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        endpoint = _endpoint_of(request)
        server.metrics.observe_error(endpoint, error.variant, error.status, error.code or error.type)
        return _error_response(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(list(error.errors()), _accepted_fields(request.url.path))
        api = ApiError(400, message, param=param, code="invalid_request")
        server.metrics.observe_error(_endpoint_of(request), NO_VARIANT, 400, "invalid_request")
        return _error_response(api)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = f"{request.method} {request.url.path}: {error.detail}"
        if error.status_code == 404:
            message = f"no endpoint {request.url.path}; this server serves /v1/chat/completions, /v1/completions, " \
                      "/v1/models, /v1/feedback, /healthz, /metrics"
        return _error_response(ApiError(error.status_code, message, code=str(error.status_code)))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Starlette logs the traceback; the client gets an OpenAI-style body and the server stays up.
        server.metrics.observe_error(_endpoint_of(request), NO_VARIANT, 500, "internal_error")
        return _error_response(ApiError(500, f"internal server error ({type(error).__name__}); see the server log",
                                        type="server_error", code="internal_error"))

    # -- the two completion endpoints ----------------------------------------------------------------

    async def run_completion(
        endpoint: str,
        body: _GenerationRequest,
        variant: str,
        prompts: list[str],
        id_prefix: str,
        param: str,
        logged: list[str] | None = None,
        received: float | None = None,
        conversation: list[dict[str, str]] | None = None,
        rag_context: dict[str, str] | None = None,
        added_chars: int = 0,
    ) -> Completion:
        """Generate for ``prompts`` (``added_chars`` of each, the retrieved passages the server put in, do not
        count against ``max_prompt_chars``); ``logged`` is what the log store keeps as each prompt (the user's own
        text for chat requests, not the model's rendered template), defaulting to the prompts;
        ``conversation`` is a chat request's messages as the client sent them, logged beside it with the
        passages retrieval added (``rag_context``)."""
        logged = logged or prompts
        for prompt in prompts:
            server.check_prompt(prompt, param, added_chars)
        max_tokens = getattr(body, "max_completion_tokens", None) or body.max_tokens
        params = server.generation_params(max_tokens, body.temperature)
        if body.seed is not None and params.temperature > 0:
            raise ApiError(
                400, f"seed={body.seed}: sampled answers (temperature {params.temperature:g}) cannot be made "
                "reproducible here, as requests are batched together; send temperature 0 (deterministic) or omit seed",
                param="seed", code="unsupported_parameter",
            )
        # Latency counts from receiving the request (routing and retrieval included, when the handler did
        # them first), in the histogram and in the log store alike: the rollout and A/B latency gates read
        # the store.
        started = received if received is not None else time.perf_counter()
        pinned = body.model != server.model_name  # "<model>@<variant>": the client chose, no router did
        try:
            completion = await server.complete(
                prompts, variant=variant, params=params, stops=body.stop, model=body.model, id_prefix=id_prefix
            )
        except ApiError as error:
            await server.log_failure(
                logged, variant, body.user, error, (time.perf_counter() - started) * 1000, conversation, rag_context,
                pinned,
            )
            raise
        except Exception as error:  # noqa: BLE001 - turned into a 500 for this request; the server stays up
            # not logger.exception: the traceback's text would quote the message raw
            logger.error("generation failed (%s, %s): %s", endpoint, variant,
                         server.describe_failure(error, [*prompts, *logged]))
            api = ApiError(
                500, f"the model failed to generate an answer ({type(error).__name__}: {error})",
                type="server_error", code="generation_failed", variant=variant,
            )
            await server.log_failure(
                logged, variant, body.user, api, (time.perf_counter() - started) * 1000, conversation, rag_context,
                pinned,
            )
            raise api from error
        elapsed = time.perf_counter() - started
        await server.log_completion(
            completion, logged, body.user, latency_ms=elapsed * 1000.0, conversation=conversation,
            rag_context=rag_context, pinned=pinned,
        )
        server.metrics.observe_request(endpoint, variant, 200, elapsed)
        server.metrics.observe_tokens(variant, sum(completion.prompt_tokens), sum(completion.completion_tokens))
        return completion

    def headers_of(completion: Completion) -> dict[str, str]:
        return {
            "x-request-id": completion.id,
            "x-model-variant": completion.variant,
            "x-model-version": completion.backend.version,
            "x-cache": "hit" if all(completion.cached) else "miss",
        }

    def fingerprint(completion: Completion) -> str:
        return f"{completion.variant}-v{completion.backend.version}"

    @app.post("/v1/chat/completions", dependencies=[require_key])
    async def chat_completions(body: ChatCompletionRequest) -> Response:
        received = time.perf_counter()
        # OpenAI's "developer" role is the system prompt under a newer name: training reads it as system
        # (formats.conversations), so the model sees it as one here too
        messages = [{"role": "system" if m.role == "developer" else m.role, "content": m.text()} for m in body.messages]
        question = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        # the rendered prompt holds every turn's text and more: a conversation already too long is refused
        # before routing and retrieval spend CPU on it
        server.check_prompt("".join(m["content"] for m in messages), "messages")
        # Routing (a scikit-learn transform) and retrieval (BM25 over every passage) are CPU work that grows
        # with the router and the index: off the event loop, so other requests keep flowing meanwhile.
        if server.domain_router is not None:
            variant, routing = await run_in_threadpool(server.route_request, body.model, body.user, question)
        else:
            variant, routing = server.route_request(body.model, body.user, question)
        if server.knowledge is not None:
            answered, hits, index_fingerprint = await run_in_threadpool(server.retrieve, messages, body.rag)
        else:
            answered, hits, index_fingerprint = server.retrieve(messages, body.rag)
        prompt, rag_context = server.chat_prompt(variant, messages, answered, hits)
        # the log keeps what the user wrote (user turns, as ingest maps chat transcripts), not the template
        user_text = "\n".join(m["content"] for m in messages if m["role"] == "user") or prompt
        added = len(prompt) - len(server.chat_prompt(variant, messages, messages, [])[0]) if rag_context else 0
        try:
            completion = await run_completion(
                CHAT_ENDPOINT, body, variant, [prompt], "chatcmpl", "messages", logged=[user_text], received=received,
                conversation=messages, rag_context=rag_context, added_chars=added,
            )
        except ApiError as error:
            if routing is None or not variant.startswith(SPECIALIST_PREFIX) or error.status < 500:
                raise
            # The router chose a specialist and it failed (logged against it, counted in its errors): the
            # generalist answers, as it does for a domain without a deployed specialist.
            logger.warning("specialist %s failed (%s); the generalist answers", variant,
                           server.redacted_for_log(error.message, [user_text, prompt]))
            server.metrics.observe_error(CHAT_ENDPOINT, variant, error.status, error.code or error.type)
            variant = server.resolve(body.model, body.user)
            routing = {**routing, "variant": variant, "fallback": "specialist_error"}
            prompt, rag_context = server.chat_prompt(variant, messages, answered, hits)
            added = len(prompt) - len(server.chat_prompt(variant, messages, messages, [])[0]) if rag_context else 0
            completion = await run_completion(
                CHAT_ENDPOINT, body, variant, [prompt], "chatcmpl", "messages", logged=[user_text],
                received=received, conversation=messages, rag_context=rag_context, added_chars=added,
            )
        text, reason = completion.texts[0], completion.finish_reasons[0]
        headers = headers_of(completion)
        retrieval: dict[str, Any] = {}
        if routing is not None:
            retrieval["routing"] = routing
            headers["x-route-domain"] = routing["domain"]
        if index_fingerprint is not None:
            headers["x-knowledge-index"] = index_fingerprint[:16]
            headers["x-rag-passages"] = str(len(hits))
            if body.rag is not False:
                retrieval["retrieval"] = {"index": index_fingerprint[:16], "passages": [h.summary() for h in hits]}
        if body.stream:
            return StreamingResponse(
                _chat_stream(completion, text, reason, body), media_type="text/event-stream", headers=headers,
            )
        return JSONResponse(
            {
                **retrieval,
                "id": completion.id,
                "object": "chat.completion",
                "created": completion.created,
                "model": completion.model,
                "system_fingerprint": fingerprint(completion),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": reason,
                        "logprobs": None,
                    }
                ],
                "usage": completion.usage,
            },
            headers=headers,
        )

    def _chat_stream(completion: Completion, text: str, reason: str, body: ChatCompletionRequest) -> Iterator[str]:
        base = {
            "id": completion.id,
            "object": "chat.completion.chunk",
            "created": completion.created,
            "model": completion.model,
            "system_fingerprint": fingerprint(completion),
        }
        yield _sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
        for piece in _stream_pieces(text):
            yield _sse({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        yield _sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
        if body.stream_options is not None and body.stream_options.include_usage:
            yield _sse({**base, "choices": [], "usage": completion.usage})
        yield _sse("[DONE]")

    @app.post("/v1/completions", dependencies=[require_key])
    async def completions(body: CompletionRequest) -> Response:
        received = time.perf_counter()
        prompts = [body.prompt] if isinstance(body.prompt, str) else list(body.prompt)
        if len(prompts) > MAX_PROMPTS_PER_REQUEST:
            raise ApiError(400, f"the request holds {len(prompts)} prompts; send at most {MAX_PROMPTS_PER_REQUEST} "
                           "per request", param="prompt", code="too_many_prompts")
        variant = server.resolve(body.model, body.user)
        completion = await run_completion(
            COMPLETIONS_ENDPOINT, body, variant, prompts, "cmpl", "prompt", received=received
        )
        if body.stream:
            return StreamingResponse(
                _completion_stream(completion, body), media_type="text/event-stream", headers=headers_of(completion)
            )
        return JSONResponse(
            {
                "id": completion.id,
                "object": "text_completion",
                "created": completion.created,
                "model": completion.model,
                "system_fingerprint": fingerprint(completion),
                "choices": [
                    {"index": i, "text": text, "finish_reason": reason, "logprobs": None}
                    for i, (text, reason) in enumerate(zip(completion.texts, completion.finish_reasons, strict=True))
                ],
                "usage": completion.usage,
            },
            headers=headers_of(completion),
        )

    def _completion_stream(completion: Completion, body: CompletionRequest) -> Iterator[str]:
        base = {
            "id": completion.id,
            "object": "text_completion",
            "created": completion.created,
            "model": completion.model,
            "system_fingerprint": fingerprint(completion),
        }
        for i, (text, reason) in enumerate(zip(completion.texts, completion.finish_reasons, strict=True)):
            for piece in _stream_pieces(text):
                yield _sse({**base, "choices": [{"index": i, "text": piece, "finish_reason": None, "logprobs": None}]})
            yield _sse({**base, "choices": [{"index": i, "text": "", "finish_reason": reason, "logprobs": None}]})
        if body.stream_options is not None and body.stream_options.include_usage:
            yield _sse({**base, "choices": [], "usage": completion.usage})
        yield _sse("[DONE]")

    # -- models, feedback, health, metrics -----------------------------------------------------------

    @app.get("/v1/models", dependencies=[require_key])
    async def list_models() -> dict[str, Any]:
        created = int(time.time())
        return {
            "object": "list",
            "data": [{"id": mid, "object": "model", "created": created, "owned_by": "finetune-platform"}
                     for mid in server.model_ids()],
        }

    @app.get("/v1/models/{model_id}", dependencies=[require_key])
    async def get_model(model_id: str) -> dict[str, Any]:
        if model_id not in server.model_ids():
            raise ApiError(404, f"the model {model_id!r} does not exist on this server; available: "
                           f"{server.model_ids()}", param="model", code="model_not_found")
        return {"id": model_id, "object": "model", "created": int(time.time()), "owned_by": "finetune-platform"}

    @app.post("/v1/feedback", dependencies=[require_key])
    async def feedback(body: FeedbackRequest) -> dict[str, Any]:
        if store is None:
            raise ApiError(503, "feedback is not recorded: this server runs without a log store",
                           type="server_error", code="no_log_store")
        # A completion of several prompts logs each choice as "<id>:<index>" (Completion.response_ids).
        index = body.choice_index
        candidates = [body.response_id] if index is None else [f"{body.response_id}:{index}"] + (
            [body.response_id] if index == 0 else []
        )

        def write() -> tuple[int, str]:
            with server.store_lock:
                for i, response_id in enumerate(candidates):
                    try:
                        return store.log_feedback(response_id, body.rating, body.correction, body.comment), response_id
                    except ValueError as error:
                        if "unknown response_id" not in str(error) or i == len(candidates) - 1:
                            raise
                raise AssertionError("unreachable")

        try:
            feedback_id, rated = await run_in_threadpool(write)
        except ValueError as error:
            if "unknown response_id" in str(error):
                several = index is None and await run_in_threadpool(store.has_response, f"{body.response_id}:0")
                hint = (
                    "; that completion answered several prompts: add 'choice_index' (the rated choice's 'index')"
                    if several
                    else "; send the 'id' of the completion you rate"
                )
                raise ApiError(404, f"no answer with id {body.response_id!r}"
                               + (f" and choice {index}" if index is not None else "") + f" was logged{hint}",
                               param="response_id", code="response_not_found") from error
            raise ApiError(400, str(error), code="invalid_feedback") from error
        return {"object": "feedback", "id": feedback_id, "response_id": rated, "rating": body.rating}

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        state = server.router.state
        return {
            "status": "ok",
            "model": server.model_name,
            "variants": {v: {"version": b.version} for v, b in server.backends.items()},
            "canary_share": state.canary_share,
            "kill_switch": state.kill_switch,
            # off the event loop: a CURRENT that just moved makes these load the new index or router
            "knowledge_index": await run_in_threadpool(_knowledge_summary, server) if server.knowledge else None,
            "router": await run_in_threadpool(_router_summary, server) if server.domain_router else None,
        }

    @app.get("/metrics")
    async def metrics() -> Response:
        server._sync_rollout_metrics()
        payload, content_type = server.metrics.render()
        return PlainTextResponse(payload, media_type=content_type)

    # -- admin ---------------------------------------------------------------------------------------

    @app.get("/admin/rollout", dependencies=[require_admin])
    async def rollout() -> dict[str, Any]:
        loaded = server.backends.get(CHALLENGER)
        return {
            **server.router.state.to_dict(),
            "has_challenger": loaded is not None,
            "loaded_challenger_version": loaded.version if loaded is not None else None,
        }

    @app.post("/admin/kill-switch", dependencies=[require_admin])
    async def kill_switch(body: KillSwitchRequest) -> dict[str, Any]:
        if body.engaged:
            state = server.router.engage_kill_switch(body.reason or "kill switch engaged through /admin/kill-switch")
        else:
            state = server.router.release_kill_switch(body.reason or "kill switch released through /admin/kill-switch")
        server._sync_rollout_metrics()
        return state.to_dict()

    @app.post("/admin/canary", dependencies=[require_admin])
    async def canary(body: CanaryRequest) -> dict[str, Any]:
        if body.share > 0 and CHALLENGER not in server.backends:
            raise ApiError(409, "no challenger is loaded, so no traffic can go to it; load one and restart",
                           param="share", code="no_challenger")
        loaded = server.backends.get(CHALLENGER)
        state = server.router.set_canary_share(body.share, body.reason, loaded.version if loaded is not None else None)
        server._sync_rollout_metrics()
        return state.to_dict()

    return app


# ================================================================== running it


def serve(
    settings: ServerSettings, registry: "ModelRegistry", store: "LogStore | None" = None, specialists: Sequence[str] = ()
) -> None:
    """Load champion, challenger and the deployed ``specialists`` from ``registry`` and serve them with
    uvicorn until interrupted."""
    import uvicorn

    import torch

    from finetune_platform.settings import torch_threads

    # One intra-op thread per request batch unless told otherwise: on small CPUs torch's default thread pool
    # contends with the server's own threads (measured ~60x slower per request on 2 shared cores).
    torch.set_num_threads(torch_threads() or 1)
    backends = load_backends(registry, quantize=settings.quantize, specialists=specialists)
    app = create_app(settings, backends, store)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level)


class BackgroundServer:
    """uvicorn serving ``app`` in a daemon thread on 127.0.0.1 and a free port (tests, demos, notebooks).

    The listening socket is bound here and handed to uvicorn, so there is no window in which another
    process could take the port. Use as a context manager; ``url`` is ``http://127.0.0.1:<port>``.
    """

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", startup_timeout_s: float = 30.0) -> None:
        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self.startup_timeout_s = startup_timeout_s

    def start(self) -> "BackgroundServer":
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the server thread exited during start-up on {self.url}; see the log above")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not start within {self.startup_timeout_s} s on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout_s)
        self._socket.close()
        if self._thread.is_alive():
            raise RuntimeError(f"the server on {self.url} did not stop within {timeout_s} s")

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

