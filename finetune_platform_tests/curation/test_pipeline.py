"""curate(): all stages in order, the row invariant, the output contract and throughput."""

from __future__ import annotations

import json
import time

import pytest

from finetune_platform.curation import CURATED_COLUMNS, STAGES, CurationSettings, curate, scan_for_pii
from finetune_platform.schemas import DROPPED_COLUMNS

from .tickets import make_tickets, records


@pytest.fixture(scope="module")
def tickets():
    return make_tickets(600, seed=3)


@pytest.fixture(scope="module")
def curated(tickets):
    return curate(tickets, CurationSettings(require_response=True))


def test_every_row_is_kept_or_dropped_once(tickets, curated):
    kept, dropped = set(curated.records["record_id"]), curated.dropped["record_id"].tolist()
    assert len(curated.records) + len(curated.dropped) == len(tickets)
    assert len(dropped) == len(set(dropped)) and not kept & set(dropped)
    assert kept | set(dropped) == set(tickets["record_id"])
    stats = curated.stats
    assert stats["rows_in"] == 600 and stats["rows_out"] + stats["rows_dropped"] == 600
    assert sum(stats["dropped_by_reason"].values()) == stats["rows_dropped"]


def test_every_stage_drops_what_it_should(curated):
    by_stage = curated.dropped.groupby("stage")["reason"].apply(set).to_dict()
    assert by_stage == {
        "normalize": {"not_english"},
        "quality": {"empty_response", "one_word_response", "truncated_text"},
        "dedup": {"exact_duplicate", "near_duplicate"},
    }
    assert [name for name, _ in STAGES] == ["normalize", "pii", "quality", "dedup"]
    assert set(curated.stats["stages"]) == {"normalize", "pii", "quality", "dedup"}


def test_output_contract(curated):
    assert curated.records.columns.tolist() == CURATED_COLUMNS
    assert curated.dropped.columns.tolist() == DROPPED_COLUMNS
    assert curated.records["quality_score"].between(0.0, 1.0).all()
    assert curated.records["quality_score"].min() >= CurationSettings().min_quality_score
    counts = [json.loads(c) for c in curated.records["pii_counts"]]
    assert all(isinstance(c, dict) for c in counts) and any(c for c in counts)
    for messages in curated.records["messages"]:
        if messages:
            assert {t["role"] for t in json.loads(messages)} == {"user", "assistant"}


def test_no_pii_and_no_mojibake_survive(curated):
    fields = curated.records["text"].tolist() + curated.records["response"].tolist()
    assert scan_for_pii(fields) == []
    joined = "\n".join(fields)
    assert "Romántica" in joined and "Ã" not in joined
    assert "<PHONE_1>" in joined and "<EMAIL_1>" in joined


def test_extra_input_columns_travel_along():
    df = records({"text": "Where is my parcel? It was due on Monday.", "response": "It arrives tomorrow, sorry for the wait."})
    df["priority"] = ["high"]
    result = curate(df)
    assert result.records.columns.tolist() == CURATED_COLUMNS + ["priority"]
    assert result.records.loc[0, "priority"] == "high"


def test_empty_input_gives_empty_output():
    result = curate(records())
    assert len(result.records) == 0 and len(result.dropped) == 0
    assert result.records.columns.tolist() == CURATED_COLUMNS


def test_throughput_floor():
    """curate() runs at about 3,000 short tickets a second on one core here; fail on a 5x regression."""
    df = make_tickets(1000, seed=5)
    started = time.process_time()
    curate(df)
    per_second = len(df) / (time.process_time() - started)
    assert per_second > 600, f"curate() ran at {per_second:.0f} records/s"


def test_every_stage_runs_with_the_cyclic_gc_paused_and_resumes_it(tickets, monkeypatch):
    import gc

    from finetune_platform.curation import pii
    from finetune_platform.curation.config import cyclic_gc_paused

    seen: list[bool] = []
    real = pii._MemoFinder.scan

    def scan(self, text):
        seen.append(gc.isenabled())
        return real(self, text)

    monkeypatch.setattr(pii._MemoFinder, "scan", scan)
    assert gc.isenabled()
    curate(tickets.head(40), CurationSettings())
    assert seen and not any(seen)  # paused inside the PII stage
    assert gc.isenabled()  # and resumed after it

    @cyclic_gc_paused
    def failing(df, settings):
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        failing(None, None)
    assert gc.isenabled()  # resumed after an error too
    gc.disable()
    try:
        curate(tickets.head(10), CurationSettings())
        assert not gc.isenabled()  # a caller that paused it keeps it paused
    finally:
        gc.enable()
    assert [name for name, stage in STAGES if not hasattr(stage, "__wrapped__")] == []


def test_stages_overlapping_in_threads_resume_the_gc_only_when_the_last_ends():
    import gc
    import threading

    from finetune_platform.curation.config import cyclic_gc_paused

    first_in, release, states = threading.Event(), threading.Event(), []

    @cyclic_gc_paused
    def slow(df, settings):
        first_in.set()
        release.wait(10)
        states.append(gc.isenabled())

    @cyclic_gc_paused
    def quick(df, settings):
        states.append(gc.isenabled())

    worker = threading.Thread(target=slow, args=(None, None))
    worker.start()
    first_in.wait(10)
    quick(None, None)  # starts and ends while slow runs
    assert not gc.isenabled()  # slow still runs: still paused
    release.set()
    worker.join(10)
    assert states == [False, False] and gc.isenabled()
