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


def test_a_champion_left_unscored_is_named_not_taken_for_no_champion() -> None:
    """evaluate_champion off with a champion serving: the gate must not say there is none, and the report
    never promotes on it."""
    from finetune_platform.evaluation.report import promotion_decision

    decision = champion_gate(_scores("candidate", 0.4), None, EvalSettings(evaluate_champion=False), champion_version=4)
    assert "champion v4 was not scored (evaluate_champion off)" in decision.reason
    assert "no champion yet" not in decision.reason and "challenger only" in decision.reason
    report = {"models": {"candidate": {"accuracy": 0.99}}, "champion_version": None, "live_champion_version": 4}
    promoted, why = promotion_decision(report, live_champion_version=4, margin=0.0)
    assert not promoted and "not scored" in why


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


def _report(passed: bool = True, champion_passed: bool | None = True, path: str | None = "/m/cand",
            champion: float | None = 0.80, champion_version: int | None = 3) -> dict:
    models = {"base": {"accuracy": 0.1}, "candidate": {"accuracy": 0.85}}
    if champion is not None:
        models[f"champion (v{champion_version})"] = {"accuracy": champion}
    report = {"models": models, "gate": {"passed": passed, "reason": "base gate says so"},
              "champion_version": champion_version if champion is not None else None}
    if champion_passed is not None:
        report["champion_gate"] = {"passed": champion_passed, "reason": "champion gate says so"}
    if path is not None:
        report["candidate_model_path"] = path
    return report


def test_registration_needs_both_gates_passed_on_this_candidate() -> None:
    from finetune_platform.evaluation.report import registration_problems

    assert registration_problems(_report(), "/m/cand") == []
    assert "gate against the base model failed: base gate says so" in registration_problems(_report(passed=False), "/m/cand")[0]
    assert "against the champion failed" in registration_problems(_report(champion_passed=False), "/m/cand")[0]
    assert "scored /m/cand, not this candidate (/m/other)" in registration_problems(_report(), "/m/other")[0]
    assert "older version" in registration_problems(_report(path=None), "/m/cand")[0]


def test_promotion_compares_with_the_champion_that_serves_now() -> None:
    from finetune_platform.evaluation.report import promotion_decision

    assert promotion_decision(_report(champion=None), None, 0.0)[0] is True  # the first model
    promoted, why = promotion_decision(_report(), 3, 0.0)
    assert promoted and "vs champion v3 0.800 (+0.050" in why
    assert promotion_decision(_report(), 3, 0.05)[0] is False  # must exceed the margin
    moved, why = promotion_decision(_report(), 4, 0.0)  # another run made v4 champion since the report
    assert not moved and "the champion is now v4" in why
    unscored, why = promotion_decision(_report(champion=None), 4, 0.0)
    assert not unscored and "not scored" in why


def test_a_gain_equal_to_the_margin_passes_whatever_floating_point_makes_of_it() -> None:
    """0.6 - 0.5 is 0.09999999999999998 in floating point: 12/20 against 10/20 meets a 0.10 margin."""
    from finetune_platform.evaluation.report import promotion_decision

    for base, candidate in ((0.5, 0.6), (0.6, 0.7), (0.2, 0.3), (10 / 20, 12 / 20)):
        assert gate(_scores("base", base), _scores("candidate", candidate), EvalSettings(min_accuracy_gain=0.1)).passed
        assert champion_gate(_scores("candidate", candidate), _scores("champion", base), EvalSettings(champion_margin=0.1)).passed
        report = {"models": {"candidate": {"accuracy": candidate}, "champion (v3)": {"accuracy": base}}, "champion_version": 3}
        promoted, why = promotion_decision(report, live_champion_version=3, margin=0.1)
        assert not promoted, why  # promotion needs more than the margin: a tie keeps the champion
    assert not gate(_scores("base", 0.5), _scores("candidate", 0.599), EvalSettings(min_accuracy_gain=0.1)).passed


def test_the_evaluation_sample_covers_every_source_in_proportion() -> None:
    """Example ids begin with the source's name: the first rows in id order were one source's, so the gate
    judged the alphabetically first sources only. The sample is drawn by a hash of the id instead."""
    import pandas as pd

    from finetune_platform.evaluation.report import select_examples

    rows = [
        {"example_id": f"{source}/f.jsonl#{i}::{task}", "task": task, "prompt": "p", "completion": "c"}
        for source, n in (("chats", 300), ("emails", 180), ("notes", 120))
        for i in range(n)
        for task in ("classify", "reply")
    ]
    test = pd.DataFrame(rows)
    settings = EvalSettings(max_classify_examples=200, max_perplexity_examples=200, max_reply_examples=60)
    classify, ppl, replies = select_examples(test, settings)
    assert (len(classify), len(ppl), len(replies)) == (200, 200, 60)
    for sample in (classify, ppl, replies):
        shares = sample["example_id"].str.split("/").str[0].value_counts(normalize=True)
        assert set(shares.index) == {"chats", "emails", "notes"}
        assert abs(shares["notes"] - 0.2) < 0.1 and abs(shares["chats"] - 0.5) < 0.12
    again = select_examples(test.sample(frac=1.0, random_state=1), settings)
    assert again[0]["example_id"].tolist() == classify["example_id"].tolist()  # deterministic, order-free
    assert classify["example_id"].is_monotonic_increasing
