"""ingest: read every configured source; what cannot be read goes to quarantine with a reason."""


import shutil

import dagster as dg
import pandas as pd
from pydantic import Field

from finetune_platform.defs.groups import INGEST
from finetune_platform.defs.partitions import SOURCE_PARTITIONS
from finetune_platform.defs.metadata import counts_table, preview
from finetune_platform.resources import PlatformResource


class IngestConfig(dg.Config):
    """Where the source definitions live (path relative to the project root, or absolute)."""

    sources_file: str = Field(
        "data/sources.yaml",
        description="YAML file listing the sources: name, path glob, format and column mapping.",
    )


@dg.multi_asset(
    outs={
        "raw_corpus": dg.AssetOut(
            group_name=INGEST,
            description="Every readable row of every configured source, mapped to the platform's fields.",
        ),
        "quarantine": dg.AssetOut(
            group_name=INGEST,
            description="Rows that could not be read, each with the file, row and reason.",
        ),
    },
    check_specs=[
        dg.AssetCheckSpec(
            "raw_corpus__rows_reconcile",
            asset="raw_corpus",
            blocking=True,
            description="Every input row is kept (or merged into its ticket's record) or quarantined with a reason: "
            "read = kept + merged + quarantined, per source.",
        )
    ],
    partitions_def=SOURCE_PARTITIONS,
    compute_kind="pandas",
)
def ingest_sources_asset(
    context: dg.AssetExecutionContext, config: IngestConfig, platform: PlatformResource
):
    """Read one source (the partition) as the sources file describes; counts reconcile exactly."""
    from finetune_platform.curation.pii import redacted_label_counts
    from finetune_platform.ingest.raw_files import RAW_FILES_DIR, with_source_sha256, write_raw_files_index
    from finetune_platform.ingest.readers import ingest_source
    from finetune_platform.ingest.sources import load_sources, source_fingerprint

    settings = platform.settings()
    sources_path = settings.root / config.sources_file
    by_name = {s.name: s for s in load_sources(sources_path)}
    if context.partition_key not in by_name:
        raise ValueError(
            f"partition '{context.partition_key}' names no source in {sources_path} (sources: {sorted(by_name)}); "
            "add it to the file or delete the partition"
        )
    source = by_name[context.partition_key]
    sources = [source]
    # Taken before reading: a file that lands while this run reads must change the fingerprint the run
    # records, or the sensors would take it for ingested.
    fingerprint = source_fingerprint(source, settings.raw_dir)
    # Each file's share is cached by its content: a new file in the source is the only one read.
    cache_root = settings.artifacts_dir / "ingest" / "cache"
    # its warnings are logged to the run below, once (not also through the readers' module logger)
    result = ingest_source(source, settings.raw_dir, cache_dir=cache_root / context.partition_key, log_warnings=False)
    current = set(context.instance.get_dynamic_partitions(SOURCE_PARTITIONS.name))
    for folder in cache_root.iterdir() if cache_root.is_dir() else ():
        if folder.is_dir() and folder.name not in current:  # a removed source leaves no copy of its rows
            shutil.rmtree(folder, ignore_errors=True)
    # The files read, with their SHA-256 (and CSV rows' first lines): the training set's manifest keeps them,
    # so lineage can tell when a raw file changed after this ingest.
    index_dir = settings.artifacts_dir / RAW_FILES_DIR
    write_raw_files_index(index_dir, source.name, result.raw_files.get(source.name, {}))
    for stale_index in index_dir.glob("*.json"):
        if stale_index.stem not in current:
            stale_index.unlink(missing_ok=True)
    stats = {
        name: {
            "files": s.files,
            "rows_read": s.rows_read,
            "rows_kept": s.rows_kept,
            "rows_quarantined": s.rows_quarantined,
            "rows_merged": s.rows_merged,
            "empty_files": s.empty_files,
            "blank_lines": s.blank_lines,
            # kept rows without a mapped optional field (title, response, label), per field
            "rows_missing_field": ", ".join(f"{k}: {v}" for k, v in sorted(s.rows_missing_field.items())) or "-",
        }
        for name, s in result.stats.items()
    }
    warnings = [w for s in result.stats.values() for w in s.warnings(result.quarantine)]
    for warning in warnings:  # a mapped field no kept row has (a misspelt name), a source of empty files
        context.log.warning(warning)
    by_reason = result.quarantine["reason_code"].value_counts().to_dict() if len(result.quarantine) else {}
    read = sum(s["rows_read"] for s in stats.values())
    context.log.info(f"read {read} rows from {len(sources)} sources; quarantined {len(result.quarantine)}")
    unbalanced = {
        name: s for name, s in stats.items()
        if s["rows_read"] != s["rows_kept"] + s["rows_merged"] + s["rows_quarantined"]
    }
    # Stats against themselves and against the frames (per-reason sums, rows per source, duplicate ids).
    problems = result.reconciliation_problems()
    duplicated_ids = int(result.records["record_id"].duplicated().sum())
    no_reason = int((result.quarantine["reason"].astype(str).str.strip() == "").sum())
    if no_reason:
        problems.append(f"{no_reason} quarantined rows have no reason.")
    # each record carries its file's SHA-256 through curation: the training set's manifest records the content
    # its examples were curated from, whatever a later ingest read
    records = with_source_sha256(result.records, result.raw_files.get(source.name, {}))
    yield dg.Output(
        records,
        output_name="raw_corpus",
        metadata={
            "rows_read": read,
            "rows_kept": len(result.records),
            "rows_quarantined": len(result.quarantine),
            # rows folded into their ticket's record (a platform Alpaca export's classify and reply rows)
            "rows_merged": sum(s.rows_merged for s in result.stats.values()),
            "source_fingerprint": fingerprint,
            # rows the source's withdrawn_rows list takes out (quarantined without an excerpt, rows quarantined
            # for another reason included), and listed ids no row read had (already gone from the files)
            "rows_withdrawn": int(by_reason.get("withdrawn", 0)),
            "withdrawn_not_found": sum(s.withdrawn_not_found for s in result.stats.values()),
            "empty_files": sum(s.empty_files for s in result.stats.values()),
            "blank_lines": sum(s.blank_lines for s in result.stats.values()),
            "rows_missing_field": dg.MetadataValue.json(
                {k: v for s in result.stats.values() for k, v in s.rows_missing_field.items()}
            ),
            "warnings": dg.MetadataValue.json(warnings),
            **{f"incremental_{k}": v for k, v in (result.cache_stats or {}).items()},
            "per_source": dg.MetadataValue.md(pd.DataFrame(stats).T.to_markdown()),
            # redacted: records whose label holds PII are dropped only later, by the PII stage
            "labels": dg.MetadataValue.json(redacted_label_counts(result.records["label"])),
            "preview": preview(result.records, ["record_id", "text", "response", "label"], redact=True),
        },
    )
    yield dg.Output(
        result.quarantine,
        output_name="quarantine",
        metadata={
            "rows": len(result.quarantine),
            "by_reason": counts_table(by_reason),
            "preview": preview(result.quarantine, ["source_file", "source_row", "reason"], redact=True),
        },
    )
    yield dg.AssetCheckResult(
        check_name="raw_corpus__rows_reconcile",
        asset_key="raw_corpus",
        passed=not problems and not unbalanced,
        description="; ".join(problems)[:2000] if problems else "read = kept + merged + quarantined, per source",
        metadata={
            "problems": dg.MetadataValue.json(problems),
            "rows_read": read,
            "rows_kept": len(result.records),
            "rows_quarantined": len(result.quarantine),
            "unbalanced_sources": dg.MetadataValue.json(unbalanced),
            "duplicated_record_ids": duplicated_ids,
            "quarantined_rows_without_reason": no_reason,
        },
    )
