"""Exact and MinHash near-duplicate removal, keeping the best record of each group."""

from __future__ import annotations

import pandas as pd

from finetune_platform.curation import CurationSettings, deduplicate
from finetune_platform.curation.dedup import dedup_key

from .tickets import records

BASE = (
    "My order has not arrived although the tracking page said it would be delivered on Monday morning, "
    "and nobody answered the phone when I called the courier twice"
)
REPLY = "Sorry for the delay, the courier confirmed delivery for tomorrow and I added a voucher to your account."


def scored(*rows: tuple[str, str, float]) -> pd.DataFrame:
    df = records(*({"text": t, "response": r} for t, r, _ in rows))
    df["quality_score"] = [q for _, _, q in rows]
    return df


def test_exact_key_ignores_case_whitespace_and_placeholder_numbers():
    assert dedup_key("Mail <EMAIL_1>  NOW", "ok") == dedup_key("mail <EMAIL_2> now", "ok")
    assert dedup_key("a b", "") != dedup_key("a", "b")


def test_exact_duplicates_keep_the_best_and_name_it(settings):
    df = scored(
        ("Where is my parcel <PERSON_1>?", "On its way.", 0.6),
        ("  WHERE is my parcel <PERSON_2>? ", "On its way.", 0.9),
        ("where is my parcel <PERSON_7>?", "On its way.", 0.9),
        ("Something else entirely", "Yes indeed.", 0.7),
    )
    result = deduplicate(df, settings)
    assert result.records["record_id"].tolist() == ["r2", "r4"]
    assert result.dropped[["record_id", "reason", "detail"]].values.tolist() == [
        ["r1", "exact_duplicate", "exact duplicate of r2"],
        ["r3", "exact_duplicate", "exact duplicate of r2"],  # tie at 0.9 goes to the lowest record_id
    ]
    assert result.stats["exact_duplicates"] == 2


def test_near_duplicates_cluster_and_keep_the_best(settings):
    df = scored(
        (BASE + ".", REPLY, 0.7),
        (BASE + " today.", REPLY, 0.95),
        (BASE.replace("Monday", "Tuesday") + ".", REPLY, 0.8),
        ("Please close my account and delete the data you hold about me as soon as possible.", "Done, it is closed.", 0.9),
    )
    result = deduplicate(df, settings)
    assert sorted(result.records["record_id"]) == ["r2", "r4"]
    near = result.dropped[result.dropped["reason"] == "near_duplicate"]
    assert sorted(near["record_id"]) == ["r1", "r3"]
    assert all(d.startswith("near-duplicate of r2 (Jaccard 0.") for d in near["detail"])
    example = result.stats["cluster_examples"][0]
    assert example["kind"] == "near" and example["kept"] == "r2" and sorted(example["dropped"]) == ["r1", "r3"]
    assert example["kept_excerpt"].startswith("My order has not arrived")
    assert result.stats["near_clusters"] == 1 and result.stats["duplicate_rate"] == 0.5


def test_threshold_and_switches(settings):
    df = scored((BASE + ".", REPLY, 0.7), (BASE + " today.", REPLY, 0.95))
    assert len(deduplicate(df, CurationSettings(near_dedup=False)).records) == 2
    assert len(deduplicate(df, CurationSettings(near_dup_threshold=0.95)).records) == 2
    exact = scored(("same text here", "same reply", 0.5), ("same text here", "same reply", 0.5))
    assert len(deduplicate(exact, CurationSettings(exact_dedup=False, near_dedup=False)).records) == 2


def test_results_are_reproducible(settings):
    df = scored(*[(f"{BASE} number {i % 7}", REPLY, 0.5 + (i % 3) / 10) for i in range(40)])
    first, second = deduplicate(df, settings), deduplicate(df, settings)
    assert first.records["record_id"].tolist() == second.records["record_id"].tolist()
    assert first.dropped.equals(second.dropped)
    assert len(first.records) + len(first.dropped) == 40
