"""Smoke tests of the serving benchmarks (bench/serving_batching.py, serving_cache.py, serving_load.py).

Each benchmark runs with tiny parameters (a 1-layer, 32-wide model, a handful of requests); the tests check
the structure of the returned figures and their invariants (counts add up, batching really off / on,
cache hits really hits, zero 5xx, malformed requests all 4xx), never wall-clock thresholds.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from bench import run_all
from bench import serving_batching as bench_batching
from bench import serving_cache as bench_cache
from bench import serving_load as bench_load
from bench._http import CHAT_PATH, Outcome, Request, latency_summary, send_requests, unique_prompts
from bench._serving_model import QUIET_LOGGERS

TINY_MODEL = ["--hidden", "32", "--layers", "1", "--vocab", "300", "--tickets", "60"]


@pytest.fixture(autouse=True)
def _restore_process_state() -> Iterator[None]:
    """The benchmarks set torch's thread count and quieten the server loggers (right for their own
    process); put both back so that later tests in this session see the defaults."""
    import torch

    threads = torch.get_num_threads()
    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    torch.set_num_threads(threads)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _run(main: Any, argv: list[str]) -> tuple[dict[str, Any], str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = main(argv)
    json.dumps(result)  # run_all passes it between processes as JSON
    return result, out.getvalue()


def _ordered(summary: dict[str, float]) -> bool:
    return 0 <= summary["p50"] <= summary["p95"] <= summary["p99"] <= summary["max"]


# -- helpers ----------------------------------------------------------------------------------------------


def test_latency_summary_percentiles_and_empty_input():
    summary = latency_summary([float(v) for v in range(1, 101)])
    assert summary == {"p50": 50.5, "p95": 95.05, "p99": 99.01, "mean": 50.5, "max": 100.0}
    with pytest.raises(ValueError, match="at least one latency"):
        latency_summary([])


def test_unique_prompts_are_distinct_and_cycle_the_texts():
    prompts = unique_prompts(["a", "b"], 5, "t")
    assert prompts == ["[t-0] a", "[t-1] b", "[t-2] a", "[t-3] b", "[t-4] a"]


def test_build_requests_places_each_malformed_kind_evenly_and_deterministically():
    texts = ["my parcel is late", "refund please", "login broken"]
    reqs = bench_load.build_requests(texts, 50, 0.2, 8, 100, "run", seed=3)
    kinds = Counter(r.kind for r in reqs)
    assert kinds == {"valid": 40, **{k: 2 for k in bench_load.MALFORMED_KINDS}}
    assert [r.kind for r in reqs] == [r.kind for r in bench_load.build_requests(texts, 50, 0.2, 8, 100, "run", 3)]
    assert [r.kind for r in reqs] != [r.kind for r in bench_load.build_requests(texts, 50, 0.2, 8, 100, "run", 4)]
    valid_prompts = [r.json["messages"][0]["content"] for r in reqs if r.kind == "valid"]
    assert len(set(valid_prompts)) == 40  # unique: no valid request can be a cache hit of another
    oversized = next(r for r in reqs if r.kind == "oversized_prompt")
    assert len(oversized.json["messages"][0]["content"]) == 101
    broken = next(r for r in reqs if r.kind == "invalid_json")
    assert broken.json is None and broken.content is not None
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    with pytest.raises(ValueError, match="malformed_share must be in"):
        bench_load.build_requests(texts, 10, 1.0, 8, 100, "run", 0)
    with pytest.raises(ValueError, match="unknown malformed kind 'typo'"):
        bench_load.malformed_request("typo", "x", 8, 100)


def test_summarise_run_fails_on_5xx_a_malformed_200_a_lost_request_or_a_counter_mismatch():
    reqs = [Request("POST", CHAT_PATH, {}), Request("POST", CHAT_PATH, {}, kind="unknown_model")]
    good = [Outcome(200, 5.0, "miss", {}), Outcome(404, 1.0, None, {})]
    server = Counter({"200": 1, "404": 1})
    summary = bench_load.summarise_run(reqs, good, 1.0, server)
    assert summary["ok"] and summary["statuses"] == {"200": 1, "404": 1} == summary["server_statuses"]
    assert summary["malformed_by_kind"] == {"unknown_model": {"404": 1}}
    assert not bench_load.summarise_run(reqs, [Outcome(500, 5.0, None, {}), good[1]], 1.0,
                                        Counter({"500": 1, "404": 1}))["ok"]
    assert not bench_load.summarise_run(reqs, [good[0], Outcome(200, 1.0, None, {})], 1.0, Counter({"200": 2}))["ok"]
    lost = bench_load.summarise_run(reqs, [good[0], None], 1.0, Counter({"200": 1}))
    assert lost["not_sent"] == 1 and not lost["ok"]
    assert not bench_load.summarise_run(reqs, good, 1.0, Counter({"200": 1}))["ok"]  # server missed one


def test_send_requests_rejects_zero_concurrency():
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        send_requests("http://127.0.0.1:1", [], 0)


def test_run_all_discovers_the_serving_benchmarks():
    assert {"serving_batching", "serving_cache", "serving_load"} <= set(run_all.discover())


# -- the benchmarks, tiny ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_batching_benchmark_compares_batch_1_with_real_batches():
    result, printed = _run(bench_batching.main, [
        "--requests", "8", "--clients", "4", "--max-tokens", "4", "--repeats", "1", "--window-ms", "200",
        "--idle-ms", "50", *TINY_MODEL,
    ])
    assert result["requests"] == 8 and result["clients"] == 4 and result["max_tokens"] == 4
    assert (result["window_ms"], result["idle_ms"]) == (200, 50)  # the options reached the server's batcher
    assert (result["on"]["batch_window_ms"], result["on"]["batch_idle_ms"]) == (200, 50)
    assert "waits at most 200 ms, or 50.0 ms without a new request" in printed
    assert result["torch_threads"] >= 1 and result["model"]["parameters"] > 0
    off, on = result["off"], result["on"]
    for side in (off, on):
        assert side["ok"] == side["requests"] == 8 and side["statuses"] == {"200": 8}
        assert side["cache_hits"] == 0  # cache off: every answer came from the model
        assert side["batched_prompts"] == 8 and side["completion_tokens"] > 0
        assert side["req_per_s"] == pytest.approx(8 / side["seconds"], rel=0.02)
        assert _ordered(side["latency_ms"])
        assert sum(int(k) * v for k, v in side["batch_size_counts"].items()) == 8
    assert off["model_calls"] == 8 and off["batch_size_counts"] == {"1": 8} and off["max_batch_size"] == 1
    assert on["max_batch_size"] == 4 and 1 <= on["max_batch_size_seen"] <= 4 and 2 <= on["model_calls"] <= 8
    assert result["rounds_req_per_s"]["off"] == [off["req_per_s"]]
    assert result["ratio"] == pytest.approx(on["req_per_s"] / off["req_per_s"], rel=0.02)
    assert result["goal_met"] == (on["req_per_s"] / off["req_per_s"] >= 4.0)
    assert f"Throughput ratio, on / off: {result['ratio']:.2f}x" in printed
    assert ("NOT MET" in printed) != result["goal_met"] and "| off: batch 1, 1 client" in printed


@pytest.mark.slow
def test_cache_benchmark_times_real_hits_at_three_levels():
    result, printed = _run(bench_cache.main, ["--hits", "20", "--misses", "2", "--max-tokens", "4", *TINY_MODEL])
    assert result["first_request_cache"] == "miss"
    assert result["hit_statuses_200"] == result["hit_headers"] == result["same_answer"] == 20
    assert result["server_handler_count"] == 20 and result["server_core_cached"] == 20
    # 20 hits over HTTP + 20 through ModelServer.complete; 2 distinct misses + the first request.
    assert result["cache_stats"] == {"hits": 40, "misses": 3, "size": 3}
    for key in ("miss_ms", "client_ms", "server_handler_ms", "server_core_ms", "server_core_call_ms"):
        assert _ordered(result[key]), key
    assert result["judged_on"] == "client"
    assert result["goal_met"] == (result["client_ms"]["p50"] <= 2.0)
    assert "judged at the client over loopback" in printed and f"{result['client_ms']['p50']:.3f} ms" in printed


@pytest.mark.slow
def test_load_benchmark_counts_statuses_and_rejects_every_malformed_request():
    result, printed = _run(bench_load.main, [
        "--requests", "60", "--concurrency", "8", "--malformed-share", "0.25", "--backend", "fake", "--tickets", "60",
    ])
    clean, mixed = result["clean"], result["mixed"]
    assert clean["sent"] == clean["valid"] == clean["valid_200"] == 60 and clean["statuses"] == {"200": 60}
    assert clean["malformed"] == 0 and clean["valid_cache_hits"] == 0
    assert mixed["sent"] == 60 and mixed["malformed"] == 15 and mixed["valid"] == 45
    assert mixed["malformed_by_kind"] == {
        "invalid_json": {"400": 3}, "missing_messages": {"400": 3}, "negative_max_tokens": {"400": 3},
        "oversized_prompt": {"400": 3}, "unknown_model": {"404": 3},
    }
    assert mixed["statuses"] == {"200": 45, "400": 12, "404": 3} == mixed["server_statuses"]
    assert clean["server_statuses"] == clean["statuses"]
    for run in (clean, mixed):
        assert run["count_5xx"] == 0 and run["not_sent"] == 0 and run["ok"]
        assert _ordered(run["latency_ms"]) and _ordered(run["valid_latency_ms"])
    assert result["healthz_after"] == 200 and result["healthz_ok"] and result["server_stopped"]
    assert result["goal_met"] and "Goal (0 5xx; malformed all 4xx, valid all 200; healthy after): MET" in printed
