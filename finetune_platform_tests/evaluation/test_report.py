"""The promotion gates: candidate vs base, candidate vs champion."""

import math

from finetune_platform.evaluation.report import EvalSettings, ModelScores, champion_gate, gate


def _scores(name: str, accuracy: float, n: int = 100) -> ModelScores:
    return ModelScores(name=name, accuracy=accuracy, perplexity=3.0, n_classify=n, n_perplexity=n, seconds=1.0)


def test_base_gate_needs_the_margin_and_says_by_how_much_it_missed() -> None:
    settings = EvalSettings(min_accuracy_gain=0.2)
    assert gate(_scores("base", 0.1), _scores("candidate", 0.5), settings).passed
    failed = gate(_scores("base", 0.1), _scores("candidate", 0.25), settings)
    assert not failed.passed and "by 0.050" in failed.reason


def test_base_gate_fails_on_too_few_examples() -> None:
    decision = gate(_scores("base", 0.0, n=5), _scores("candidate", 1.0, n=5), EvalSettings(min_examples=20))
    assert not decision.passed and "at least 20" in decision.reason


def test_champion_gate_passes_without_a_champion() -> None:
    decision = champion_gate(_scores("candidate", 0.4), None, EvalSettings())
    assert decision.passed and math.isnan(decision.accuracy_gain)


def test_champion_gate_blocks_a_worse_candidate_with_the_shortfall() -> None:
    settings = EvalSettings(champion_margin=0.0)
    worse = champion_gate(_scores("candidate", 0.80), _scores("champion", 0.85), settings, champion_version=3)
    assert not worse.passed
    assert "champion v3" in worse.reason and "by 0.050" in worse.reason
    assert champion_gate(_scores("candidate", 0.86), _scores("champion", 0.85), settings).passed


def test_champion_gate_tolerates_a_configured_loss() -> None:
    settings = EvalSettings(champion_margin=-0.02)
    assert champion_gate(_scores("candidate", 0.84), _scores("champion", 0.85), settings).passed
    assert not champion_gate(_scores("candidate", 0.82), _scores("champion", 0.85), settings).passed
