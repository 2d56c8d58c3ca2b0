"""A new file in one source re-ingests and re-curates that source only (per-source partitions)."""

import shutil

import dagster as dg

from finetune_platform.definitions import build_definitions
from finetune_platform.defs.automation import raw_files_sensor
from finetune_platform.defs.partitions import SOURCE_PARTITIONS
from finetune_platform.ingest.demo_data import generate_demo_corpus
from finetune_platform.resources import PlatformResource
from finetune_platform.settings import PACKAGE_ROOT, Settings

PER_SOURCE = ("raw_corpus", "normalized_records", "pii_redacted_records", "scored_records")


def _materializations(instance: dg.DagsterInstance, asset: str, partition: str) -> int:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=100
    ).records
    return len(records)


def _demo_project(root, n_tickets: int) -> Settings:
    """A project at ``root`` with the shipped data/sources.yaml and the demo corpus (seed 3)."""
    (root / "data").mkdir()
    shutil.copy(PACKAGE_ROOT / "data" / "sources.yaml", root / "data" / "sources.yaml")
    settings = Settings.for_root(root)
    generate_demo_corpus(settings.raw_dir, n_tickets=n_tickets, seed=3)
    return settings


def test_new_file_reprocesses_only_its_source(tmp_path) -> None:
    settings = _demo_project(tmp_path, 120)
    defs = build_definitions(settings)
    resources = {"platform": PlatformResource(root=str(tmp_path))}
    job = defs.resolve_job_def("ingest_job")
    with dg.instance_for_test() as instance:
        first = raw_files_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, first.dynamic_partitions_requests[0].partition_keys)
        for request in first.run_requests:
            assert job.execute_in_process(instance=instance, partition_key=request.partition_key).success
        rows_before = {
            p: instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey("raw_corpus"), asset_partitions=[p]), limit=1
            ).records[0].asset_materialization.metadata["rows_read"].value
            for p in ("chats", "emails", "notes")
        }

        # A sensor that has not seen the sources yet (a first `make ui` after `make demo`, an empty cursor)
        # requests nothing: each source was ingested from its current files already.
        fresh = raw_files_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(fresh, dg.SkipReason) and "none of the 5 sources changed" in fresh.skip_message

        # a second e-mail export lands in the emails folder
        emails = settings.raw_dir / "emails"
        shutil.copy(emails / "emails.csv", emails / "emails_2026_12.csv")
        second = raw_files_sensor(
            dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources)
        )
        assert [r.partition_key for r in second.run_requests] == ["emails"]
        for request in second.run_requests:
            assert job.execute_in_process(instance=instance, partition_key=request.partition_key).success

        for asset in PER_SOURCE:
            assert _materializations(instance, asset, "emails") == 2, asset
            assert _materializations(instance, asset, "chats") == 1, asset
            assert _materializations(instance, asset, "notes") == 1, asset
        emails_after = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("raw_corpus"), asset_partitions=["emails"]), limit=1
        ).records[0].asset_materialization.metadata["rows_read"].value
        assert emails_after == 2 * rows_before["emails"]
        # each ingest indexes the files it read (SHA-256, CSV rows' first lines) for the training set's manifest
        from finetune_platform.ingest.raw_files import RAW_FILES_DIR, read_raw_files_index

        index = read_raw_files_index(settings.artifacts_dir / RAW_FILES_DIR, ["emails", "chats"])
        assert sorted(index["emails"]) == ["emails/emails.csv", "emails/emails_2026_12.csv"]
        assert index["emails"]["emails/emails.csv"]["sha256"] == index["emails"]["emails/emails_2026_12.csv"]["sha256"]
        assert len(index["emails"]["emails/emails.csv"]["first_lines"]) == rows_before["emails"]
        assert list(index["chats"]) == ["chats/chats.jsonl"] and "first_lines" not in index["chats"]["chats/chats.jsonl"]


def test_a_file_landing_during_ingest_is_not_taken_for_ingested(tmp_path, monkeypatch) -> None:
    """The fingerprint a raw_corpus run records is of the files it read: one written while it read (a
    feedback batch, an export landing) leaves the source changed for the sensor."""
    from finetune_platform.ingest import readers

    settings = _demo_project(tmp_path, 60)
    resources = {"platform": PlatformResource(root=str(tmp_path))}
    job = build_definitions(settings).resolve_job_def("ingest_job")
    real = readers.ingest_source

    def ingest_while_a_file_lands(source, raw_dir, **kwargs):
        result = real(source, raw_dir, **kwargs)
        emails = settings.raw_dir / "emails"
        shutil.copy(emails / "emails.csv", emails / "emails_late.csv")  # after the files were read
        return result

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["chats", "emails", "notes", "feedback"])
        monkeypatch.setattr(readers, "ingest_source", ingest_while_a_file_lands)
        assert job.execute_in_process(instance=instance, partition_key="emails").success
        monkeypatch.setattr(readers, "ingest_source", real)
        for source in ("chats", "notes"):
            assert job.execute_in_process(instance=instance, partition_key=source).success
        fresh = raw_files_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        requested = {r.partition_key for r in fresh.run_requests}
        assert "emails" in requested and not requested & {"chats", "notes"}  # (feedback: never ingested here)


def test_an_empty_optional_source_ingests_first_on_a_fresh_project(tmp_path) -> None:
    """An optional source without files (the feedback batches before any feedback) ingests to zero rows even
    when it is the first source curated on a fresh checkout (no curation cache folder yet)."""
    settings = _demo_project(tmp_path, 60)
    job = build_definitions(settings).resolve_job_def("ingest_job")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["feedback"])
        result = job.execute_in_process(instance=instance, partition_key="feedback")
        assert result.success
        scored = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("scored_records"), asset_partitions=["feedback"]), limit=1
        ).records[0].asset_materialization.metadata
        assert scored["rows"].value == 0
        assert scored["quality_score_mean"].value is None and scored["quality_score_mean_kept"].value is None


def test_a_source_never_curated_does_not_stop_the_training_set(tmp_path) -> None:
    """A registered source whose ingest never succeeded is left out of deduplicated_records, by name, instead of
    failing every retrain until someone deletes its partition."""
    settings = _demo_project(tmp_path, 60)
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["chats", "emails"])
        assert defs.resolve_job_def("ingest_job").execute_in_process(instance=instance, partition_key="chats").success
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("deduplicated_records")]
        )
        assert result.success
        metadata = result.asset_materializations_for_node("deduplicated_records")[0].metadata
        assert metadata["sources"].value == ["chats"] and metadata["sources_without_records"].value == ["emails"]
        assert metadata["rows"].value > 0
        scored = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("scored_records"), asset_partitions=["chats"]), limit=1
        ).records[0].asset_materialization.metadata
        # every input row's mean (as the histogram beside it counts every input row), rounded; the kept rows' apart
        histogram = scored["quality_score_histogram"].value
        assert sum(histogram["counts"]) == scored["rows_in"].value > scored["rows"].value
        mean, kept_mean = scored["quality_score_mean"].value, scored["quality_score_mean_kept"].value
        assert mean == round(mean, 4) and kept_mean == round(kept_mean, 4) and 0.5 < mean < kept_mean <= 1.0
