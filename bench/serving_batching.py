"""Dynamic batching: requests per second with batching on (16 concurrent clients) vs one request at a time.

The question (issue): does dynamic batching give at least 4x the throughput of serving one request at a
time? Measured side by side in one run, over HTTP on 127.0.0.1, against the real server
(``create_app`` + ``BackgroundServer``) serving a real model:

- the model: the platform's own tiny Llama (``build_tiny_model``: byte-level BPE tokenizer trained on the
  demo corpus, hidden 128, 4 layers, about 1.2M parameters by default), built offline in a temporary
  folder, *untrained* (``pretrain_steps=0``) so that it practically never emits end-of-sequence and every
  request decodes exactly ``max_tokens`` tokens: both sides do the same work (the completion tokens are
  reported to show it). It is loaded with ``load_causal_lm`` and served by ``RegistryBackend``, so each
  batch goes through ``evaluation.generation.generate`` as in production;
- ``off``: ``max_batch_size=1``, one client sending the requests one after another;
- ``on``: ``max_batch_size=16`` (``batch_window_ms`` 10, the default), 16 concurrent clients;
- both: the same ``requests`` chat requests (demo-corpus tickets, each made unique), the same
  ``max_tokens``, temperature 0, response cache OFF (so this measures batching, not caching); one
  warm-up round per side that is not counted.

Requests per second = answered requests / wall time of the whole round. The two servers run one after
another (never at the same time) in this process; the clients are ``httpx.AsyncClient`` on this
process's event loop while uvicorn runs in a thread, so client and server share the GIL and the 2 cores:
the client overhead is the same on both sides and included in both. With ``repeats`` > 1 the sides are
interleaved and the best round of each is kept (the machine is shared; the fastest round is the least
disturbed one).

The helpers here (the tiny model, the concurrent HTTP client, latency percentiles) are shared with
``serving_cache`` and ``serving_load``.

Why ``max_tokens`` 64 (the server's ``default_max_tokens``): a batch shares the decoding steps, whose cost
on this tiny model is mostly per-step overhead (one step for 16 prompts costs far less than 16 steps for
one), but not the prompt prefill, which is real compute per prompt token (the demo prompts are 40-100
tokens). Torch runs on one intra-op thread (see :func:`set_torch_threads`). Short answers therefore gain less from batching than long ones: the ratio grows with
``max_tokens``, so the figure is reported for the server's default answer length; ``--max-tokens`` shows
others. The report also gives the model calls and mean batch size: at the default 10 ms window not every
batch fills (16 clients on the same 2 cores come back over more than 10 ms); ``--window-ms`` shows how
much of the ratio that costs.

Run: ``.venv/bin/python -m bench.serving_batching [--requests 128] [--clients 16] [--max-tokens 64]
[--repeats 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tabulate import tabulate

from finetune_platform.serving.routing import CHAMPION
from finetune_platform.serving.server import BackgroundServer, RegistryBackend, ServerSettings, create_app

#: The issue's goal: batching on / batching off throughput.
TARGET_RATIO = 4.0
#: The name the benchmark servers answer to.
MODEL_NAME = "tiny-bench"
CHAT_PATH = "/v1/chat/completions"


# ================================================================== shared helpers


def demo_texts(n_tickets: int = 400, seed: int = 0) -> list[str]:
    """Ticket texts of the platform's demo corpus (``generate_demo_corpus`` + ``ingest_sources``, in a
    temporary folder): the tokenizer's training corpus and the benchmark prompts."""
    from finetune_platform.ingest import ingest_sources
    from finetune_platform.ingest.demo_data import demo_sources, generate_demo_corpus

    with tempfile.TemporaryDirectory(prefix="bench_serving_corpus_") as tmp:
        generate_demo_corpus(Path(tmp), n_tickets=n_tickets, seed=seed)
        records = ingest_sources(demo_sources(), Path(tmp)).records
    texts = [t for t in records["text"].astype(str) if t.strip()]
    if not texts:
        raise RuntimeError(f"the demo corpus ({n_tickets} tickets, seed {seed}) gave no texts after ingest")
    return texts


@dataclass(frozen=True)
class TinyModel:
    """A tiny model loaded for serving, and what it is."""

    backend: RegistryBackend
    parameters: int
    hidden_size: int
    layers: int
    vocab_size: int
    seconds_to_build: float

    def describe(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters,
            "hidden_size": self.hidden_size,
            "layers": self.layers,
            "vocab_size": self.vocab_size,
            "seconds_to_build": round(self.seconds_to_build, 2),
        }


def build_tiny_backend(
    corpus: list[str], folder: Path, hidden_size: int = 128, layers: int = 4, vocab_size: int = 1000,
    pretrain_steps: int = 0,
) -> TinyModel:
    """Build the platform's tiny Llama in ``folder`` (offline, ``build_tiny_model``) and load it for serving.

    ``intermediate_size`` is 4 x ``hidden_size`` and heads are ``hidden_size // 32`` (at least 2), as in
    the platform's default recipe (128 -> 4 heads, 512).
    """
    from finetune_platform.evaluation.generation import load_causal_lm
    from finetune_platform.training.tiny_model import TinyModelSettings, build_tiny_model

    started = time.perf_counter()
    settings = TinyModelSettings(
        vocab_size=vocab_size, hidden_size=hidden_size, num_layers=layers, num_heads=max(2, hidden_size // 32),
        intermediate_size=4 * hidden_size, max_position_embeddings=512, pretrain_steps=pretrain_steps,
        seq_len=128, bf16=False,
    )
    built = build_tiny_model(corpus, settings, folder)
    model, tokenizer = load_causal_lm(built.path)
    backend = RegistryBackend(model, tokenizer, name=MODEL_NAME, version="1", alias=CHAMPION)
    return TinyModel(backend, built.n_params, hidden_size, layers, len(tokenizer), time.perf_counter() - started)


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


async def _drive(
    url: str, requests: Sequence[Request], concurrency: int, timeout_s: float, deadline_s: float | None
) -> list[Outcome | None]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    outcomes: list[Outcome | None] = [None] * len(requests)
    indices = iter(range(len(requests)))
    stop_at = None if deadline_s is None else time.monotonic() + deadline_s

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout_s) as client:

        async def worker() -> None:
            for i in indices:  # one shared iterator: each request is sent exactly once, by one worker
                if stop_at is not None and time.monotonic() > stop_at:
                    return
                req = requests[i]
                headers = {"content-type": "application/json"} if req.content is not None else None
                started = time.perf_counter()
                response = await client.request(req.method, req.path, json=req.json, content=req.content,
                                                headers=headers)
                latency_ms = (time.perf_counter() - started) * 1000.0
                try:
                    body = response.json()
                except ValueError:
                    body = None
                outcomes[i] = Outcome(response.status_code, latency_ms, response.headers.get("x-cache"), body)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes


def send_requests(
    url: str, requests: Sequence[Request], concurrency: int, timeout_s: float = 120.0,
    deadline_s: float | None = None,
) -> tuple[list[Outcome | None], float]:
    """Send ``requests`` with ``concurrency`` clients (each sends its next request when its answer is in);
    return one outcome per request, in order, and the wall time in seconds.

    Hand-written on ``httpx.AsyncClient`` (a closed-loop load generator is a dozen lines) rather than a load
    tool such as Locust, which would add a dependency and a process for what one event loop does. A request
    not sent because ``deadline_s`` passed has outcome None; a transport error (connection refused, timeout)
    is raised, not counted as a status.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    started = time.perf_counter()
    outcomes = asyncio.run(_drive(url, requests, concurrency, timeout_s, deadline_s))
    return outcomes, time.perf_counter() - started


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean / max in milliseconds (numpy's linear-interpolation percentiles)."""
    if not latencies_ms:
        raise ValueError("latency_summary needs at least one latency")
    values = np.asarray(latencies_ms, dtype=float)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50": round(float(p50), 3), "p95": round(float(p95), 3), "p99": round(float(p99), 3),
            "mean": round(float(values.mean()), 3), "max": round(float(values.max()), 3)}


def set_torch_threads(threads: int | None) -> int:
    """Set torch's intra-op threads for the model (None: ``FINETUNE_PLATFORM_TORCH_THREADS``, else 1);
    return the number set.

    One thread by default: on this shared 2-core machine torch's default (one thread per core) made the tiny
    model's generate about 60x slower whenever other processes were busy (threads spin-waiting for each
    other), which would measure the machine's load rather than the server.
    """
    import torch

    from finetune_platform.settings import torch_threads

    chosen = threads if threads is not None else (torch_threads() or 1)
    if chosen < 1:
        raise ValueError(f"torch threads must be at least 1, got {chosen}")
    torch.set_num_threads(chosen)
    return chosen


#: Loggers set to WARNING while a benchmark runs (per-request chatter); errors still show.
QUIET_LOGGERS: tuple[str, ...] = ("uvicorn", "uvicorn.error", "uvicorn.access", "finetune_platform.serving")


def quiet_server_logs() -> None:
    """Keep uvicorn's and the batcher's per-request chatter out of the benchmark report."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


# ================================================================== the benchmark


def _round(
    backend: RegistryBackend, prompts: list[str], max_tokens: int, clients: int, max_batch_size: int,
    window_ms: float, warmup: list[str],
) -> dict[str, Any]:
    """One side: a fresh server (cache off), an uncounted warm-up, then every prompt through ``clients``."""
    settings = ServerSettings(
        model_name=MODEL_NAME, cache_enabled=False, max_batch_size=max_batch_size, batch_window_ms=window_ms,
        max_tokens_limit=max(max_tokens, 64), log_level="warning",
    )
    app = create_app(settings, {CHAMPION: backend})
    batcher = app.state.server.batchers[CHAMPION]
    with BackgroundServer(app) as server:
        send_requests(server.url, [Request("POST", CHAT_PATH, chat_payload(p, max_tokens)) for p in warmup], clients)
        calls_before = len(batcher.batch_sizes)
        requests = [Request("POST", CHAT_PATH, chat_payload(p, max_tokens)) for p in prompts]
        outcomes, seconds = send_requests(server.url, requests, clients)
        batch_sizes = batcher.batch_sizes[calls_before:]
    statuses = Counter(o.status for o in outcomes if o is not None)
    ok = [o for o in outcomes if o is not None and o.status == 200]
    completion_tokens = sum(o.body["usage"]["completion_tokens"] for o in ok)
    return {
        "requests": len(requests),
        "ok": len(ok),
        "statuses": {str(s): n for s, n in sorted(statuses.items())},
        "cache_hits": sum(o.cache == "hit" for o in ok),
        "seconds": round(seconds, 3),
        "req_per_s": round(len(ok) / seconds, 2),
        "completion_tokens": completion_tokens,
        "tokens_per_s": round(completion_tokens / seconds, 1),
        "latency_ms": latency_summary([o.latency_ms for o in ok]),
        "model_calls": len(batch_sizes),
        "batched_prompts": sum(batch_sizes),
        "mean_batch_size": round(sum(batch_sizes) / len(batch_sizes), 2) if batch_sizes else 0.0,
        "max_batch_size_seen": max(batch_sizes, default=0),
        "batch_size_counts": {str(k): v for k, v in sorted(Counter(batch_sizes).items())},
        "clients": clients,
        "max_batch_size": max_batch_size,
    }


def run_benchmark(
    requests: int = 128, clients: int = 16, max_tokens: int = 64, hidden_size: int = 128, layers: int = 4,
    vocab_size: int = 1000, window_ms: float = 10.0, repeats: int = 2, tickets: int = 400,
    torch_threads: int | None = None,
) -> dict[str, Any]:
    """Build the model, run ``off`` and ``on`` (interleaved, ``repeats`` times), return the figures."""
    if requests < 1 or clients < 1 or repeats < 1:
        raise ValueError(f"requests ({requests}), clients ({clients}) and repeats ({repeats}) must be >= 1")
    quiet_server_logs()
    threads = set_torch_threads(torch_threads)
    texts = demo_texts(tickets)
    with tempfile.TemporaryDirectory(prefix="bench_serving_model_") as tmp:
        tiny = build_tiny_backend(texts, Path(tmp), hidden_size, layers, vocab_size)
    rounds: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for r in range(repeats):
        # Fresh prompts each round and side (same texts, same lengths): nothing can be reused between them.
        for side, batch, n_clients in (("off", 1, 1), ("on", clients, clients)):
            prompts = unique_prompts(texts, requests, f"r{r}")
            warmup = unique_prompts(texts[::-1], n_clients, f"warm-{side}-{r}")
            rounds[side].append(_round(tiny.backend, prompts, max_tokens, n_clients, batch, window_ms, warmup))
    best = {side: max(rs, key=lambda x: x["req_per_s"]) for side, rs in rounds.items()}
    ratio = best["on"]["req_per_s"] / best["off"]["req_per_s"]
    return {
        "model": tiny.describe(),
        "requests": requests,
        "clients": clients,
        "max_tokens": max_tokens,
        "window_ms": window_ms,
        "repeats": repeats,
        "torch_threads": threads,
        "off": best["off"],
        "on": best["on"],
        "rounds_req_per_s": {side: [x["req_per_s"] for x in rs] for side, rs in rounds.items()},
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "goal_met": ratio >= TARGET_RATIO,
    }


def format_report(result: dict[str, Any]) -> str:
    m = result["model"]
    rows = []
    for side, label in (("off", "off: batch 1, 1 client"), ("on", f"on: batch {result['clients']}, "
                                                                    f"{result['clients']} clients")):
        s = result[side]
        rows.append([label, s["ok"], s["seconds"], s["req_per_s"], s["tokens_per_s"], s["latency_ms"]["p50"],
                     s["latency_ms"]["p99"], s["model_calls"], s["mean_batch_size"]])
    table = tabulate(rows, headers=["batching", "ok", "s", "req/s", "tok/s", "p50 ms", "p99 ms", "model calls",
                                    "mean batch"], tablefmt="github")
    verdict = "MET" if result["goal_met"] else "NOT MET"
    return "\n".join([
        f"Dynamic batching, real tiny Llama ({m['parameters']:,} parameters, hidden {m['hidden_size']}, "
        f"{m['layers']} layers, vocab {m['vocab_size']}) over HTTP on 127.0.0.1; {result['requests']} chat "
        f"requests per side, max_tokens {result['max_tokens']}, temperature 0, cache off, best of "
        f"{result['repeats']} round(s), {result['torch_threads']} torch thread(s).",
        "",
        table,
        "",
        f"Throughput ratio, on / off: {result['ratio']:.2f}x",
        f"Goal (>= {result['target_ratio']:g}x): {verdict}",
    ])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.serving_batching", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=128, help="requests per side (default 128)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients and max batch size when on")
    parser.add_argument("--max-tokens", type=int, default=64,
                        help="max_tokens of every request (default 64, the server's default_max_tokens)")
    parser.add_argument("--hidden", type=int, default=128, help="model width (default 128)")
    parser.add_argument("--layers", type=int, default=4, help="transformer blocks (default 4)")
    parser.add_argument("--vocab", type=int, default=1000, help="BPE vocabulary size (default 1000)")
    parser.add_argument("--window-ms", type=float, default=10.0, help="batch window when on (default 10)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds per side, best kept (default 2)")
    parser.add_argument("--tickets", type=int, default=400, help="demo-corpus tickets for tokenizer and prompts")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch intra-op threads (default: FINETUNE_PLATFORM_TORCH_THREADS, else 1)")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its report and return its figures."""
    args = _parser().parse_args(argv)
    result = run_benchmark(
        requests=args.requests, clients=args.clients, max_tokens=args.max_tokens, hidden_size=args.hidden,
        layers=args.layers, vocab_size=args.vocab, window_ms=args.window_ms, repeats=args.repeats,
        tickets=args.tickets, torch_threads=args.torch_threads,
    )
    print(format_report(result))
    return result


if __name__ == "__main__":
    main()
