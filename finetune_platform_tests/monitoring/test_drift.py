from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from finetune_platform.monitoring.drift import DriftSettings, compute_drift, daily_feedback, plot_drift, psi
from finetune_platform.monitoring.simulate import synthetic_tickets

REFERENCE = synthetic_tickets(1000, seed=1)


@pytest.mark.parametrize("seed", [2, 3, 4, 5, 6])
def test_same_distribution_is_not_drift(seed: int) -> None:
    report = compute_drift(REFERENCE, synthetic_tickets(300, seed=seed))
    assert report.verdict == "no_drift" and report.drift is False
    assert report.drifted_features == []
    assert report.reasons[0].startswith("No drift")
    tests = {(r.feature, r.test) for r in report.results}
    assert tests == {
        ("text_chars", "psi"),
        ("text_chars", "ks"),
        ("text_chars", "psi_resampled"),
        ("text_words", "psi"),
        ("text_words", "ks"),
        ("text_words", "psi_resampled"),
        ("terms", "chi2"),
        ("terms", "jensen_shannon"),
        ("terms", "js_resampled"),
        ("oov_rate", "mann_whitney"),
        ("oov_rate", "mean_increase"),
    }


@pytest.mark.parametrize("seed", [2, 3, 4, 5, 6])
def test_small_unshifted_sample_does_not_raise_a_false_alarm(seed: int) -> None:
    # At 50 texts PSI over 10 bins is near 0.2 by chance alone; the paired significance test must hold it back.
    report = compute_drift(REFERENCE, synthetic_tickets(50, seed=seed))
    assert report.drift is False


@pytest.mark.parametrize("seed", [2, 3, 4, 5, 6])
def test_in_distribution_prompts_sent_many_times_are_not_drift(seed: int) -> None:
    """Ten usual tickets sent ten times each (retries, the same question asked again): the terms and lengths
    come from ten texts, not a hundred, and chi-squared, JS, KS and PSI over 100 texts read that as drift;
    JS and PSI against reference texts drawn the same way (ten, each ten times) do not."""
    report = compute_drift(REFERENCE, synthetic_tickets(10, seed=seed) * 10)
    terms = {r.test: r for r in report.results if r.feature == "terms"}
    assert not terms["js_resampled"].drifted and report.verdict == "no_drift", report.reasons


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_tickets_about_unseen_products_are_drift(seed: int) -> None:
    usual = synthetic_tickets(150, seed=seed)
    new = synthetic_tickets(150, seed=seed + 100, new_topics=True)
    report = compute_drift(REFERENCE, usual + new)
    assert report.verdict == "drift" and report.drift is True
    assert {"terms", "oov_rate"} <= set(report.drifted_features)
    terms = {r.test: r for r in report.results if r.feature == "terms"}
    assert terms["jensen_shannon"].statistic > 0.1 and terms["chi2"].p_value < 1e-10
    assert terms["js_resampled"].p_value == pytest.approx(1 / 500) and terms["js_resampled"].drifted
    # the new vocabulary lands in the "other" bucket and is named in the reasons
    top_shift = report.term_shift.iloc[0]
    assert top_shift["term"] == "<other>" and top_shift["delta"] > 0.2
    text = " ".join(report.reasons)
    assert "Term distribution drifted" in text
    assert any(word in text for word in ("hologram", "quantum", "drone", "beehive", "lunar"))


def test_longer_prompts_drift_on_length_features() -> None:
    longer = [t + " " + t + " " + t for t in synthetic_tickets(200, seed=9)]
    report = compute_drift(REFERENCE, longer)
    assert {"text_chars", "text_words"} <= set(report.drifted_features)
    psi_row = next(r for r in report.results if r.feature == "text_chars" and r.test == "psi")
    assert psi_row.statistic > 1.0


def test_too_few_production_texts_is_insufficient_data() -> None:
    report = compute_drift(REFERENCE, synthetic_tickets(49, seed=2, new_topics=True) + ["", "   "])
    assert report.verdict == "insufficient_data" and report.drift is False and report.results == []
    assert report.n_production == 49
    assert "only 49 production texts were seen and at least 50 are needed" in report.reasons[0]


def test_too_small_reference_is_insufficient_data() -> None:
    report = compute_drift(REFERENCE[:20], synthetic_tickets(100, seed=2), DriftSettings(min_samples=30, length_bins=5))
    assert report.verdict == "insufficient_data"
    assert "only 20 reference texts were given and at least 30 are needed" in report.reasons[0]


def test_psi_is_zero_for_identical_and_large_for_shifted_samples() -> None:
    rng = np.random.default_rng(0)
    sample = rng.normal(100, 10, 5000)
    assert psi(sample, sample, 10) == pytest.approx(0.0, abs=1e-12)
    assert psi(sample, rng.normal(100, 10, 5000), 10) < 0.02
    assert psi(sample, rng.normal(120, 10, 5000), 10) > 1.0


def _feedback(daily_negative_rates: list[float], per_day: int = 100, seed: int = 0) -> pd.DataFrame:
    """Ratings per day with an exact thumbs-down share; the others are thumbs-up or neutral."""
    rng = np.random.default_rng(seed)
    rows = []
    for day, rate in enumerate(daily_negative_rates):
        negatives = round(rate * per_day)
        ratings = [-1] * negatives + list(rng.choice([0, 1, 1, 1], per_day - negatives))
        for i, rating in enumerate(ratings):
            rows.append(
                {
                    "created_at": pd.Timestamp("2026-11-01", tz="UTC") + pd.Timedelta(days=day, seconds=4 * i),
                    "rating": int(rating),
                }
            )
    return pd.DataFrame(rows)


def test_feedback_control_limits_flag_a_bad_last_day() -> None:
    feedback = _feedback([0.10, 0.08, 0.12, 0.10, 0.30])
    report = compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=feedback)
    assert report.drift is True
    assert report.drifted_features == ["feedback_negative_rate", "feedback_rating_mean"]
    p_chart = next(r for r in report.results if r.test == "p_chart")
    # baseline 40 of 400 (0.10); the exact binomial flags 21 or more thumbs-down of 100 (P < 0.00135, the
    # one-sided tail beyond 3 sigma), where the normal approximation's limit was 0.19
    assert p_chart.statistic == pytest.approx(0.30)
    assert p_chart.threshold == pytest.approx(0.20)
    assert "2026-11-05: thumbs-down rate 30.0% (30 of 100)" in " ".join(report.reasons)


@pytest.mark.parametrize("per_day", [25, 2000])
def test_one_thumbs_down_after_a_clean_baseline_is_not_drift(per_day: int) -> None:
    """Days of nothing but thumbs-up give a p-chart of zero width and an X-bar chart of zero spread, and a
    smoothed spread shrinks as the clean baseline grows: one lower rating must not flag, however long the
    clean record (it would retrain on a single rating)."""
    rows = [
        {"created_at": pd.Timestamp("2026-11-01", tz="UTC") + pd.Timedelta(days=day, seconds=i), "rating": 1}
        for day in range(4) for i in range(per_day)
    ]
    last_day = pd.Timestamp("2026-11-05", tz="UTC")
    one_down = rows + [{"created_at": last_day + pd.Timedelta(minutes=i), "rating": 1 if i else -1} for i in range(25)]
    report = compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=pd.DataFrame(one_down))
    assert not report.drift, report.reasons
    many_down = rows + [{"created_at": last_day + pd.Timedelta(minutes=i), "rating": -1 if i < 8 else 1} for i in range(25)]
    report = compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=pd.DataFrame(many_down))
    assert report.drifted_features == ["feedback_negative_rate", "feedback_rating_mean"]


def test_a_thumbs_down_spike_on_a_low_traffic_day_is_judged() -> None:
    """Too few prompts to judge the text features does not hide the day's ratings."""
    feedback = _feedback([0.05, 0.05, 0.05, 0.05, 0.80], per_day=40)
    report = compute_drift(REFERENCE, synthetic_tickets(20, seed=2), feedback=feedback)
    assert report.verdict == "drift" and "feedback_negative_rate" in report.drifted_features
    assert any(r.startswith("Text features not judged: only 20 production texts") for r in report.reasons)
    calm = compute_drift(REFERENCE, synthetic_tickets(20, seed=2), feedback=_feedback([0.05] * 5, per_day=40))
    assert calm.verdict == "insufficient_data" and not calm.drift


def test_feedback_within_limits_or_better_is_not_flagged() -> None:
    for rates in ([0.10, 0.08, 0.12, 0.10, 0.15], [0.10, 0.08, 0.12, 0.10, 0.0]):
        report = compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=_feedback(rates))
        assert report.drift is False, rates
        assert {r.feature for r in report.results} >= {"feedback_negative_rate", "feedback_rating_mean"}


def test_feedback_with_too_few_days_is_reported_not_judged() -> None:
    report = compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=_feedback([0.1, 0.5]))
    assert report.drift is False
    assert not any(r.feature.startswith("feedback") for r in report.results)
    assert "Feedback trend not judged: 2 day(s) with at least 20 ratings, 4 needed" in " ".join(report.reasons)


def test_daily_feedback_aggregates_per_utc_day() -> None:
    daily = daily_feedback(_feedback([0.2, 0.5], per_day=10))
    assert daily["n"].tolist() == [10, 10]
    assert daily["negative_rate"].tolist() == [0.2, 0.5]
    with pytest.raises(ValueError, match=r"missing \['rating'\]"):
        daily_feedback(pd.DataFrame({"created_at": []}))


def test_report_markdown_and_dict() -> None:
    report = compute_drift(REFERENCE, synthetic_tickets(100, seed=7, new_topics=True))
    markdown = report.to_markdown()
    assert markdown.startswith("## Drift report: **drift**")
    assert "| terms" in markdown and "jensen_shannon" in markdown and "<other>" in markdown
    summary = report.to_dict()
    assert summary["verdict"] == "drift" and summary["n_production"] == 100
    assert len(summary["results"]) == 11
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary  # usable as asset metadata


def test_plot_drift_writes_a_png(tmp_path: Path) -> None:
    report = compute_drift(REFERENCE, synthetic_tickets(100, seed=7), feedback=_feedback([0.1] * 5))
    path = plot_drift(report, tmp_path / "plots" / "drift.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def test_a_significant_but_tiny_rise_at_high_traffic_is_not_drift() -> None:
    """20,000 ratings a day make a 0.7-point rise in thumbs-down significant; it is below the effect size
    (feedback_rate_delta), so the chart does not call it drift. A 3-point rise is."""
    small = compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=_feedback([0.10] * 4 + [0.107], per_day=20_000))
    rate = next(r for r in small.results if r.feature == "feedback_negative_rate")
    assert rate.p_value < 0.01 and not rate.drifted
    assert not any(r.drifted for r in small.results if r.feature.startswith("feedback"))
    large = compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=_feedback([0.10] * 4 + [0.13], per_day=20_000))
    assert "feedback_negative_rate" in large.drifted_features
    strict = DriftSettings(feedback_rate_delta=0.0, feedback_mean_delta=0.0)
    assert "feedback_negative_rate" in compute_drift(
        REFERENCE, synthetic_tickets(200, seed=2), strict, feedback=_feedback([0.10] * 4 + [0.107], per_day=20_000)
    ).drifted_features


def test_a_day_judged_on_its_ratings_alone_is_plotted(tmp_path: Path) -> None:
    """Too few prompts for the text tests, a thumbs-down spike in the ratings: drift, and its plot shows the
    ratings (the length panels have nothing to show)."""
    report = compute_drift(REFERENCE, synthetic_tickets(20, seed=7), feedback=_feedback([0.05] * 6 + [0.8]))
    assert report.drift and not report.lengths
    path = plot_drift(report, tmp_path / "drift.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_settings_reject_min_samples_below_two_per_bin() -> None:
    with pytest.raises(ValidationError, match=r"min_samples \(15\) must be at least twice length_bins \(10\)"):
        DriftSettings(min_samples=15)


def test_the_feedback_chart_judges_the_day_under_test_not_an_older_bad_day() -> None:
    from datetime import date

    bad_then_quiet = _feedback([0.10, 0.08, 0.12, 0.10, 0.66])  # 2026-11-05 was bad
    quiet_day = pd.DataFrame(
        [{"created_at": pd.Timestamp("2026-11-06 10:00", tz="UTC") + pd.Timedelta(minutes=i), "rating": 1} for i in range(5)]
    )
    feedback = pd.concat([bad_then_quiet, quiet_day], ignore_index=True)
    # The 11-06 report: five thumbs-up that day, too few to chart; the 11-05 alarm is not raised again.
    report = compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=feedback, day=date(2026, 11, 6))
    assert report.drift is False and not any(r.feature.startswith("feedback") for r in report.results)
    assert "Feedback trend not judged for 2026-11-06: 5 rating(s) that day, at least 20 needed" in " ".join(report.reasons)
    # The 11-05 report (later days' ratings in the window are not looked at) still flags its own day.
    flagged = compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=feedback, day=date(2026, 11, 5))
    assert flagged.drifted_features == ["feedback_negative_rate", "feedback_rating_mean"]
    # Without a day the last charted day is judged, as before.
    assert compute_drift(REFERENCE, synthetic_tickets(200, seed=2), feedback=feedback).drift is True
