"""Per-file incremental curation gives what a full run gives, and re-curates only changed files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from finetune_platform.curation import CurationSettings
from finetune_platform.curation.incremental import merge_stats, run_per_file
from finetune_platform.curation.normalize import normalize_records
from finetune_platform.curation.pii import redact_pii
from finetune_platform.curation.quality import score_quality
from finetune_platform.ingest import SourceSettings, ingest_source
from finetune_platform.ingest.demo_data import generate_demo_corpus

STAGES = [normalize_records, redact_pii, score_quality]


@pytest.fixture(scope="module")
def chats(tmp_path_factory) -> pd.DataFrame:
    """The demo chats as three files of one source (the second and third hold other chats)."""
    raw = tmp_path_factory.mktemp("raw")
    generate_demo_corpus(raw, n_tickets=240, seed=11)
    lines = (raw / "chats" / "chats.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    third = len(lines) // 3
    (raw / "chats" / "chats.jsonl").write_text("".join(lines[:third]), encoding="utf-8")
    (raw / "chats" / "chats_2.jsonl").write_text("".join(lines[third:2 * third]), encoding="utf-8")
    (raw / "chats" / "chats_3.jsonl").write_text("".join(lines[2 * third:]), encoding="utf-8")
    source = SourceSettings(name="chats", path="chats/*.jsonl", format="jsonl", doc_type="chat",
                            messages_field="messages", label_field="category")
    records = ingest_source(source, raw).records
    assert records["source_file"].nunique() == 3
    return records


def _inputs(records: pd.DataFrame, settings: CurationSettings) -> list[pd.DataFrame]:
    out, current = [], records
    for stage in STAGES:
        out.append(current)
        current = stage(current, settings).records
    return out


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.records.reset_index(drop=True), b.records.reset_index(drop=True))
    pd.testing.assert_frame_equal(
        a.dropped.reset_index(drop=True).astype(str), b.dropped.reset_index(drop=True).astype(str)
    )
    means = ("score_mean", "scorer_means")
    assert {k: v for k, v in a.stats.items() if k not in means} == {k: v for k, v in b.stats.items() if k not in means}
    if "score_mean" in a.stats:
        assert a.stats["score_mean"] == pytest.approx(b.stats["score_mean"], abs=1e-4)
        for name, value in a.stats["scorer_means"].items():
            assert value == pytest.approx(b.stats["scorer_means"][name], abs=1e-4)


@pytest.mark.parametrize("index", range(len(STAGES)), ids=[s.__name__ for s in STAGES])
def test_per_file_equals_a_full_run_and_reuses_unchanged_files(chats, tmp_path, index):
    settings = CurationSettings()
    stage = STAGES[index]
    df = _inputs(chats, settings)[index]
    full = stage(df, settings)

    first, reuse = run_per_file(stage, df, settings, tmp_path)
    _same(first, full)
    assert (reuse.files_curated, reuse.files_reused, reuse.rows_curated) == (3, 0, len(df))

    again, reuse = run_per_file(stage, df, settings, tmp_path)
    _same(again, full)
    assert (reuse.files_curated, reuse.files_reused, reuse.rows_reused) == (0, 3, len(df))

    # one row of the second file changes: only that file is curated again
    changed = df.copy()
    row = changed.index[changed["source_file"] == "chats/chats_2.jsonl"][0]
    changed.loc[row, "text"] = changed.loc[row, "text"] + " Please call me back at +44 20 7946 0958."
    result, reuse = run_per_file(stage, changed, settings, tmp_path)
    _same(result, stage(changed, settings))
    assert (reuse.files_curated, reuse.files_reused) == (1, 2)
    assert reuse.rows_curated == int((df["source_file"] == "chats/chats_2.jsonl").sum())

    # more PII workers change how, not what: every file is read back
    _, reuse = run_per_file(stage, changed, settings.model_copy(update={"pii_workers": 4}), tmp_path)
    assert reuse.files_curated == 0 and reuse.files_reused == 3
    # another setting of this stage: everything again; another stage's: nothing; a file gone: its entry goes too
    own = {"normalize_records": {"min_text_chars": 12}, "redact_pii": {"phone_regions": ["US"]},
           "score_quality": {"min_quality_score": 0.6}}[stage.__name__]
    _, reuse = run_per_file(stage, df, settings.model_copy(update=own), tmp_path)
    assert reuse.files_curated == 3
    other = {"normalize_records": {"phone_regions": ["US"]}, "redact_pii": {"min_quality_score": 0.6},
             "score_quality": {"min_text_chars": 12}}[stage.__name__]
    _, reuse = run_per_file(stage, df, settings.model_copy(update={**own, **other}), tmp_path)
    assert reuse.files_curated == 0 and reuse.files_reused == 3
    _, reuse = run_per_file(stage, df[df["source_file"] != "chats/chats_3.jsonl"], settings, tmp_path)
    assert reuse.entries_pruned == 1 and len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2


def test_a_source_whose_rows_are_all_gone_leaves_no_cached_rows(chats, tmp_path):
    """Every row withdrawn (an erasure request) or every file deleted: the stage gets an empty frame, and the
    cached entries, normalised text not yet redacted, are deleted like those of any file no longer there."""
    settings = CurationSettings()
    run_per_file(normalize_records, chats, settings, tmp_path)
    assert list(tmp_path.rglob("records-*.parquet"))
    result, reuse = run_per_file(normalize_records, chats.iloc[0:0], settings, tmp_path)
    assert result.records.empty and reuse.entries_pruned == 3
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_the_raw_file_hash_travels_through_every_stage(chats):
    """raw_corpus adds each record's file SHA-256 (schemas.SOURCE_SHA256_COLUMN); curation keeps it, so the
    training set's manifest can record the content its examples were curated from."""
    from finetune_platform.curation import curate
    from finetune_platform.ingest.raw_files import with_source_sha256
    from finetune_platform.schemas import SOURCE_SHA256_COLUMN

    files = {f: {"sha256": f"{i:064d}"} for i, f in enumerate(sorted(chats["source_file"].unique()))}
    records = with_source_sha256(chats, files)
    curated = curate(records, CurationSettings()).records
    assert len(curated) and SOURCE_SHA256_COLUMN in curated.columns
    expected = curated["source_file"].map(lambda f: files[f]["sha256"])
    assert curated[SOURCE_SHA256_COLUMN].tolist() == expected.tolist()


def test_a_damaged_cache_entry_is_curated_again(chats, tmp_path):
    settings = CurationSettings()
    run_per_file(normalize_records, chats, settings, tmp_path)
    entry = next(p for p in tmp_path.iterdir() if p.is_dir())
    next(entry.glob("records-*.parquet")).write_bytes(b"not parquet")
    result, reuse = run_per_file(normalize_records, chats, settings, tmp_path)
    assert (reuse.files_curated, reuse.files_reused) == (1, 2)
    _same(result, normalize_records(chats, settings))


def test_merge_stats_adds_counts_and_weights_means():
    a = {"rows_in": 1, "dropped_by_reason": {"b": 1}, "score_histogram": {"bin_edges": [0, 1], "counts": [1, 0]},
         "score_mean": 0.5, "scorer_means": {"tone": 1.0}, "redacted": True}
    b = {"rows_in": 3, "dropped_by_reason": {"a": 2}, "score_histogram": {"bin_edges": [0, 1], "counts": [0, 3]},
         "score_mean": 0.9, "scorer_means": {"tone": 0.0}, "redacted": True}
    assert merge_stats([a, b]) == {
        "rows_in": 4, "dropped_by_reason": {"a": 2, "b": 1}, "score_histogram": {"bin_edges": [0, 1], "counts": [1, 3]},
        "score_mean": 0.8, "scorer_means": {"tone": 0.25}, "redacted": True,
    }
    with pytest.raises(ValueError, match="differ between files"):
        merge_stats([a, {**b, "redacted": False}])


def test_new_file_in_a_source_curates_only_that_file_through_dagster(tmp_path):
    """The issue's measurement: a rerun with one new file does not re-curate the rest."""
    import dagster as dg

    from finetune_platform.definitions import build_definitions
    from finetune_platform.defs.partitions import SOURCE_PARTITIONS
    from finetune_platform.settings import PACKAGE_ROOT, Settings

    (tmp_path / "data").mkdir()
    shutil.copy(PACKAGE_ROOT / "data" / "sources.yaml", tmp_path / "data" / "sources.yaml")
    settings = Settings.for_root(tmp_path)
    generate_demo_corpus(settings.raw_dir, n_tickets=120, seed=3)
    job = build_definitions(settings).resolve_job_def("ingest_job")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["emails"])
        assert job.execute_in_process(instance=instance, partition_key="emails").success
        emails = Path(settings.raw_dir) / "emails"
        old_rows = len((emails / "emails.csv").read_text(encoding="utf-8").splitlines())
        new = emails / "emails_2026_12.csv"
        shutil.copy(emails / "emails.csv", new)
        gone = settings.artifacts_dir / "curation" / "cache" / "normalized_records" / "removed_source"
        (gone / "entry").mkdir(parents=True)  # the cache of a source that is no longer a partition
        assert job.execute_in_process(instance=instance, partition_key="emails").success
        assert not gone.exists()
        ingested = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("raw_corpus"), asset_partitions=["emails"]), limit=1
        ).records[0].asset_materialization.metadata
        assert (ingested["incremental_files_read"].value, ingested["incremental_files_reused"].value) == (1, 1)
        for asset in ("normalized_records", "pii_redacted_records", "scored_records"):
            meta = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=["emails"]), limit=1
            ).records[0].asset_materialization.metadata
            assert meta["incremental_files_curated"].value == 1, asset
            assert meta["incremental_files_reused"].value == 1, asset
            assert 0 < meta["incremental_rows_curated"].value < old_rows, asset


def test_a_chain_of_stages_curates_only_the_new_file_at_every_stage(chats, tmp_path):
    """Stage 2's input mixes stage 1's cached (read back from Parquet) and fresh results: the fingerprint
    must see the same values as the same values (pickle did not: it encodes string identity)."""
    settings = CurationSettings()
    new_file = "chats/chats_3.jsonl"

    def chain(df):
        reuses = []
        for stage in STAGES:
            result, reuse = run_per_file(stage, df, settings, tmp_path / stage.__name__)
            reuses.append(reuse)
            df = result.records
        return df, reuses

    chain(chats[chats["source_file"] != new_file])
    final, reuses = chain(chats)
    assert [(r.files_curated, r.files_reused) for r in reuses] == [(1, 2)] * 3
    expected = chats
    for stage in STAGES:
        expected = stage(expected, settings).records
    pd.testing.assert_frame_equal(final, expected)


def test_files_of_two_writers_are_never_mixed(chats, tmp_path):
    """Each file of an entry carries its key: a second writer (another run of the partition, on other rows)
    leaves the first writer's entry readable only under its own key, never half of each."""
    from finetune_platform.curation.incremental import _read_entry, _write_entry

    settings = CurationSettings()
    one = chats[chats["source_file"] == "chats/chats.jsonl"].reset_index(drop=True)
    a, b = normalize_records(one, settings), normalize_records(one.iloc[:3], settings)
    folder = tmp_path / "entry"
    _write_entry(folder, "KA", "f", a)
    _write_entry(folder, "KB", "f", b)
    assert _read_entry(folder, "KA") is None  # replaced by KB's entry, not mixed with it
    assert len(_read_entry(folder, "KB").records) == len(b.records) == 3
    assert sorted(p.name for p in folder.iterdir()) == ["dropped-KB.parquet", "entry-KB.json", "records-KB.parquet"]


def test_a_setting_re_curates_its_own_stage_and_only_what_its_output_changes(chats, tmp_path):
    """Each stage's cache is keyed on its own section of data/curation.yaml: a quality threshold changed
    re-scores every file but neither re-normalises nor re-redacts; a dedup setting (no per-source stage reads
    it) re-curates nothing."""
    settings = CurationSettings()

    def chain(s):
        df, counts = chats, []
        for stage in STAGES:
            result, reuse = run_per_file(stage, df, s, tmp_path / stage.__name__)
            counts.append(reuse.files_curated)
            df = result.records
        return df, counts

    chain(settings)
    final, counts = chain(settings.model_copy(update={"min_quality_score": 0.6}))
    assert counts == [0, 0, 3]
    expected = chats
    for stage in STAGES:
        expected = stage(expected, settings.model_copy(update={"min_quality_score": 0.6})).records
    pd.testing.assert_frame_equal(final, expected)
    assert chain(settings.model_copy(update={"min_quality_score": 0.6, "near_dup_threshold": 0.9}))[1] == [0, 0, 0]
    assert chain(settings.model_copy(update={"min_quality_score": 0.6, "phone_regions": ["US"]}))[1][:2] == [0, 3]


def test_a_cache_entry_of_another_shape_is_curated_again(chats, tmp_path):
    """Valid JSON that is not an entry (a list, no stats, another key) is damage like a truncated file: the
    file is curated again, no KeyError or TypeError stops the run."""
    settings = CurationSettings()
    expected = normalize_records(chats, settings)
    for payload in ("[]", '{"key": "x"}', '{"stats": 3}'):
        run_per_file(normalize_records, chats, settings, tmp_path)
        for entry in tmp_path.rglob("entry-*.json"):
            entry.write_text(payload, encoding="utf-8")
        result, reuse = run_per_file(normalize_records, chats, settings, tmp_path)
        assert (reuse.files_curated, reuse.files_reused) == (3, 0), payload
        _same(result, expected)


def test_the_code_fingerprint_covers_every_library_the_per_source_stages_import():
    """A library upgrade can change a stage's output (phonenumbers' data, the PII gates' Aho-Corasick
    matcher): each one the per-source stages import, directly or through the curation modules they import,
    is part of the cache key."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    from finetune_platform.curation import incremental

    folder = Path(incremental.__file__).parent
    distributions = packages_distributions()
    todo, seen, libraries = ["normalize", "pii", "quality", "pii_workers", "config"], set(), set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for node in ast.walk(ast.parse((folder / f"{module}.py").read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if name.startswith("finetune_platform.curation."):
                    todo.append(name.split(".")[2])
                elif isinstance(node, ast.ImportFrom) and name == "finetune_platform.curation":
                    todo += [a.name for a in node.names if (folder / f"{a.name}.py").is_file()]
                elif top not in sys.stdlib_module_names and top not in ("finetune_platform", "pydantic"):
                    libraries.update(distributions.get(top, [top]))
    assert libraries, "no library found: the walk is broken"
    assert not {d.lower().replace("_", "-") for d in libraries} - {d.lower() for d in incremental._LIBRARIES}


def test_what_a_run_did_is_not_read_back_from_the_cache(chats, tmp_path):
    """texts_scanned_in_workers (metadata of pii_redacted_records) counts the texts this run's worker pool
    scanned: a file read back from the cache was scanned by none, whatever the run that cached it did."""
    settings = CurationSettings()

    def pooled(df, s):
        result = redact_pii(df, s)
        result.stats.update(texts_scanned_in_workers=len(df), pii_pool_failures=1)  # as a run with a pool reports
        return result

    first, _ = run_per_file(pooled, chats, settings, tmp_path, stage_name="pii")
    assert first.stats["texts_scanned_in_workers"] == len(chats) and first.stats["pii_pool_failures"] == 3
    again, reuse = run_per_file(pooled, chats, settings, tmp_path, stage_name="pii")
    assert reuse.files_reused == 3
    assert again.stats["texts_scanned_in_workers"] == 0 and "pii_pool_failures" not in again.stats
    assert again.stats["rows_in"] == len(chats)


def test_a_failed_or_killed_writer_leaves_no_temporary_file_for_good(tmp_path):
    """A write that fails (disk full) removes its temporary file; one a killed run left is deleted by the
    next writer of the entry once it is old, while a concurrent writer's fresh one is left alone."""
    import os
    import time

    from finetune_platform.keyed_files import STALE_TMP_SECONDS, write_entry

    def fail(path):
        path.write_bytes(b"half")
        raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_entry(tmp_path, "K1", [("records.parquet", fail)])
    assert not list(tmp_path.iterdir())
    killed, concurrent = tmp_path / ".records.parquet.dead.tmp", tmp_path / ".records.parquet.live.tmp"
    killed.write_bytes(b"half")
    concurrent.write_bytes(b"half")
    old = time.time() - STALE_TMP_SECONDS - 60
    os.utime(killed, (old, old))
    write_entry(tmp_path, "K2", [("entry.json", lambda p: p.write_text("{}"))])
    assert sorted(p.name for p in tmp_path.iterdir()) == [concurrent.name, "entry-K2.json"]
