from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from finetune_platform.monitoring.drift import compute_drift
from finetune_platform.monitoring.feedback import feedback_to_preference_pairs, feedback_to_records
from finetune_platform.monitoring.simulate import simulate_traffic, synthetic_tickets
from finetune_platform.monitoring.store import LogStore

START = datetime(2026, 11, 1, tzinfo=UTC)


def _store(path: Path) -> LogStore:
    return LogStore(f"sqlite:///{path}", redactor=None)


def test_same_seed_writes_the_same_traffic(tmp_path: Path) -> None:
    frames = []
    for name in ("a.db", "b.db"):
        store = _store(tmp_path / name)
        simulate_traffic(store, synthetic_tickets(30, seed=0), n=60, seed=7, start=START, days=2)
        frames.append(
            (store.requests_between(START, START + timedelta(3)), store.feedback_between(START, START + timedelta(3)))
        )
        store.close()
    (req_a, fb_a), (req_b, fb_b) = frames
    assert len(req_a) == 60
    assert req_a.equals(req_b) and fb_a.equals(fb_b)
    assert req_a["created_at"].min() >= START and req_a["created_at"].max() < START + timedelta(days=2)


def test_variant_shares_shift_and_feedback_rates(tmp_path: Path) -> None:
    store = _store(tmp_path / "logs.db")
    summary = simulate_traffic(
        store,
        synthetic_tickets(50, seed=0),
        n=1000,
        seed=1,
        variant_shares={"champion": 0.8, "challenger": 0.2},
        topic_shift=synthetic_tickets(20, seed=1, new_topics=True),
        negative_feedback_rate=0.5,
        shift_share=0.3,
        feedback_rate=0.4,
        correction_rate=0.5,
        start=START,
    )
    requests = store.requests_between(START, START + timedelta(days=2))
    assert summary.requests == len(requests) == 1000
    assert requests["variant"].value_counts().to_dict() == summary.requests_by_variant
    assert 0.75 < summary.requests_by_variant["champion"] / 1000 < 0.85
    assert 0.25 < summary.shifted_requests / 1000 < 0.35
    assert 0.35 < summary.feedback / 1000 < 0.45
    assert 0.4 < summary.negative_feedback / summary.feedback < 0.6
    assert store.count_feedback_examples() == summary.corrections > 0
    assert set(requests.loc[requests["variant"] == "challenger", "model_version"]) == {"2"}


def test_simulated_shift_is_detected_and_feedback_becomes_training_data(tmp_path: Path) -> None:
    reference = synthetic_tickets(500, seed=0)
    store = _store(tmp_path / "logs.db")
    simulate_traffic(store, reference, n=200, seed=2, start=START)
    simulate_traffic(
        store,
        reference,
        n=200,
        seed=3,
        start=START + timedelta(days=1),
        topic_shift=synthetic_tickets(50, seed=4, new_topics=True),
        shift_share=0.5,
        negative_feedback_rate=0.4,
    )
    day_1 = store.requests_between(START, START + timedelta(days=1))["prompt"].tolist()
    day_2 = store.requests_between(START + timedelta(days=1), START + timedelta(days=2))["prompt"].tolist()
    assert compute_drift(reference, day_1).verdict == "no_drift"
    assert compute_drift(reference, day_2).verdict == "drift"

    feedback = store.feedback_between(START, START + timedelta(days=3))
    records = feedback_to_records(feedback)
    pairs, stats = feedback_to_preference_pairs(feedback)
    assert len(records) == store.count_feedback_examples() > 0
    assert stats.pairs + stats.duplicates_dropped == len(records)
    assert stats.negative_without_correction > 0


def test_invalid_arguments_are_rejected(tmp_path: Path) -> None:
    store = _store(tmp_path / "logs.db")
    with pytest.raises(ValueError, match="negative_feedback_rate must be within"):
        simulate_traffic(store, ["hi"], n=1, negative_feedback_rate=1.5)
    with pytest.raises(ValueError, match="prompts is empty"):
        simulate_traffic(store, [], n=1)
