"""Per-file ingest cache: a rerun reads only new or changed files and gives what reading every file gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from finetune_platform.ingest import SourceSettings, ingest_source
from finetune_platform.ingest.demo_data import generate_demo_corpus


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.records, b.records)
    pd.testing.assert_frame_equal(a.quarantine, b.quarantine)
    assert a.stats["emails"].as_dict() == b.stats["emails"].as_dict()


def test_a_rerun_reads_only_new_or_changed_files(tmp_path: Path) -> None:
    raw, cache = tmp_path / "raw", tmp_path / "cache"
    generate_demo_corpus(raw, n_tickets=200, seed=2)
    emails = raw / "emails"
    shutil.copy(emails / "emails.csv", emails / "emails_2.csv")
    (emails / "empty.csv").write_bytes(b"")
    (emails / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with (emails / "emails_2.csv").open("ab") as f:
        f.write(b"=cmd|' /C calc'!A0,hi,x,billing\n")  # quarantined, and cached as such
    source = SourceSettings(name="emails", path="emails/*.csv", format="csv", doc_type="email", title_field="subject",
                            text_field="body", response_field="agent_reply", label_field="category")

    first = ingest_source(source, raw, cache_dir=cache)
    _same(first, ingest_source(source, raw))
    assert first.cache_stats == {"files_read": 4, "files_reused": 0, "entries_pruned": 0}
    assert first.stats["emails"].empty_files == 1 and first.reconciles()

    again = ingest_source(source, raw, cache_dir=cache)
    _same(again, first)
    assert again.cache_stats == {"files_read": 0, "files_reused": 4, "entries_pruned": 0}

    shutil.copy(emails / "emails.csv", emails / "emails_3.csv")  # a new file
    with (emails / "emails.csv").open("ab") as f:  # and a changed one
        f.write(b"A late ticket,My parcel is late again,we are on it,shipping\n")
    third = ingest_source(source, raw, cache_dir=cache)
    _same(third, ingest_source(source, raw))
    assert third.cache_stats == {"files_read": 2, "files_reused": 3, "entries_pruned": 0}

    (emails / "emails_2.csv").unlink()  # a file gone: its entry goes too
    fourth = ingest_source(source, raw, cache_dir=cache)
    _same(fourth, ingest_source(source, raw))
    assert fourth.cache_stats == {"files_read": 0, "files_reused": 4, "entries_pruned": 1}
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 4


def test_other_source_settings_read_every_file_again(tmp_path: Path) -> None:
    raw, cache = tmp_path / "raw", tmp_path / "cache"
    generate_demo_corpus(raw, n_tickets=60, seed=2)
    source = SourceSettings(name="emails", path="emails/*.csv", format="csv", text_field="body", label_field="category")
    ingest_source(source, raw, cache_dir=cache)
    other = source.model_copy(update={"response_field": "agent_reply"})
    result = ingest_source(other, raw, cache_dir=cache)
    assert result.cache_stats["files_read"] == 1
    assert (result.records["response"] != "").any()


def test_a_new_description_reads_nothing_again_and_keeps_the_fingerprint(tmp_path: Path) -> None:
    """description is a note for people: no reader uses it, so editing it neither re-reads the files nor makes
    raw_files_sensor re-ingest the source."""
    from finetune_platform.ingest.sources import source_fingerprint

    raw, cache = tmp_path / "raw", tmp_path / "cache"
    generate_demo_corpus(raw, n_tickets=60, seed=2)
    source = SourceSettings(name="emails", path="emails/*.csv", format="csv", text_field="body", label_field="category")
    first = ingest_source(source, raw, cache_dir=cache)
    noted = source.model_copy(update={"description": "Support mailbox export, owner: support-ops"})
    again = ingest_source(noted, raw, cache_dir=cache)
    assert (again.cache_stats["files_read"], again.cache_stats["files_reused"]) == (0, 1)
    _same(first, again)
    assert source_fingerprint(noted, raw) == source_fingerprint(source, raw)
    assert source_fingerprint(source.model_copy(update={"doc_type": "email"}), raw) != source_fingerprint(source, raw)


def test_a_cache_entry_of_another_shape_reads_the_file_again(tmp_path: Path) -> None:
    raw, cache = tmp_path / "raw", tmp_path / "cache"
    generate_demo_corpus(raw, n_tickets=60, seed=2)
    source = SourceSettings(name="emails", path="emails/*.csv", format="csv", text_field="body", label_field="category")
    expected = ingest_source(source, raw)
    for payload in ("[]", '{"key": "x", "delta": {}}', '{"delta": 3}'):
        ingest_source(source, raw, cache_dir=cache)
        for entry in cache.rglob("entry-*.json"):
            entry.write_text(payload, encoding="utf-8")
        again = ingest_source(source, raw, cache_dir=cache)
        assert again.cache_stats["files_read"] == 1 and again.cache_stats["files_reused"] == 0, payload
        _same(again, expected)


def test_a_changed_pii_detector_invalidates_the_cached_quarantine_excerpts(tmp_path: Path) -> None:
    """Quarantine reasons and excerpts are PII-redacted (curation.pii.redact_then_cut) before they are cached:
    a release that improves a detector must read the files again, or the old redaction stays in quarantine."""
    import subprocess
    import sys

    import finetune_platform

    package = tmp_path / "finetune_platform"
    shutil.copytree(Path(finetune_platform.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    probe = "from finetune_platform.ingest.file_cache import reader_fingerprint; print(reader_fingerprint())"

    def fingerprint() -> str:
        return subprocess.run(
            [sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)},
            capture_output=True, text=True, check=True,
        ).stdout.strip()

    before = fingerprint()
    with (package / "curation" / "pii.py").open("a", encoding="utf-8") as f:
        f.write("\n# a detector improved\n")
    assert fingerprint() != before


def test_pruning_an_entry_never_fails_the_ingest(tmp_path: Path) -> None:
    """The entry of a file that left the source is deleted whatever it holds (a file another run of the
    partition writes there at that moment; here a folder, which unlink() cannot remove)."""
    raw, cache = tmp_path / "raw", tmp_path / "cache"
    generate_demo_corpus(raw, n_tickets=60, seed=2)
    source = SourceSettings(name="emails", path="emails/*.csv", format="csv", text_field="body", label_field="category")
    shutil.copy(raw / "emails" / "emails.csv", raw / "emails" / "gone.csv")
    ingest_source(source, raw, cache_dir=cache)
    (raw / "emails" / "gone.csv").unlink()
    for entry in cache.iterdir():
        (entry / "in-flight").mkdir()
    again = ingest_source(source, raw, cache_dir=cache)
    assert again.cache_stats == {"files_read": 0, "files_reused": 1, "entries_pruned": 1}
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 1


def test_an_unreadable_file_counts_as_read_not_as_missing(tmp_path: Path) -> None:
    """incremental_files_read + incremental_files_reused = the files of the source: a file that cannot be
    hashed (a link that leads nowhere) is not cached, it is read (and quarantined) on every run."""
    import os

    raw, cache = tmp_path / "raw", tmp_path / "cache"
    generate_demo_corpus(raw, n_tickets=60, seed=2)
    os.symlink(tmp_path / "nowhere.csv", raw / "emails" / "dangling.csv")
    source = SourceSettings(name="emails", path="emails/*.csv", format="csv", text_field="body", label_field="category")
    for expected in ({"files_read": 2, "files_reused": 0}, {"files_read": 1, "files_reused": 1}):
        result = ingest_source(source, raw, cache_dir=cache)
        assert {k: result.cache_stats[k] for k in expected} == expected
        assert result.stats["emails"].files == 2 and "unreadable_file" in set(result.quarantine["reason_code"])
