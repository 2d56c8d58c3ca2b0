"""A source's withdrawn_rows list: listed rows leave the records for the quarantine, without their text."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune_platform.ingest import SourceSettings, ingest_source
from finetune_platform.ingest.sources import source_fingerprint
from finetune_platform.ingest.withdrawals import WithdrawnRowsError, read_withdrawn_rows, write_withdrawn_rows

SOURCE = SourceSettings(
    name="tickets", path="tickets/*.jsonl", format="jsonl", label_field="label", withdrawn_rows="tickets-withdrawn.csv"
)


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    (raw / "tickets").mkdir(parents=True)
    (raw / "tickets" / "a.jsonl").write_text(
        '{"text": "My card was charged twice", "label": "billing"}\n'
        '{"text": "Jane Roe, 12 Main St: please erase me", "label": "account"}\n'
        "not json\n"
        '{"text": "The app crashes on start", "label": "bug"}\n',
        encoding="utf-8",
    )
    return raw


def test_listed_rows_are_quarantined_without_their_text_and_counts_still_reconcile(tmp_path):
    raw = _raw(tmp_path)
    before = ingest_source(SOURCE, raw)  # no list yet: nothing withdrawn
    assert len(before.records) == 3 and before.stats["tickets"].withdrawn_not_found == 0
    (raw / "tickets-withdrawn.csv").write_text(
        "record_id,reason,requested_by\n"
        "tickets/tickets/a.jsonl#2,GDPR erasure request 4411,dpo@example.com\n"
        "tickets/tickets/a.jsonl#3,a malformed row: quarantined already\n"
        "tickets/tickets/gone.jsonl#1,\n"
        "\n",
        encoding="utf-8",
    )
    result = ingest_source(SOURCE, raw)
    assert result.records["record_id"].tolist() == ["tickets/tickets/a.jsonl#1", "tickets/tickets/a.jsonl#4"]
    withdrawn = result.quarantine[result.quarantine["reason_code"] == "withdrawn"]
    assert withdrawn[["source_file", "source_row"]].values.tolist() == [["tickets/a.jsonl", 3], ["tickets/a.jsonl", 2]]
    assert withdrawn["reason"].tolist() == [
        "tickets/a.jsonl, row 3: withdrawn by tickets-withdrawn.csv (a malformed row: quarantined already); it was "
        "quarantined as malformed_json before.",
        "tickets/a.jsonl, row 2: withdrawn by tickets-withdrawn.csv (GDPR erasure request 4411).",
    ]
    assert "Jane" not in result.quarantine.to_csv()  # the erased text travels nowhere, not even as an excerpt
    stats = result.stats["tickets"]
    assert (stats.rows_read, stats.rows_kept, stats.rows_quarantined) == (4, 2, 2)
    assert stats.quarantined_by_reason == {"withdrawn": 2}  # the malformed row is withdrawn too
    assert stats.withdrawn_not_found == 1  # the file that is gone
    assert result.reconciles(), result.reconciliation_problems()


def test_a_listed_row_quarantined_for_another_reason_loses_its_excerpt_and_reason_too(tmp_path):
    raw = tmp_path / "raw"
    (raw / "s").mkdir(parents=True)
    (raw / "s" / "a.csv").write_text(
        'text,category\n"=HYPERLINK(""http://x"") Jane Doe, SSN 123-45-6789",x\n'  # 1: formula_injection
        "Please delete my data jane@example.com,y\n"  # 2: kept
        "a,b,c\n"  # 3: malformed_csv, not listed
        "Where is my parcel?,z\n",  # 4: kept, not listed
        encoding="utf-8",
    )
    (raw / "s" / "withdrawn.csv").write_text(  # beside the data, matched by the source's own pattern
        "record_id,reason\nsrc/s/a.csv#1,GDPR erasure\nsrc/s/a.csv#2,GDPR erasure\n", encoding="utf-8"
    )
    source = SourceSettings(
        name="src", path="s/*.csv", format="csv", label_field="category", withdrawn_rows="s/withdrawn.csv"
    )
    result = ingest_source(source, raw)
    quarantine = result.quarantine
    assert quarantine[["source_file", "source_row", "reason_code"]].values.tolist() == [
        ["s/a.csv", 1, "withdrawn"],
        ["s/a.csv", 3, "malformed_csv"],
        ["s/a.csv", 2, "withdrawn"],
    ]
    assert "Jane" not in quarantine.to_csv() and "jane@" not in quarantine.to_csv()
    assert quarantine["excerpt"].tolist()[0] == "" and quarantine["reason"].tolist()[0] == (
        "s/a.csv, row 1: withdrawn by withdrawn.csv (GDPR erasure); it was quarantined as formula_injection before."
    )
    stats = result.stats["src"]
    assert (stats.files, stats.rows_read, stats.rows_kept, stats.rows_quarantined) == (1, 4, 1, 3)  # the list is no data
    assert stats.quarantined_by_reason == {"withdrawn": 2, "malformed_csv": 1}
    assert stats.withdrawn_not_found == 0
    assert result.reconciles(), result.reconciliation_problems()


def test_a_withdrawal_list_the_pattern_alone_matches_is_no_data(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "withdrawn.csv").write_text("record_id,reason\n", encoding="utf-8")
    source = SourceSettings(name="src", path="s/*.csv", format="csv", withdrawn_rows="s/withdrawn.csv")
    with pytest.raises(FileNotFoundError, match=r"matched no files but its withdrawn_rows list \(s/withdrawn.csv\)"):
        ingest_source(source, tmp_path)


def test_the_same_rows_are_withdrawn_when_the_file_cache_serves_the_files(tmp_path):
    raw = _raw(tmp_path)
    cache = tmp_path / "cache"
    ingest_source(SOURCE, raw, cache_dir=cache)  # fills the cache before anything is withdrawn
    write_withdrawn_rows(raw / "tickets-withdrawn.csv", {"tickets/tickets/a.jsonl#1": "taken back"}, "tickets")
    result = ingest_source(SOURCE, raw, cache_dir=cache)
    assert result.cache_stats["files_reused"] == 1
    assert "tickets/tickets/a.jsonl#1" not in set(result.records["record_id"])
    assert result.reconciles(), result.reconciliation_problems()


def test_withdrawing_a_row_changes_the_source_fingerprint(tmp_path):
    raw = _raw(tmp_path)
    first = source_fingerprint(SOURCE, raw)
    assert write_withdrawn_rows(raw / "tickets-withdrawn.csv", {"tickets/tickets/a.jsonl#2": "erasure"}, "tickets") == 1
    second = source_fingerprint(SOURCE, raw)
    assert second != first
    # listing the same row again writes nothing, so the fingerprint (and the sensor) stays still
    assert write_withdrawn_rows(raw / "tickets-withdrawn.csv", {"tickets/tickets/a.jsonl#2": "again"}, "tickets") == 0
    assert source_fingerprint(SOURCE, raw) == second
    assert read_withdrawn_rows(raw / "tickets-withdrawn.csv", "tickets") == {"tickets/tickets/a.jsonl#2": "erasure"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,reason\nx,y\n", "has no 'record_id' column"),
        ("record_id,reason\n,erase\n", "line 2: empty record_id"),
        ("record_id\ntickets/a.jsonl\n", "line 2: 'tickets/a.jsonl' is not a record id"),
        ("record_id\nemails/inbox.csv#3\n", "line 2: 'emails/inbox.csv#3' is a row of source 'emails'"),
    ],
)
def test_a_bad_withdrawal_list_stops_ingest_with_the_file_and_line(tmp_path, content, message):
    raw = _raw(tmp_path)
    (raw / "tickets-withdrawn.csv").write_text(content, encoding="utf-8")
    with pytest.raises(WithdrawnRowsError, match=message) as error:
        ingest_source(SOURCE, raw)
    assert "tickets-withdrawn.csv" in str(error.value)


def test_write_refuses_ids_of_another_source_and_writes_nothing(tmp_path):
    path = tmp_path / "withdrawn.csv"
    with pytest.raises(WithdrawnRowsError, match="not a record id of source 'tickets'"):
        write_withdrawn_rows(path, {"emails/inbox.csv#3": ""}, "tickets")
    assert not path.exists()
