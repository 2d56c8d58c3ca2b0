"""Smoke test of bench/training_overhead.py: one short round per side on a small demo corpus.

No assertion on wall-clock times or on the ratio's size: only that both sides trained the same steps on the
same data, the figures are positive and consistent, and the platform side really went through Dagster Pipes
and streamed its steps into MLflow.
"""

from __future__ import annotations

import json

import pytest

from bench import training_overhead as bench_o

pytestmark = pytest.mark.slow


def test_one_round_reports_both_sides_and_the_ratio(capsys):
    result = bench_o.main(["--steps", "6", "--rounds", "1", "--tickets", "200", "--save-steps", "3"])
    printed = capsys.readouterr().out
    assert result["plain_tokens_per_second"] > 0 and result["platform_tokens_per_second"] > 0
    assert result["ratio"] == pytest.approx(result["platform_tokens_per_second"] / result["plain_tokens_per_second"], rel=0.01)
    assert result["goal_met"] == (result["ratio"] >= bench_o.GOAL)
    tokens = result["tokens_per_run"]
    assert tokens["plain"] > 0 and abs(tokens["platform"] - tokens["plain"]) <= 0.01 * tokens["plain"]  # same data, same steps
    assert result["platform_mlflow_loss_points"] >= 1  # the child logged into MLflow as it trained
    assert f"ratio platform/plain        : {result['ratio']:.3f}" in printed
    json.dumps(result)
