"""Smoke test of bench/quantization.py: the whole build -> fine-tune -> fp32 vs int8 path on tiny settings.

No assertion is made on wall-clock times or on accuracy levels (a 10-step fine-tune classifies nothing
reliably): only that the figures are there, consistent with each other and that int8 really was applied.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest
import torch

from bench import quantization as bench_q

TINY = [
    "--tickets", "200", "--pretrain-steps", "5", "--hidden-size", "32", "--layers", "1", "--vocab-size", "400",
    "--sft-steps", "10", "--max-eval", "16", "--latency-prompts", "3", "--repeats", "1",
]


@pytest.fixture(scope="module")
def tiny_run() -> tuple[dict, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = bench_q.main(TINY)
    return result, out.getvalue()


@pytest.mark.slow
def test_tiny_run_reports_consistent_figures(tiny_run):
    result, _ = tiny_run
    assert result["sft_steps"] == 10
    assert result["examples"] == min(16, result["splits"]["test"]) > 0
    assert set(result["accuracy"]) == set(result["throughput"]) == set(result["latency_p50_ms"]) == {"fp32", "int8"}
    assert all(0.0 <= a <= 1.0 for a in result["accuracy"].values())
    assert result["accuracy_delta"] == pytest.approx(result["accuracy"]["int8"] - result["accuracy"]["fp32"], abs=1e-3)
    assert 0 <= result["predictions_changed"] <= result["examples"]
    assert all(v > 0 for v in result["throughput"].values()) and all(v > 0 for v in result["latency_p50_ms"].values())
    assert result["throughput_ratio"] == pytest.approx(result["throughput"]["int8"] / result["throughput"]["fp32"], rel=0.02)
    assert result["latency_ratio"] == pytest.approx(result["latency_p50_ms"]["fp32"] / result["latency_p50_ms"]["int8"], rel=0.02)
    # int8 weights really replaced the fp32 Linear weights: the checkpoint shrinks.
    assert result["state_dict_bytes"]["int8"] < result["state_dict_bytes"]["fp32"]
    json.dumps(result)  # run_all passes it between processes as JSON


@pytest.mark.slow
def test_tiny_run_prints_table_delta_and_ratios(tiny_run):
    result, printed = tiny_run
    assert f"Accuracy delta, int8 - fp32: {result['accuracy_delta']:+.4f}" in printed
    assert f"throughput {result['throughput_ratio']:.2f}x" in printed
    assert "| fp32 " in printed and "| int8 " in printed


def test_quantized_copy_replaces_linear_layers_and_leaves_the_original():
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    quantized = bench_q.quantized_copy(model, tokenizer=_NoTokenizer())
    assert all(type(m) is torch.nn.Linear for m in (model[0], model[2]))
    assert all(type(m).__module__.startswith("torch.ao.nn.quantized.dynamic") for m in (quantized[0], quantized[2]))
    x = torch.randn(4, 8)
    assert torch.allclose(model(x), quantized(x), atol=0.05)


class _NoTokenizer:
    """RegistryBackend deep-copies its tokenizer; this test needs no real one."""


def test_run_benchmark_rejects_bad_counts():
    with pytest.raises(ValueError, match=r"must be >= 1; got 0"):
        bench_q.run_benchmark(repeats=0)
