"""A/B analysis on simulated traffic with a known effect, with no effect (false-positive rate), and on
traffic written to a real log store by ``monitoring.simulate.simulate_traffic``."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finetune_platform.evaluation.ab_test import (
    VARIANT_COLUMNS,
    ABTestSettings,
    analyze_ab,
    holm_adjust,
    newcombe_interval,
    required_samples_per_arm,
    two_proportion_test,
)
from finetune_platform.monitoring.simulate import simulate_traffic, synthetic_tickets
from finetune_platform.monitoring.store import LogStore


def traffic(
    n_per_arm: int,
    thumbs_down: tuple[float, float],
    seed: int,
    *,
    feedback_rate: float = 0.5,
    error_rate: tuple[float, float] = (0.01, 0.01),
    latency_ms: tuple[float, float] = (160.0, 160.0),
    escalation: tuple[float, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Requests and feedback for champion (first of each pair) and challenger, with known rates."""
    rng = np.random.default_rng(seed)
    requests, feedback = [], []
    for v, variant in enumerate(("champion", "challenger")):
        for i in range(n_per_arm):
            rid = f"{variant}-{i}"
            status = 500 if rng.random() < error_rate[v] else 200
            row = {"response_id": rid, "variant": variant, "latency_ms": float(rng.gamma(4.0, latency_ms[v] / 4)),
                   "status_code": status}
            if escalation is not None:
                row["escalated"] = bool(rng.random() < escalation[v])
            requests.append(row)
            if status == 200 and rng.random() < feedback_rate:
                rating = -1 if rng.random() < thumbs_down[v] else (1 if rng.random() < 0.8 else 0)
                feedback.append({"response_id": rid, "rating": rating})
    return pd.DataFrame(requests), pd.DataFrame(feedback, columns=["response_id", "rating"])


def test_statistics_helpers_match_published_values():
    # Newcombe (1998), table II: 56/70 vs 48/80, difference 0.2, method 10 interval 0.0524 to 0.3339
    low, high = newcombe_interval(48, 80, 56, 70)
    assert (low, high) == (pytest.approx(0.0524, abs=1e-4), pytest.approx(0.3339, abs=1e-4))
    assert holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert two_proportion_test(1, 20, 4, 20)[1] == "Fisher exact"  # expected cells 2.5 < 5
    p, name = two_proportion_test(100, 1000, 150, 1000)
    assert name == "two-proportion z" and p == pytest.approx(0.00074, abs=5e-5)
    # 0.15 vs 0.10 at alpha 0.05, power 0.8: about 680 per arm (textbook normal approximation)
    assert required_samples_per_arm(0.125, 0.05, 0.05, 0.8) == pytest.approx(687, abs=2)


def test_clearly_better_treatment_is_promoted_with_its_evidence():
    requests, feedback = traffic(1500, (0.25, 0.10), seed=1)
    report = analyze_ab(requests, feedback)
    assert report.decision == "promote" and report.recommendation == "promote"
    td = report.test("thumbs_down_rate")
    assert td.direction == "better" and td.difference < -0.1 and td.ci_high < 0
    assert td.test == "two-proportion z"
    assert list(report.variants.columns) == VARIANT_COLUMNS
    assert report.variants["requests"].tolist() == [1500, 1500]
    line = next(e for e in report.evidence if e.startswith("thumbs_down_rate"))
    assert f"n={td.n_control}" in line and "95% CI" in line and "Holm-adjusted" in line


def test_clearly_worse_treatment_is_rolled_back():
    requests, feedback = traffic(1500, (0.10, 0.25), seed=2)
    report = analyze_ab(requests, feedback)
    assert report.decision == "roll back"
    assert "thumbs_down_rate" in report.reason
    assert report.test("thumbs_down_rate").harmful


def test_harm_is_acted_on_before_min_samples():
    requests, feedback = traffic(120, (0.05, 0.60), seed=3)
    report = analyze_ab(requests, feedback, min_samples=1000)
    assert report.decision == "roll back"


def test_no_effect_small_sample_is_inconclusive_with_the_shortfall():
    requests, feedback = traffic(150, (0.15, 0.15), seed=4)
    report = analyze_ab(requests, feedback, min_samples=200)
    rated = report.variants["rated"].min()
    assert report.decision == "inconclusive"
    assert report.samples_needed == 200 - rated
    assert report.recommendation == f"inconclusive: need {200 - rated} more samples"
    assert "requests at a feedback rate" in report.reason


def test_no_effect_with_enough_data_keeps_the_control():
    requests, feedback = traffic(1500, (0.15, 0.15), seed=5, feedback_rate=1.0)
    report = analyze_ab(requests, feedback, min_detectable_effect=0.06)
    assert report.decision == "keep", report.evidence
    assert any(e.startswith("sample size:") for e in report.evidence)


def test_no_effect_underpowered_names_the_samples_needed():
    requests, feedback = traffic(600, (0.15, 0.15), seed=6)
    report = analyze_ab(requests, feedback, min_detectable_effect=0.03)
    v = report.variants
    base_rate = v["thumbs_down"].sum() / v["rated"].sum()
    needed = required_samples_per_arm(base_rate, 0.03, 0.05 / 4, 0.8) - v["rated"].min()
    assert report.decision == "inconclusive"
    assert report.samples_needed == needed > 1000


def test_false_positive_rate_under_no_effect_is_at_most_alpha():
    """100 A/A-like experiments: promote or roll back must be rare (measured 0.032 over 500 seeds at 3,000
    requests per arm; Holm keeps the family-wise rate at or below alpha)."""
    decisions = Counter()
    for seed in range(100):
        requests, feedback = traffic(400, (0.15, 0.15), seed=100 + seed)
        decisions[analyze_ab(requests, feedback, n_bootstrap=20, seed=seed).decision] += 1
    false_positives = decisions["promote"] + decisions["roll back"]
    assert false_positives <= 8, decisions


def test_power_under_a_known_effect():
    decisions = Counter()
    for seed in range(30):
        requests, feedback = traffic(1000, (0.25, 0.12), seed=500 + seed)
        decisions[analyze_ab(requests, feedback, n_bootstrap=20, seed=seed).decision] += 1
    assert decisions["promote"] >= 27, decisions
    assert decisions["roll back"] == 0, decisions


def test_latency_regression_rolls_back_but_a_small_rise_is_tolerated():
    requests, feedback = traffic(800, (0.15, 0.15), seed=7, latency_ms=(160.0, 240.0))
    report = analyze_ab(requests, feedback, n_bootstrap=200)
    latency = report.test("latency_ms")
    assert report.decision == "roll back" and latency.harmful
    assert latency.ci_low > 0
    report = analyze_ab(requests, feedback, n_bootstrap=200, max_latency_increase=1.0)
    assert report.test("latency_ms").direction == "worse" and not report.test("latency_ms").harmful
    assert report.decision != "roll back"
    assert any("within the latency tolerance" in e for e in report.evidence)


def test_error_rate_and_escalation_flags_are_tested():
    requests, feedback = traffic(800, (0.15, 0.15), seed=8, error_rate=(0.005, 0.08), escalation=(0.1, 0.1))
    report = analyze_ab(requests, feedback)
    assert report.decision == "roll back"
    assert report.test("error_rate").harmful
    assert report.test("escalated_rate").direction == "no difference"
    assert report.variants.set_index("variant").loc["challenger", "errors"] > 40


def test_duplicate_and_unmatched_feedback_are_counted_not_used():
    requests, feedback = traffic(300, (0.15, 0.15), seed=9)
    first = feedback.iloc[0]["response_id"]
    extra = pd.DataFrame({"response_id": [first, "resp-from-last-week"], "rating": [-1, 1]})
    stamped = pd.concat([feedback, extra], ignore_index=True)
    stamped["created_at"] = pd.date_range("2026-01-01", periods=len(stamped), freq="s", tz="UTC")
    report = analyze_ab(requests, stamped)
    assert (report.feedback_duplicates, report.feedback_unmatched) == (1, 1)
    assert report.variants["rated"].sum() == len(feedback)


def test_requests_pinned_to_a_variant_are_left_out_with_their_ratings():
    """A tester on ``<model>@challenger`` rating everything down was not randomly assigned: without the
    pinned rows the comparison is the same as if they had never been sent."""
    requests, feedback = traffic(300, (0.15, 0.15), seed=11)
    base = analyze_ab(requests, feedback)
    extra = pd.DataFrame({
        "response_id": [f"pinned-{i}" for i in range(200)], "variant": "challenger", "latency_ms": 900.0,
        "status_code": 200, "pinned": True,
    })
    with_pins = pd.concat([requests.assign(pinned=False), extra], ignore_index=True)
    pinned_ratings = pd.DataFrame({"response_id": extra["response_id"], "rating": -1})
    report = analyze_ab(with_pins, pd.concat([feedback, pinned_ratings], ignore_index=True))
    assert report.pinned_requests == 200 and report.feedback_unmatched == 0
    assert report.variants.equals(base.variants) and report.decision == base.decision
    assert "200 requests whose client pinned the variant" in " ".join(report.evidence)
    counted = analyze_ab(with_pins.assign(pinned=False), pd.concat([feedback, pinned_ratings], ignore_index=True))
    assert counted.decision == "roll back"  # what the tester's ratings would have done


def test_only_the_versions_the_aliases_point_to_now_are_compared():
    """Last week's challenger v5 (rated down) is not today's v6: with versions, v5's traffic is left out."""
    requests, feedback = traffic(300, (0.15, 0.15), seed=12)
    requests = requests.assign(model_version=requests["variant"].map({"champion": "4", "challenger": "6"}))
    old = pd.DataFrame({
        "response_id": [f"v5-{i}" for i in range(300)], "variant": "challenger", "latency_ms": 50.0,
        "status_code": 200, "model_version": "5",
    })
    both = pd.concat([requests, old], ignore_index=True)
    ratings = pd.concat([feedback, pd.DataFrame({"response_id": old["response_id"], "rating": -1})], ignore_index=True)
    assert analyze_ab(both, ratings).decision == "roll back"  # v5's ratings blamed on v6
    report = analyze_ab(both, ratings, versions={"champion": "4", "challenger": "6"})
    assert report.other_version_requests == 300 and report.feedback_unmatched == 0
    assert report.variants.equals(analyze_ab(requests, feedback).variants)
    assert "300 requests answered by other model versions than challenger v6, champion v4" in " ".join(report.evidence)
    with pytest.raises(ValueError, match="lack the column 'model_version'"):
        analyze_ab(requests.drop(columns="model_version"), feedback, versions={"challenger": "6"})


def test_input_errors_and_absent_variant():
    requests, feedback = traffic(50, (0.1, 0.1), seed=10)
    with pytest.raises(ValueError, match=r"requests lack columns \['latency_ms'\]"):
        analyze_ab(requests.drop(columns=["latency_ms"]), feedback)
    with pytest.raises(ValueError, match=r"ratings \[5\] are not -1/0/1"):
        analyze_ab(requests, feedback.assign(rating=5))
    with pytest.raises(ValueError, match="both 'champion'"):
        ABTestSettings(control="champion", treatment="champion")
    report = analyze_ab(requests, feedback, treatment="canary")
    assert report.decision == "inconclusive"
    assert "['canary'] served no requests" in report.reason and "challenger" in report.reason


def test_on_traffic_from_the_log_store(tmp_path: Path):
    """simulate_traffic writes one variant per call (its thumbs-down share is global), so two calls give
    the champion 35% and the challenger 10% thumbs-down."""
    store = LogStore(f"sqlite:///{tmp_path / 'logs.db'}", redactor=None)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    prompts = synthetic_tickets(50, seed=0)
    try:
        for variant, rate, seed in (("champion", 0.35, 1), ("challenger", 0.10, 2)):
            simulate_traffic(store, prompts, 500, seed=seed, variant_shares={variant: 1.0},
                             negative_feedback_rate=rate, feedback_rate=0.8, start=start)
        window = (start, start + timedelta(days=2))
        report = analyze_ab(store.requests_between(*window), store.feedback_between(*window), min_samples=200)
    finally:
        store.close()
    assert report.variants["requests"].tolist() == [500, 500]
    assert report.decision == "promote", report.evidence
    assert report.test("thumbs_down_rate").difference == pytest.approx(-0.25, abs=0.08)
    assert report.to_dict()["variants"][0]["variant"] == "champion"


def test_one_or_two_identical_ratings_per_arm_are_no_evidence():
    requests = pd.DataFrame({
        "response_id": [f"c{i}" for i in range(300)] + [f"t{i}" for i in range(300)],
        "variant": ["champion"] * 300 + ["challenger"] * 300, "latency_ms": [100.0] * 600, "status_code": [200] * 600,
    })
    for ratings in ({"c0": 1, "t0": -1}, {"c0": 1, "c1": 1, "t0": 0, "t1": 0}):
        feedback = pd.DataFrame({"response_id": list(ratings), "rating": list(ratings.values())})
        report = analyze_ab(requests, feedback)
        assert report.decision == "inconclusive", (ratings, report.reason)
        assert not report.test("mean_rating").significant


def test_a_rating_shift_with_no_variance_within_arms_is_judged():
    """300 champion answers rated +1, 300 challenger answers rated 0: no thumbs down on either side, no
    variance for a t-test, and yet clear evidence that the challenger is worse."""
    requests = pd.DataFrame({
        "response_id": [f"c{i}" for i in range(300)] + [f"t{i}" for i in range(300)],
        "variant": ["champion"] * 300 + ["challenger"] * 300, "latency_ms": [100.0] * 600, "status_code": [200] * 600,
    })
    feedback = pd.DataFrame({"response_id": requests["response_id"], "rating": [1] * 300 + [0] * 300})
    report = analyze_ab(requests, feedback)
    mean_rating = report.test("mean_rating")
    assert mean_rating.significant and mean_rating.p_value < 1e-10 and mean_rating.test.startswith("Fisher exact")
    assert report.test("thumbs_down_rate").p_value == pytest.approx(1.0)  # the shift it cannot see
    assert report.decision == "roll back", report.reason


def test_one_rating_against_varied_ratings_is_no_evidence():
    """One champion +1 against 300 challenger ratings, half +1 and half 0: the 2x2 table of the no-variance
    case does not apply (the challenger's ratings vary) and one rating cannot say the challenger is worse."""
    requests = pd.DataFrame({
        "response_id": ["c0"] + [f"t{i}" for i in range(300)],
        "variant": ["champion"] + ["challenger"] * 300, "latency_ms": [100.0] * 301, "status_code": [200] * 301,
    })
    feedback = pd.DataFrame({"response_id": requests["response_id"], "rating": [1] + [1, 0] * 150})
    report = analyze_ab(requests, feedback)
    mean_rating = report.test("mean_rating")
    assert not mean_rating.significant and mean_rating.p_value == 1.0 and mean_rating.test.startswith("not judged")
    assert report.decision != "roll back", report.reason
