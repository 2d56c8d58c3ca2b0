"""The HTTP side of the serving benchmarks (``serving_batching``, ``serving_cache``, ``serving_load``).

One place for what the three benchmarks send and how they time it: the chat request they send, unique
prompts, a closed-loop concurrent load generator (:func:`send_requests`), a timed sequential client
(:class:`TimedClient`) and latency percentiles. The model side (demo corpus, tiny Llama, torch threads,
quiet logs) is in :mod:`bench._serving_model`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

#: The name the benchmark servers answer to.
MODEL_NAME = "tiny-bench"
CHAT_PATH = "/v1/chat/completions"


def chat_payload(text: str, max_tokens: int, model: str = MODEL_NAME) -> dict[str, Any]:
    """A greedy (temperature 0) chat completion request for ``text``."""
    return {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": max_tokens,
            "temperature": 0}


def unique_prompts(texts: Sequence[str], n: int, tag: str) -> list[str]:
    """``n`` distinct prompts: the texts cycled, each prefixed with ``tag`` and its index (no two equal,
    so a response cache could never answer one from another)."""
    return [f"[{tag}-{i}] {text}" for i, text in zip(range(n), itertools.cycle(texts))]


@dataclass(frozen=True)
class Outcome:
    """What one HTTP request got: status, client-side latency (first byte sent to body read), the
    response's ``x-cache`` header and its JSON body (None when not JSON)."""

    status: int
    latency_ms: float
    cache: str | None
    body: Any


@dataclass(frozen=True)
class Request:
    """One request to send: ``json`` (a payload) or ``content`` (raw bytes, for malformed bodies)."""

    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    kind: str = "valid"


def _outcome(response: httpx.Response, latency_ms: float) -> Outcome:
    try:
        body = response.json()
    except ValueError:
        body = None
    return Outcome(response.status_code, latency_ms, response.headers.get("x-cache"), body)


def _headers(request: Request) -> dict[str, str] | None:
    return {"content-type": "application/json"} if request.content is not None else None


async def _drive(
    url: str, requests: Sequence[Request], concurrency: int, timeout_s: float, deadline_s: float | None
) -> list[Outcome | None]:
    outcomes: list[Outcome | None] = [None] * len(requests)
    indices = iter(range(len(requests)))
    stop_at = None if deadline_s is None else time.monotonic() + deadline_s
    # One client (one keep-alive connection) per simulated user, not one pool shared by all of them:
    # httpcore's pool checks every pooled connection (a socket syscall each) on every request, so a shared
    # pool of 16 costs the client about 16x more per request than a pool of one. That cost grows with the
    # concurrency and would be charged to the concurrent side of a comparison only (measured: a fifth of
    # all CPU samples at 16 clients, none at 1).
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout_s) as client:
            for i in indices:  # one shared iterator: each request is sent exactly once, by one worker
                if stop_at is not None and time.monotonic() > stop_at:
                    return
                req = requests[i]
                started = time.perf_counter()
                response = await client.request(req.method, req.path, json=req.json, content=req.content,
                                                headers=_headers(req))
                outcomes[i] = _outcome(response, (time.perf_counter() - started) * 1000.0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes


def send_requests(
    url: str, requests: Sequence[Request], concurrency: int, timeout_s: float = 120.0,
    deadline_s: float | None = None,
) -> tuple[list[Outcome | None], float]:
    """Send ``requests`` with ``concurrency`` clients (each sends its next request when its answer is in);
    return one outcome per request, in order, and the wall time in seconds.

    Hand-written on ``httpx.AsyncClient`` (a closed-loop load generator is a dozen lines) rather than a load
    tool such as Locust, which would add a dependency and a process for what one event loop does. Each
    client has its own connection, so the client's cost per request does not depend on ``concurrency``.
    A request not sent because ``deadline_s`` passed has outcome None; a transport error (connection
    refused, timeout) is raised, not counted as a status.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    started = time.perf_counter()
    outcomes = asyncio.run(_drive(url, requests, concurrency, timeout_s, deadline_s))
    return outcomes, time.perf_counter() - started


class TimedClient:
    """A blocking keep-alive client that times each request (one request at a time, e.g. cache hits).

    Use as a context manager; :meth:`send` returns the :class:`Outcome` (latency from sending the request
    to having read the whole body) and the response itself (for headers the outcome does not keep).
    """

    def __init__(self, url: str, timeout_s: float = 120.0) -> None:
        self._client = httpx.Client(base_url=url, timeout=timeout_s)

    def send(self, request: Request) -> tuple[Outcome, httpx.Response]:
        started = time.perf_counter()
        response = self._client.request(request.method, request.path, json=request.json, content=request.content,
                                        headers=_headers(request))
        return _outcome(response, (time.perf_counter() - started) * 1000.0), response

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "TimedClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean / max in milliseconds (numpy's linear-interpolation percentiles)."""
    if not latencies_ms:
        raise ValueError("latency_summary needs at least one latency")
    values = np.asarray(latencies_ms, dtype=float)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50": round(float(p50), 3), "p95": round(float(p95), 3), "p99": round(float(p99), 3),
            "mean": round(float(values.mean()), 3), "max": round(float(values.max()), 3)}
