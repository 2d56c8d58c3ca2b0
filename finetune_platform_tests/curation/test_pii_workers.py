"""The PII stage in worker processes (``pii_workers``): the same output as in one process, blocks, fallback."""

from __future__ import annotations

import json
import logging
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from finetune_platform.curation import CurationSettings, curate, pii, pii_workers
from finetune_platform.ingest import ingest_sources
from finetune_platform.ingest.demo_data import demo_sources, generate_demo_corpus


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory, pii_labelled: list[dict]) -> pd.DataFrame:
    """Demo chats and emails, the labelled PII set's texts as records, and a row whose messages are not JSON."""
    root = tmp_path_factory.mktemp("demo")
    generate_demo_corpus(root, n_tickets=500, seed=11)
    demo = ingest_sources(demo_sources(), root).records
    extra = demo.sample(len(pii_labelled) + 1, replace=True, random_state=0).reset_index(drop=True)
    extra["record_id"] = [f"labelled-{i}" for i in range(len(extra))]
    texts = [ex["text"] for ex in pii_labelled] + ["Hi, Maria Lopez here, call me on +44 20 7946 0958"]
    extra["text"] = texts
    extra["response"] = ["Thanks, we will call you back." for _ in texts]
    # every third as a chat whose turns are the text's lines; the last row's messages do not parse
    extra["messages"] = [
        json.dumps([{"role": "user", "content": line} for line in t.split("\n")]) if i % 3 == 0 else ""
        for i, t in enumerate(texts)
    ]
    extra.loc[extra.index[-1], "messages"] = '[{"role": "user", "content": "cut off'
    return pd.concat([demo, extra], ignore_index=True)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of ~400 texts sent to the pool from 50 texts up, in chunks of 16: several blocks and rounds."""
    monkeypatch.setattr(pii_workers, "MIN_TEXTS", 50)
    monkeypatch.setattr(pii_workers, "BLOCK_TEXTS", 400)
    monkeypatch.setattr(pii_workers, "CHUNK", 16)


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.records, b.records)
    pd.testing.assert_frame_equal(a.dropped, b.dropped)


def test_workers_give_the_output_of_one_process(records: pd.DataFrame, small_blocks: None) -> None:
    one = curate(records, CurationSettings())
    two = curate(records, CurationSettings(pii_workers=2))
    _same(one, two)
    stats = two.stats["stages"]["pii"]
    assert stats["texts_scanned_in_workers"] > 1_000  # the pool did the scanning, not the record loop
    assert "pii_pool_failures" not in stats
    assert one.stats["stages"]["pii"]["texts_scanned_in_workers"] == 0
    assert two.stats["pii_found_by_type"] == one.stats["pii_found_by_type"]
    assert sum(two.stats["pii_found_by_type"].values()) > 500
    assert two.stats["dropped_by_reason"].get("invalid_messages") == 1


def test_only_counting_some_types_in_workers_counts_the_same(records: pd.DataFrame, small_blocks: None) -> None:
    some = {"redact_pii": False, "pii_types": ["EMAIL", "PHONE", "PERSON"], "phone_regions": ["GB"]}
    one = curate(records, CurationSettings(**some))
    two = curate(records, CurationSettings(**some, pii_workers=2))
    _same(one, two)
    assert set(two.stats["pii_found_by_type"]) == {"EMAIL", "PHONE", "PERSON"}
    assert two.stats["stages"]["pii"]["texts_scanned_in_workers"] > 1_000
    assert two.records["text"].tolist() == curate(records, CurationSettings(redact_pii=False)).records["text"].tolist()


def test_a_memo_smaller_than_the_input_is_emptied_between_blocks(
    records: pd.DataFrame, small_blocks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = curate(records, CurationSettings())

    class SmallMemo(pii._MemoFinder):
        def __init__(self, redactor: pii.PiiRedactor) -> None:
            super().__init__(redactor, max_texts=700)

    monkeypatch.setattr(pii, "_MemoFinder", SmallMemo)
    two = curate(records, CurationSettings(pii_workers=2))
    _same(one, two)
    assert two.stats["stages"]["pii"]["texts_scanned_in_workers"] > 1_000


def test_small_input_stays_in_this_process(records: pd.DataFrame) -> None:
    """Below MIN_TEXTS distinct texts a pool costs more than it saves."""
    result = curate(records.head(100), CurationSettings(pii_workers=2))
    assert result.stats["stages"]["pii"]["texts_scanned_in_workers"] == 0
    _same(curate(records.head(100), CurationSettings()), result)


def test_a_failed_pool_falls_back_to_this_process(
    records: pd.DataFrame, small_blocks: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def map(self, *args, **kwargs):
            raise BrokenProcessPool("a worker was killed")

        def shutdown(self, **kwargs) -> None:
            pass

    monkeypatch.setattr(pii_workers, "_pool", lambda workers: Broken())
    with caplog.at_level(logging.WARNING, logger=pii_workers.__name__):
        result = curate(records, CurationSettings(pii_workers=3))
    _same(curate(records, CurationSettings()), result)
    stats = result.stats["stages"]["pii"]
    assert stats["texts_scanned_in_workers"] == 0
    assert stats["pii_pool_failures"] >= 2
    assert "pool of 3 worker processes failed (BrokenProcessPool: a worker was killed)" in caplog.text


def test_zero_workers_means_one_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pii_workers, "available_cores", lambda: 6)
    assert pii_workers.resolve_workers(0) == 6
    assert pii_workers.resolve_workers(3) == 3


def test_a_negative_worker_count_is_refused() -> None:
    with pytest.raises(ValidationError, match="pii_workers"):
        CurationSettings(pii_workers=-1)


def test_the_labelled_set_scans_the_same_in_a_worker(pii_labelled: list[dict], tmp_path: Path) -> None:
    """The worker's own scan function, run here, returns what the redactor's does (types as configured)."""
    texts = [ex["text"] for ex in pii_labelled]
    redactor = pii.PiiRedactor(types=["PERSON", "ADDRESS", "PHONE"], phone_regions=["GB"])
    key = (tuple(sorted(redactor.types)), tuple(redactor.phone_regions))
    assert pii_workers._scan_chunk(key, 7, texts) == [redactor._scan(t, None) for t in texts]
    assert pii_workers._phones  # libphonenumber's verdicts memoised for the batch ...
    pii_workers._scan_chunk(key, 8, texts[:1])
    assert pii_workers._batch == [8] and len(pii_workers._phones) < 5  # ... and forgotten with the next
