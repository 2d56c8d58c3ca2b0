"""Rows read = quarantined + dropped (by named reason) + kept, per source, from raw files to curated records."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from finetune_platform.curation import CurationSettings, curate
from finetune_platform.curation.accounting import row_accounting
from finetune_platform.curation.review import REVIEW_COLUMNS, ReviewSettings, apply_reviews
from finetune_platform.ingest import SourceSettings, ingest_sources


def _jsonl(*rows: object) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


REPLY = "Thanks for reporting this. I have escalated the ticket and you will hear from us within two days."


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """Hostile files of every kind the issue names, plus rows each curation stage drops, through ingest,
    curate and human review."""
    raw = tmp_path_factory.mktemp("raw")
    good = [
        {"text": text, "response": REPLY, "label": "shipping"}
        for text in (
            "My order has not arrived after two weeks, where is it?",
            "The tracking page shows an error whenever I open the link from the e-mail",
            "Can you change the delivery address of the parcel to my office instead?",
        )
    ]
    _write(
        raw / "tickets" / "tickets.jsonl",
        _jsonl(*good)
        + _jsonl(good[0])  # exact duplicate of the first: dropped by dedup
        + _jsonl({"text": "Meine Bestellung ist nicht angekommen, bitte helfen Sie mir sofort", "response": REPLY})
        + _jsonl({"text": "The invoice for my account shows the wrong amount this month", "response": "ok"})
        + b'{"text": "the export stopped in the mid\n'  # truncated JSON
        + b'{"text": "caf\xe9 au lait is what I ordered"}\n'  # invalid UTF-8
        + _jsonl({"body": "wrong schema: no text field"})
        + b'{"text": "' + b"a" * 50_000_000 + b'"}\n'  # a 50 MB single line
        + _jsonl({"text": "After the huge line my password reset link still does not work", "response": REPLY}),
    )
    _write(raw / "tickets" / "empty.jsonl", b"")
    _write(raw / "tickets" / "image.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")  # binary renamed .jsonl
    _write(
        raw / "mail" / "mail.csv",
        b"text,reply,category\n"
        b'"My card was charged twice for\none subscription, please refund",' + REPLY.encode() + b",billing\n"
        b"=cmd|' /C calc'!A0," + REPLY.encode() + b",billing\n"  # formula injection
        b"a,b,c,d\n"  # wrong column count
        b"I cannot log in to the app since the update yesterday evening," + REPLY.encode() + b",account\n",
    )
    sources = [
        SourceSettings(name="tickets", path="tickets/*.jsonl", format="jsonl", response_field="response"),
        SourceSettings(name="mail", path="mail/*.csv", format="csv", response_field="reply", label_field="category"),
    ]
    ingest = ingest_sources(sources, raw)
    curated = curate(ingest.records, CurationSettings())
    reviews = pd.DataFrame(
        [["mail/mail/mail.csv#4", "ann", "reject", "", "not a real ticket"]], columns=REVIEW_COLUMNS[:-1]
    ).assign(origin="ann.csv:data row 1")
    outcome = apply_reviews(curated.records, reviews, ReviewSettings(min_reviewers_per_item=1))
    dropped = pd.concat([curated.dropped, outcome.rejected], ignore_index=True)
    read = {name: s.rows_read for name, s in ingest.stats.items()}
    return ingest, dropped, outcome.records, read


def test_every_row_read_is_quarantined_dropped_with_a_reason_or_kept(books):
    ingest, dropped, kept, read = books
    books_ = row_accounting(ingest.records, ingest.quarantine, dropped, kept, rows_read=read)
    assert books_.problems == []
    table = books_.table.set_index("source")
    assert table.loc["tickets"].to_dict() == {
        "read": 12, "quarantined": 5, "merged": 0, "dropped_normalize": 1, "dropped_pii": 0, "dropped_quality": 1,
        "dropped_dedup": 1, "dropped_human_review": 0, "dropped": 3, "kept": 4, "balanced": True,
    }
    assert table.loc["mail"].to_dict() == {
        "read": 4, "quarantined": 2, "merged": 0, "dropped_normalize": 0, "dropped_pii": 0, "dropped_quality": 0,
        "dropped_dedup": 0, "dropped_human_review": 1, "dropped": 1, "kept": 1, "balanced": True,
    }
    assert books_.reasons == {
        "tickets": {"dedup: exact_duplicate": 1, "normalize: not_english": 1, "quality: one_word_response": 1},
        "mail": {"human_review: human_rejected": 1},
    }
    assert ingest.stats["tickets"].quarantined_by_reason == {
        "binary_file": 1, "malformed_json": 1, "invalid_encoding": 1, "missing_field": 1, "oversized": 1,
    }
    assert ingest.stats["tickets"].empty_files == 1  # an empty file holds no row to count
    assert ingest.stats["mail"].quarantined_by_reason == {"formula_injection": 1, "malformed_csv": 1}
    assert books_.summary() == {
        "read": 16, "quarantined": 7, "merged": 0, "dropped_normalize": 1, "dropped_pii": 0, "dropped_quality": 1,
        "dropped_dedup": 1, "dropped_human_review": 1, "dropped": 4, "kept": 5,
    }


def test_a_row_lost_between_stages_is_named(books):
    ingest, dropped, kept, read = books
    lost = row_accounting(ingest.records, ingest.quarantine, dropped, kept.iloc[1:], rows_read=read)
    assert not lost.balanced
    assert any("neither dropped nor curated (lost silently" in p and repr(kept["record_id"].iloc[0]) in p
               for p in lost.problems)
    assert not lost.table["balanced"].all()


def test_double_drops_unknown_ids_reasonless_drops_and_miscounted_reads_are_named(books):
    ingest, dropped, kept, read = books
    twice = pd.concat([dropped, dropped.iloc[:1]], ignore_index=True)
    assert any("dropped more than once" in p for p in row_accounting(ingest.records, ingest.quarantine, twice, kept).problems)
    both = pd.concat([dropped, kept[["record_id"]].iloc[:1].assign(stage="pii", reason="x", detail="")])
    assert any("both dropped and curated" in p for p in row_accounting(ingest.records, ingest.quarantine, both, kept).problems)
    stranger = pd.concat([dropped, pd.DataFrame([["elsewhere#1", "pii", "x", ""]], columns=dropped.columns)])
    assert any("not in the raw corpus: 'elsewhere#1'" in p
               for p in row_accounting(ingest.records, ingest.quarantine, stranger, kept).problems)
    silent = dropped.assign(reason=[""] + dropped["reason"].tolist()[1:])
    assert any("without a reason" in p for p in row_accounting(ingest.records, ingest.quarantine, silent, kept).problems)
    miscounted = row_accounting(ingest.records, ingest.quarantine, dropped, kept, rows_read={**read, "mail": 5})
    assert any("ingest read 5 rows" in p for p in miscounted.problems)


def test_rows_merged_at_ingest_balance_the_books(tmp_path):
    """A platform Alpaca export's classify and reply rows of one ticket become one record at ingest: the
    reply row is counted as merged, so read = quarantined + merged + dropped + kept still holds."""
    from finetune_platform.formats.interchange import ALPACA_INSTRUCTIONS

    _write(tmp_path / "a.jsonl", _jsonl(
        {"instruction": ALPACA_INSTRUCTIONS["classify"], "input": "Where is my parcel?", "output": "shipping",
         "id": "t#1::classify", "label": "shipping"},
        {"instruction": ALPACA_INSTRUCTIONS["reply"], "input": "Where is my parcel?", "output": REPLY,
         "id": "t#1::reply", "label": ""},
    ))
    ingest = ingest_sources([SourceSettings(name="a", path="a.jsonl", format="alpaca")], tmp_path)
    read = {"a": ingest.stats["a"].rows_read}
    kept = ingest.records[["record_id"]]
    empty = pd.DataFrame(columns=["record_id", "stage", "reason", "detail"])
    assert read == {"a": 2} and len(kept) == 1
    assert not row_accounting(ingest.records, ingest.quarantine, empty, kept, rows_read=read).balanced
    books_ = row_accounting(ingest.records, ingest.quarantine, empty, kept, rows_read=read, rows_merged={"a": 1})
    assert books_.problems == [] and books_.summary()["merged"] == 1
