"""Through Dagster: ingest per source, curate, review; curated_records__rows_reconcile balances the books per
source by record id, and fails, naming the rows, when a stage's record of what it dropped is lost."""

import shutil

import dagster as dg

from finetune_platform.definitions import build_definitions
from finetune_platform.defs.partitions import SOURCE_PARTITIONS
from finetune_platform.ingest.demo_data import generate_demo_corpus
from finetune_platform.settings import PACKAGE_ROOT, Settings

CURATE = ["deduplicated_records", "review_queue", "human_reviews", "curated_records"]


def _check(result: dg.ExecuteInProcessResult, name: str):
    return next(
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == name
    )


def test_rows_reconcile_from_raw_files_to_curated_records(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    shutil.copy(PACKAGE_ROOT / "data" / "sources.yaml", tmp_path / "data" / "sources.yaml")
    settings = Settings.for_root(tmp_path)
    generate_demo_corpus(settings.raw_dir, n_tickets=120, seed=5)
    # hostile rows in two sources: a truncated JSON line, a formula, a binary file renamed .jsonl
    with (settings.raw_dir / "chats" / "chats.jsonl").open("ab") as f:
        f.write(b'{"messages": [{"role": "user", "content": "cut off\n')
    with (settings.raw_dir / "emails" / "emails.csv").open("ab") as f:
        f.write(b"=cmd|' /C calc'!A0,hi,x,billing\n")
    (settings.raw_dir / "chats" / "image.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    defs = build_definitions(settings)
    curate_job = dg.define_asset_job("curate_only", selection=" or ".join(f"key:{k}" for k in CURATE)).resolve(
        asset_graph=defs.resolve_asset_graph()
    )
    with dg.instance_for_test() as instance:
        # the feedback sources are registered partitions (raw_files_sensor adds every configured source) with
        # no files yet, so never ingested: curation and its check go on without them
        instance.add_dynamic_partitions(
            SOURCE_PARTITIONS.name, ["chats", "emails", "notes", "feedback", "feedback_chats"]
        )
        ingest = defs.resolve_job_def("ingest_job")
        for source in ("chats", "emails", "notes"):
            assert ingest.execute_in_process(instance=instance, partition_key=source).success
        result = curate_job.execute_in_process(instance=instance, resources=defs.resources, raise_on_error=False)
        assert result.success
        check = _check(result, "curated_records__rows_reconcile")
        assert check.passed, check.description
        meta = check.metadata
        assert meta["read"].value == meta["quarantined"].value + meta["dropped"].value + meta["kept"].value
        assert meta["quarantined"].value >= 3 and meta["kept"].value > 0
        table = meta["per_source"].value
        assert all(source in table for source in ("chats", "emails", "notes"))

        # chats are re-ingested with a new file after dedup ran: its rows are not lost, they are not
        # curated yet; a warning names the source (WARN severity does not block)
        shutil.copy(settings.raw_dir / "chats" / "chats.jsonl", settings.raw_dir / "chats" / "chats_more.jsonl")
        assert ingest.execute_in_process(instance=instance, partition_key="chats").success
        stale = curate_job.execute_in_process(
            instance=instance, resources=defs.resources, raise_on_error=False,
            asset_selection=[dg.AssetKey("curated_records")],
        )
        check = _check(stale, "curated_records__rows_reconcile")
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        assert "source 'chats' was ingested or curated again after deduplicated_records ran" in check.description
        assert stale.success
        (settings.raw_dir / "chats" / "chats_more.jsonl").unlink()
        assert ingest.execute_in_process(instance=instance, partition_key="chats").success

        # the record of what dedup dropped goes missing: the check fails and says so
        (settings.artifacts_dir / "curation" / "deduplicated_records_dropped.parquet").unlink()
        dedup_dropped = meta["dropped_dedup"].value
        assert dedup_dropped > 0  # the demo corpus holds duplicates
        result = curate_job.execute_in_process(
            instance=instance, resources=defs.resources, raise_on_error=False,
            asset_selection=[dg.AssetKey("curated_records")],
        )
        check = _check(result, "curated_records__rows_reconcile")
        assert not check.passed
        assert "deduplicated_records_dropped.parquet missing" in check.description
        assert "neither dropped nor curated (lost silently" in check.description


def test_rows_reconcile_with_a_single_source(tmp_path) -> None:
    """One partition reaches the check unwrapped (a frame, not {source: frame}): the source names come from
    the rows, so its stage files are found (the bring-your-own-CSV case)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sources.yaml").write_text(
        "sources:\n  - name: emails\n    path: emails/*.csv\n    format: csv\n    doc_type: email\n"
        "    title_field: subject\n    text_field: body\n    response_field: agent_reply\n    label_field: category\n"
    )
    settings = Settings.for_root(tmp_path)
    generate_demo_corpus(settings.raw_dir, n_tickets=120, seed=5)
    defs = build_definitions(settings)
    curate_job = dg.define_asset_job("curate_only", selection=" or ".join(f"key:{k}" for k in CURATE)).resolve(
        asset_graph=defs.resolve_asset_graph()
    )
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["emails"])
        assert defs.resolve_job_def("ingest_job").execute_in_process(instance=instance, partition_key="emails").success
        result = curate_job.execute_in_process(instance=instance, resources=defs.resources, raise_on_error=False)
        check = _check(result, "curated_records__rows_reconcile")
        assert check.passed, check.description
        assert check.metadata["read"].value == check.metadata["quarantined"].value + check.metadata[
            "dropped"].value + check.metadata["kept"].value > 0
