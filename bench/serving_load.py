"""Load: 2,000 requests at concurrency 32 on loopback, then the same with malformed requests mixed in.

The questions (issue): under load, does the server answer every valid request (zero 5xx), and what are
p50/p99? With ~20% malformed requests mixed in, do all of those get a 4xx while every valid one still
gets 200, with zero 5xx, and is the server still healthy afterwards?

Set-up: the real server (``create_app`` + ``BackgroundServer`` on 127.0.0.1) with its shipped defaults
(response cache on, ``max_batch_size`` 8, ``batch_window_ms`` 50 with ``batch_idle_ms`` 10) and one of
two models:

- ``real`` (default): the platform's tiny Llama built offline as in ``serving_batching``
  (``bench._serving_model``; hidden 128, 4 layers by default), untrained, answering ``max_tokens`` 8 so
  that a run stays within about 30 s on 2 cores;
- ``fake``: ``FakeBackend`` with 5 ms per model call plus 0.5 ms per prompt (a model whose batch costs
  little more than one prompt), to load the HTTP layer, validation, routing and batcher at a higher
  request rate than the tiny model allows.

Every valid request is a chat completion with its own prompt (demo-corpus tickets made unique, and
different between the two runs), so the model runs for each and the cache does not answer them. Clients:
``concurrency`` closed-loop ``httpx.AsyncClient`` workers (each sends its next request when its answer is
in), in this process; uvicorn runs in a thread of the same process.

Run ``clean``: ``requests`` valid requests. Run ``mixed``: the same count, ``malformed_share`` of them
(at seeded random positions) malformed, cycling through :data:`MALFORMED_KINDS`: a body that is not
valid JSON, an unknown model, a negative ``max_tokens``, a prompt longer than ``max_prompt_chars``, and no
``messages``. Afterwards ``GET /healthz`` must answer 200 ``ok``. The server's own per-status request
counters (``llm_requests_total``) are read for each run and must equal what the clients counted.

Each run is bounded by ``requests`` and by ``max_seconds`` (requests not sent by then are reported as
``not_sent`` and fail the verdict); the server is stopped at the end.

Run: ``.venv/bin/python -m bench.serving_load [--requests 2000] [--concurrency 32] [--backend real|fake]``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Literal

import httpx
from tabulate import tabulate

from bench._http import (
    CHAT_PATH,
    MODEL_NAME,
    Outcome,
    Request,
    chat_payload,
    latency_summary,
    send_requests,
    unique_prompts,
)
from bench._serving_model import build_tiny_backend, demo_texts, quiet_server_logs, set_torch_threads
from finetune_platform.serving.routing import CHAMPION
from finetune_platform.serving.server import Backend, BackgroundServer, FakeBackend, ServerSettings, create_app

BackendKind = Literal["real", "fake"]
#: The kinds of malformed request the mixed run sends, in the order they are cycled through.
MALFORMED_KINDS: tuple[str, ...] = (
    "invalid_json", "unknown_model", "negative_max_tokens", "oversized_prompt", "missing_messages",
)
#: Fake model timing: per call, and per prompt in the call.
FAKE_DELAY_S = 0.005
FAKE_PER_PROMPT_DELAY_S = 0.0005


def malformed_request(kind: str, text: str, max_tokens: int, max_prompt_chars: int) -> Request:
    """One malformed chat request of ``kind`` (see :data:`MALFORMED_KINDS`)."""
    if kind == "invalid_json":
        return Request("POST", CHAT_PATH, content=b'{"model": "' + MODEL_NAME.encode() + b'", "messages": [', kind=kind)
    if kind == "unknown_model":
        return Request("POST", CHAT_PATH, chat_payload(text, max_tokens, model="no-such-model"), kind=kind)
    if kind == "negative_max_tokens":
        return Request("POST", CHAT_PATH, chat_payload(text, -5), kind=kind)
    if kind == "oversized_prompt":
        return Request("POST", CHAT_PATH, chat_payload("x" * (max_prompt_chars + 1), max_tokens), kind=kind)
    if kind == "missing_messages":
        return Request("POST", CHAT_PATH, {"model": MODEL_NAME, "max_tokens": max_tokens}, kind=kind)
    raise ValueError(f"unknown malformed kind {kind!r}; use one of {list(MALFORMED_KINDS)}")


def build_requests(
    texts: list[str], n: int, malformed_share: float, max_tokens: int, max_prompt_chars: int, tag: str, seed: int
) -> list[Request]:
    """``n`` requests: ``round(n * malformed_share)`` malformed ones at seeded random positions (kinds cycled),
    the rest valid chat requests with unique prompts."""
    if not 0.0 <= malformed_share < 1.0:
        raise ValueError(f"malformed_share must be in [0, 1), got {malformed_share}")
    n_bad = round(n * malformed_share)
    bad_positions = set(random.Random(seed).sample(range(n), n_bad))
    prompts = iter(unique_prompts(texts, n - n_bad, tag))
    kinds = iter(MALFORMED_KINDS[i % len(MALFORMED_KINDS)] for i in range(n_bad))
    return [
        malformed_request(next(kinds), texts[i % len(texts)], max_tokens, max_prompt_chars) if i in bad_positions
        else Request("POST", CHAT_PATH, chat_payload(next(prompts), max_tokens))
        for i in range(n)
    ]


def server_status_counts(server: Any) -> Counter[str]:
    """The server's own ``llm_requests_total`` summed per HTTP status (over endpoints and variants)."""
    counts: Counter[str] = Counter()
    for metric in server.metrics.registry.collect():
        for sample in metric.samples:
            if sample.name == "llm_requests_total":
                counts[sample.labels["status"]] += int(sample.value)
    return counts


def summarise_run(
    requests: list[Request], outcomes: list[Outcome | None], seconds: float, server_counts: Counter[str]
) -> dict[str, Any]:
    """Status counts, latencies and the run's checks (``ok``: every valid request 200, every malformed one
    4xx, no 5xx, everything sent, server counters equal to the clients')."""
    sent = [(r, o) for r, o in zip(requests, outcomes, strict=True) if o is not None]
    statuses = Counter(o.status for _, o in sent)
    valid = [o for r, o in sent if r.kind == "valid"]
    bad = [(r, o) for r, o in sent if r.kind != "valid"]
    by_kind: dict[str, Counter[int]] = defaultdict(Counter)
    for r, o in bad:
        by_kind[r.kind][o.status] += 1
    client_counts = {str(s): n for s, n in statuses.items()}
    server_counts_dict = {s: n for s, n in server_counts.items() if n}
    summary = {
        "requests": len(requests),
        "sent": len(sent),
        "not_sent": len(requests) - len(sent),
        "seconds": round(seconds, 3),
        "req_per_s": round(len(sent) / seconds, 1) if seconds > 0 else 0.0,
        "statuses": dict(sorted(client_counts.items())),
        "server_statuses": dict(sorted(server_counts_dict.items())),
        "count_5xx": sum(n for s, n in statuses.items() if s >= 500),
        "valid": len(valid),
        "valid_200": sum(o.status == 200 for o in valid),
        "valid_cache_hits": sum(o.cache == "hit" for o in valid),
        "malformed": len(bad),
        "malformed_4xx": sum(400 <= o.status < 500 for _, o in bad),
        "malformed_by_kind": {k: {str(s): n for s, n in sorted(c.items())} for k, c in sorted(by_kind.items())},
        "latency_ms": latency_summary([o.latency_ms for _, o in sent]) if sent else None,
        "valid_latency_ms": latency_summary([o.latency_ms for o in valid]) if valid else None,
        "malformed_latency_ms": latency_summary([o.latency_ms for _, o in bad]) if bad else None,
    }
    summary["ok"] = (
        summary["not_sent"] == 0
        and summary["count_5xx"] == 0
        and summary["valid_200"] == summary["valid"]
        and summary["malformed_4xx"] == summary["malformed"]
        and client_counts == server_counts_dict
    )
    return summary


def _refuses_connections(url: str) -> bool:
    """True when nothing answers on ``url`` any more (the server really stopped)."""
    try:
        httpx.get(f"{url}/healthz", timeout=2.0)
    except httpx.ConnectError:
        return True
    return False


def _backend(
    kind: BackendKind, texts: list[str], hidden_size: int, layers: int, vocab_size: int
) -> tuple[Backend, dict[str, Any]]:
    if kind == "fake":
        fake = FakeBackend(MODEL_NAME, "1", delay_s=FAKE_DELAY_S, per_prompt_delay_s=FAKE_PER_PROMPT_DELAY_S)
        return fake, {"backend": "fake", "delay_ms": FAKE_DELAY_S * 1000,
                      "per_prompt_delay_ms": FAKE_PER_PROMPT_DELAY_S * 1000}
    if kind == "real":
        with tempfile.TemporaryDirectory(prefix="bench_serving_model_") as tmp:
            tiny = build_tiny_backend(texts, Path(tmp), hidden_size, layers, vocab_size)
        return tiny.backend, {"backend": "real", **tiny.describe()}
    raise ValueError(f"backend must be 'real' or 'fake', got {kind!r}")


def run_benchmark(
    requests: int = 2000, concurrency: int = 32, malformed_share: float = 0.2, backend: BackendKind = "real",
    max_tokens: int = 8, max_seconds: float = 120.0, hidden_size: int = 128, layers: int = 4,
    vocab_size: int = 1000, tickets: int = 400, seed: int = 0, torch_threads: int | None = None,
) -> dict[str, Any]:
    """Start the server, run ``clean`` then ``mixed``, check ``/healthz``, stop the server."""
    if requests < 1 or concurrency < 1:
        raise ValueError(f"requests ({requests}) and concurrency ({concurrency}) must be at least 1")
    quiet_server_logs()
    threads = set_torch_threads(torch_threads)
    texts = demo_texts(tickets)
    model, model_info = _backend(backend, texts, hidden_size, layers, vocab_size)
    settings = ServerSettings(model_name=MODEL_NAME, log_level="warning")  # the shipped defaults otherwise
    if max_tokens > settings.max_tokens_limit:
        raise ValueError(f"max_tokens {max_tokens} exceeds the server's max_tokens_limit {settings.max_tokens_limit}")
    app = create_app(settings, {CHAMPION: model})
    model_server = app.state.server
    runs: dict[str, dict[str, Any]] = {}
    with BackgroundServer(app) as server:
        warmup = [Request("POST", CHAT_PATH, chat_payload(p, max_tokens))
                  for p in unique_prompts(texts, concurrency, "warm")]
        send_requests(server.url, warmup, concurrency)
        for run, share in (("clean", 0.0), ("mixed", malformed_share)):
            batch = build_requests(texts, requests, share, max_tokens, settings.max_prompt_chars, run, seed)
            before = server_status_counts(model_server)
            outcomes, seconds = send_requests(server.url, batch, concurrency, deadline_s=max_seconds)
            runs[run] = summarise_run(batch, outcomes, seconds, server_status_counts(model_server) - before)
        health = httpx.get(f"{server.url}/healthz", timeout=10.0)
        health_ok = health.status_code == 200 and health.json().get("status") == "ok"
    stopped = _refuses_connections(server.url)
    batch_sizes = model_server.batchers[CHAMPION].batch_sizes
    return {
        "model": model_info,
        "requests": requests,
        "concurrency": concurrency,
        "malformed_share": malformed_share,
        "max_tokens": max_tokens,
        "max_seconds": max_seconds,
        "torch_threads": threads,
        "server": {"max_batch_size": settings.max_batch_size, "batch_window_ms": settings.batch_window_ms,
                   "batch_idle_ms": settings.batch_idle_ms, "cache_enabled": settings.cache_enabled},
        "clean": runs["clean"],
        "mixed": runs["mixed"],
        "mean_batch_size": round(sum(batch_sizes) / len(batch_sizes), 2) if batch_sizes else 0.0,
        "healthz_after": health.status_code,
        "healthz_ok": health_ok,
        "server_stopped": stopped,
        "goal_met": runs["clean"]["ok"] and runs["mixed"]["ok"] and health_ok and stopped,
    }


def format_report(result: dict[str, Any]) -> str:
    rows = []
    for name in ("clean", "mixed"):
        r = result[name]
        lat = r["latency_ms"] or {"p50": float("nan"), "p99": float("nan")}
        vlat = r["valid_latency_ms"] or {"p50": float("nan"), "p99": float("nan")}
        statuses = ", ".join(f"{s}: {n}" for s, n in r["statuses"].items())
        rows.append([name, r["sent"], r["seconds"], r["req_per_s"], statuses,
                     r["count_5xx"], f"{r['valid_200']}/{r['valid']}", f"{r['malformed_4xx']}/{r['malformed']}",
                     lat["p50"], lat["p99"], vlat["p50"], vlat["p99"], "yes" if r["ok"] else "NO"])
    table = tabulate(rows, headers=["run", "sent", "s", "req/s", "statuses", "5xx", "valid 200", "malformed 4xx",
                                    "p50 ms", "p99 ms", "valid p50", "valid p99", "ok"], tablefmt="github")
    kinds = tabulate([[k, ", ".join(f"{s}: {n}" for s, n in c.items())]
                      for k, c in result["mixed"]["malformed_by_kind"].items()],
                     headers=["malformed kind", "statuses"], tablefmt="github")
    m = result["model"]
    model = (f"real tiny Llama ({m['parameters']:,} parameters)" if m["backend"] == "real"
             else f"FakeBackend ({m['delay_ms']:g} ms per call + {m['per_prompt_delay_ms']:g} ms per prompt)")
    verdict = "MET" if result["goal_met"] else "NOT MET"
    return "\n".join([
        f"Load on 127.0.0.1: {result['requests']} chat requests per run at concurrency {result['concurrency']}, "
        f"{model}, max_tokens {result['max_tokens']}, server defaults (batch {result['server']['max_batch_size']}, "
        f"window {result['server']['batch_window_ms']:g} ms, idle {result['server']['batch_idle_ms']} ms, cache on); "
        f"mean model batch {result['mean_batch_size']}.",
        "",
        table,
        "",
        kinds,
        "",
        "Server counters equal client counts: "
        + ", ".join(f"{run} {result[run]['statuses'] == result[run]['server_statuses']}" for run in ("clean", "mixed"))
        + f"; /healthz after: {result['healthz_after']}.",
        f"Goal (0 5xx; malformed all 4xx, valid all 200; healthy after): {verdict}",
    ])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.serving_load", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per run (default 2000)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--malformed-share", type=float, default=0.2, help="malformed share of the mixed run")
    parser.add_argument("--backend", choices=["real", "fake"], default="real", help="model behind the server")
    parser.add_argument("--max-tokens", type=int, default=8, help="max_tokens of valid requests (default 8)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="time limit per run (default 120)")
    parser.add_argument("--hidden", type=int, default=128, help="model width (real backend)")
    parser.add_argument("--layers", type=int, default=4, help="transformer blocks (real backend)")
    parser.add_argument("--vocab", type=int, default=1000, help="BPE vocabulary size (real backend)")
    parser.add_argument("--tickets", type=int, default=400, help="demo-corpus tickets for tokenizer and prompts")
    parser.add_argument("--seed", type=int, default=0, help="seed of the malformed positions")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch intra-op threads (default: FINETUNE_PLATFORM_TORCH_THREADS, else 1)")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its report and return its figures."""
    args = _parser().parse_args(argv)
    result = run_benchmark(
        requests=args.requests, concurrency=args.concurrency, malformed_share=args.malformed_share,
        backend=args.backend, max_tokens=args.max_tokens, max_seconds=args.max_seconds, hidden_size=args.hidden,
        layers=args.layers, vocab_size=args.vocab, tickets=args.tickets, seed=args.seed,
        torch_threads=args.torch_threads,
    )
    print(format_report(result))
    return result


if __name__ == "__main__":
    main()
