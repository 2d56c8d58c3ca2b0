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
- ``on``: ``max_batch_size=16``, 16 concurrent clients, the server's default batch wait
  (``batch_window_ms`` 50, ``batch_idle_ms`` 10: a batch closes when full, when no request came for
  10 ms, or 50 ms after its first request);
- both: the same ``requests`` chat requests (demo-corpus tickets, each made unique), the same
  ``max_tokens``, temperature 0, response cache OFF (so this measures batching, not caching); one
  warm-up round per side that is not counted.

Requests per second = answered requests / wall time of the whole round. The two servers run one after
another (never at the same time) in this process; the clients are ``httpx.AsyncClient`` on this
process's event loop while uvicorn runs in a thread, so client and server share the GIL and the 2 cores:
the client overhead is included on both sides. Each client has its own connection (``bench._http``), so
the client's cost per request is the same at 1 and at 16 clients (a pool shared by 16 clients costs
more per request, and only on the concurrent side). With ``repeats`` > 1 the sides are interleaved and
the best round of each is kept (the machine is shared; the fastest round is the least disturbed one).

The helpers (the tiny model in ``bench._serving_model``, the concurrent HTTP client and latency
percentiles in ``bench._http``) are shared with ``serving_cache`` and ``serving_load``.

Why ``max_tokens`` 64 (the server's ``default_max_tokens``): a batch shares the decoding steps, whose cost
on this tiny model is mostly per-step overhead (one step for 16 prompts costs far less than 16 steps for
one), but not the prompt prefill, which is real compute per prompt token (the demo prompts are 40-100
tokens; ``greedy_decode`` prefills rows of similar length together, so short prompts are not padded to
the longest). Torch runs on one intra-op thread (see ``set_torch_threads``). Short answers therefore gain
less from batching than long ones: the ratio grows with ``max_tokens``, so the figure is reported for the
server's default answer length; ``--max-tokens`` shows others. The report also gives the model calls and
mean batch size: 16 clients on the same 2 cores come back over 10-40 ms after a batch, so a fixed short
window would split batches; ``--window-ms`` / ``--idle-ms`` show what other waits give.

Run: ``.venv/bin/python -m bench.serving_batching [--requests 128] [--clients 16] [--max-tokens 64]
[--repeats 2]``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from tabulate import tabulate

from bench._http import CHAT_PATH, MODEL_NAME, Request, chat_payload, latency_summary, send_requests, unique_prompts
from bench._serving_model import build_tiny_backend, demo_texts, quiet_server_logs, set_torch_threads
from finetune_platform.serving.routing import CHAMPION
from finetune_platform.serving.server import BackgroundServer, RegistryBackend, ServerSettings, create_app

#: The issue's goal: batching on / batching off throughput.
TARGET_RATIO = 4.0


# ================================================================== the benchmark


def _round(
    backend: RegistryBackend, prompts: list[str], max_tokens: int, clients: int, max_batch_size: int,
    window_ms: float | None, idle_ms: float | None, warmup: list[str],
) -> dict[str, Any]:
    """One side: a fresh server (cache off), an uncounted warm-up, then every prompt through ``clients``.
    ``window_ms`` / ``idle_ms`` None keep the server's defaults."""
    batching = {"batch_window_ms": window_ms, "batch_idle_ms": idle_ms}
    settings = ServerSettings(
        model_name=MODEL_NAME, cache_enabled=False, max_batch_size=max_batch_size,
        max_tokens_limit=max(max_tokens, 64), log_level="warning",
        **{name: value for name, value in batching.items() if value is not None},
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
        "batch_window_ms": settings.batch_window_ms,
        "batch_idle_ms": settings.batch_idle_ms,
    }


def run_benchmark(
    requests: int = 128, clients: int = 16, max_tokens: int = 64, hidden_size: int = 128, layers: int = 4,
    vocab_size: int = 1000, window_ms: float | None = None, idle_ms: float | None = None, repeats: int = 2,
    tickets: int = 400, torch_threads: int | None = None,
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
            rounds[side].append(
                _round(tiny.backend, prompts, max_tokens, n_clients, batch, window_ms, idle_ms, warmup)
            )
    best = {side: max(rs, key=lambda x: x["req_per_s"]) for side, rs in rounds.items()}
    ratio = best["on"]["req_per_s"] / best["off"]["req_per_s"]
    return {
        "model": tiny.describe(),
        "requests": requests,
        "clients": clients,
        "max_tokens": max_tokens,
        "window_ms": best["on"]["batch_window_ms"],
        "idle_ms": best["on"]["batch_idle_ms"],
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
        f"{result['repeats']} round(s), {result['torch_threads']} torch thread(s); batching on waits at most "
        f"{result['window_ms']:g} ms, or {result['idle_ms']} ms without a new request.",
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
    parser.add_argument("--window-ms", type=float, default=None,
                        help="longest batch wait when on (default: the server's batch_window_ms)")
    parser.add_argument("--idle-ms", type=float, default=None,
                        help="when on, a batch closes once no request came for this long (default: the server's "
                        "batch_idle_ms)")
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
        layers=args.layers, vocab_size=args.vocab, window_ms=args.window_ms, idle_ms=args.idle_ms,
        repeats=args.repeats, tickets=args.tickets, torch_threads=args.torch_threads,
    )
    print(format_report(result))
    return result


if __name__ == "__main__":
    main()
