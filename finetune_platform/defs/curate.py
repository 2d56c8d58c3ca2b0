"""curate: normalise -> redact PII -> score quality -> deduplicate -> human review, one asset per stage.

Every stage keeps or drops each row with a named reason; dropped rows are written next to the artifacts
and counted in metadata, so nothing disappears silently.
"""


import enum
import shutil
import typing
from typing import Any, Callable, Optional

import dagster as dg
import pandas as pd

from pydantic import Field, create_model

from finetune_platform.curation.config import CurationSettings, StageResult
from finetune_platform.curation.review import ReviewSettings
from finetune_platform.curation.settings_file import (
    CURATION_FILE,
    STAGE_ASSETS,
    STAGE_FIELDS,
    load_curation_settings,
    settings_hash,
    stage_settings,
    with_overrides,
)
from finetune_platform.defs.groups import CURATE
from finetune_platform.defs.partitions import SOURCE_PARTITIONS
from finetune_platform.defs.metadata import counts_table, image, preview
from finetune_platform.resources import PlatformResource


def _stage_config(stage: str, name: str) -> type[dg.Config]:
    """The run config of ``stage``'s asset: its own settings only (another stage's is refused before the
    run), each unset by default, which means data/curation.yaml's value."""
    fields: dict[str, Any] = {}
    for field in STAGE_FIELDS[stage]:
        info = CurationSettings.model_fields[field]
        kind = info.annotation
        if typing.get_origin(kind) is typing.Literal:  # Dagster config takes an optional enum, not a literal
            kind = enum.Enum(field, {str(v): v for v in typing.get_args(kind)}, type=str)
        fields[field] = (
            Optional[kind],
            Field(default=None, description=f"{info.description} Unset: the value in {CURATION_FILE}."),
        )
    doc = (
        f"Settings of the {stage} stage for this run only; every setting left unset comes from {CURATION_FILE} "
        "(edit that file to change them for every run)."
    )
    return create_model(name, __base__=dg.Config, __doc__=doc, __module__=__name__, **fields)


NormalizeConfig = _stage_config("normalize", "NormalizeConfig")
PiiConfig = _stage_config("pii", "PiiConfig")
QualityConfig = _stage_config("quality", "QualityConfig")
DedupConfig = _stage_config("dedup", "DedupConfig")


def _settings(
    context: dg.AssetExecutionContext, stage: str, config: dg.Config, platform: PlatformResource
) -> tuple[CurationSettings, dict[str, Any]]:
    """The settings ``stage`` runs with (data/curation.yaml, then this run's config) and the metadata that
    says where they came from."""
    loaded = load_curation_settings(platform.settings().root / CURATION_FILE)
    overrides = config.model_dump(mode="json", exclude_none=True)
    settings = with_overrides(loaded.settings, stage, overrides, f"run config of {STAGE_ASSETS[stage]}")
    source = str(CURATION_FILE) if loaded.from_file else f"defaults (no {CURATION_FILE})"
    if overrides:
        source += f" + run config ({', '.join(sorted(overrides))})"
    context.log.info(f"{STAGE_ASSETS[stage]}: settings from {source}")
    return settings, {
        "settings_from": source,
        "settings_hash": settings_hash(settings, stage),
        # what the file alone gives: curation_settings_sensor re-curates when the file's differs
        "settings_file_hash": settings_hash(loaded.settings, stage),
        "settings": dg.MetadataValue.json(stage_settings(settings, stage)),
    }


def _run_stage(
    context: dg.AssetExecutionContext,
    stage: Callable[[pd.DataFrame, CurationSettings], StageResult],
    name: str,
    records: pd.DataFrame,
    config: dg.Config,
    platform: PlatformResource,
    preview_columns: list[str],
    extra_metadata: Callable[[StageResult, CurationSettings], dict[str, Any]] | None = None,
) -> dg.Output[pd.DataFrame]:
    stage_name = next(key for key, asset in STAGE_ASSETS.items() if asset == name)
    settings, settings_metadata = _settings(context, stage_name, config, platform)
    reuse = None
    # what the result depends on besides its input and settings (the curation code, schemas, Python, the
    # detectors' libraries): curation_settings_sensor re-curates a source once when a release changes it
    from finetune_platform.curation.incremental import code_fingerprint

    settings_metadata["curation_code_version"] = code_fingerprint()[:16]
    if context.has_partition_key:
        # Per-source stages re-curate only the files whose rows changed (curation.incremental).
        from finetune_platform.curation.incremental import run_per_file

        cache_dir = platform.settings().artifacts_dir / "curation" / "cache" / name / context.partition_key
        result, reuse = run_per_file(stage, records, settings, cache_dir, stage_name=stage_name)
        # A source that is no longer a partition leaves no copy of its rows behind (normalised text is not
        # redacted yet).
        current = set(context.instance.get_dynamic_partitions(SOURCE_PARTITIONS.name))
        for folder in cache_dir.parent.iterdir() if cache_dir.parent.is_dir() else ():
            if folder.is_dir() and folder.name not in current:
                shutil.rmtree(folder, ignore_errors=True)
        context.log.info(
            f"{name}: curated {reuse.rows_curated} rows of {reuse.files_curated} files, reused "
            f"{reuse.rows_reused} rows of {reuse.files_reused} unchanged files"
        )
    else:
        result = stage(records, settings)
    suffix = f"_{context.partition_key}" if context.has_partition_key else ""
    dropped_path = platform.settings().artifacts_dir / "curation" / f"{name}{suffix}_dropped.parquet"
    dropped_path.parent.mkdir(parents=True, exist_ok=True)
    result.dropped.to_parquet(dropped_path, index=False)
    stats = result.stats
    context.log.info(
        f"{name}: {stats['rows_in']} in, {stats['rows_out']} kept, {stats['rows_dropped']} dropped "
        f"{stats['dropped_by_reason']}"
    )
    return dg.Output(
        result.records,
        metadata={
            "rows_in": stats["rows_in"],
            "rows": stats["rows_out"],
            "rows_dropped": stats["rows_dropped"],
            "dropped_by_reason": counts_table(stats["dropped_by_reason"]),
            "dropped_rows_file": dg.MetadataValue.path(str(dropped_path)),
            "dropped_preview": preview(result.dropped, ["record_id", "reason", "detail"]),
            # before the PII stage, or with redact_pii off (PII only counted), the texts still hold PII
            "preview": preview(
                result.records, preview_columns, redact=name == "normalized_records" or not settings.redact_pii
            ),
            **settings_metadata,
            **(extra_metadata(result, settings) if extra_metadata else {}),
            **({f"incremental_{k}": v for k, v in reuse.as_dict().items()} if reuse is not None else {}),
        },
    )


def _cluster_examples(result: StageResult, settings: CurationSettings) -> list[dict[str, Any]]:
    """Dedup's cluster examples for the metadata. With ``redact_pii`` off the PII stage only counted PII, so
    the records still hold it: each kept record's text is redacted, then cut to the excerpt's length."""
    examples = [dict(example) for example in result.stats.get("cluster_examples", [])]
    if settings.redact_pii or not examples:
        return examples
    from finetune_platform.curation.pii import PiiRedactor

    redactor = PiiRedactor.from_settings(settings)
    texts = dict(zip(result.records["record_id"].astype(str), result.records["text"].astype(str)))
    for example in examples:
        cut = len(example["kept_excerpt"])
        example["kept_excerpt"] = redactor.redact(texts.get(example["kept"], example["kept_excerpt"]), {})[0][:cut]
    return examples


@dg.asset(group_name=CURATE, compute_kind="ftfy", partitions_def=SOURCE_PARTITIONS)
def normalized_records(
    context: dg.AssetExecutionContext, config: NormalizeConfig, raw_corpus: pd.DataFrame, platform: PlatformResource
) -> dg.Output[pd.DataFrame]:
    """Unicode repaired (mojibake), control characters and whitespace cleaned, length and language bounds."""
    from finetune_platform.curation.normalize import normalize_records

    return _run_stage(
        context, normalize_records, "normalized_records", raw_corpus, config, platform, ["record_id", "text", "label"]
    )


@dg.asset(group_name=CURATE, compute_kind="phonenumbers", partitions_def=SOURCE_PARTITIONS)
def pii_redacted_records(
    context: dg.AssetExecutionContext,
    config: PiiConfig,
    normalized_records: pd.DataFrame,
    platform: PlatformResource,
) -> dg.Output[pd.DataFrame]:
    """Emails, phones, cards (Luhn), IBANs, SSNs, IPs, credentials, names, addresses -> typed placeholders."""
    from finetune_platform.curation.pii import redact_pii

    def pii_metadata(result: StageResult, settings: CurationSettings) -> dict[str, Any]:
        return {
            "pii_by_type": counts_table(result.stats.get("pii_found_by_type", {}), key="type", value="found"),
            "records_with_pii": int(result.stats.get("records_with_pii", 0)),
            # texts the pool of worker processes scanned (pii_workers > 1; files of 1,000 distinct texts up)
            "texts_scanned_in_workers": int(result.stats.get("texts_scanned_in_workers", 0)),
        }

    return _run_stage(
        context,
        redact_pii,
        "pii_redacted_records",
        normalized_records,
        config,
        platform,
        ["record_id", "text", "response"],
        pii_metadata,
    )


def _histogram_png(hist: dict[str, Any], threshold: float, path: Any) -> Any:
    """The quality-score distribution (every input record, before the threshold) as a bar chart."""
    if not hist or not hist.get("counts"):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges, counts = hist["bin_edges"], hist["counts"]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(edges[:-1], counts, width=[b - a for a, b in zip(edges[:-1], edges[1:])], align="edge", edgecolor="white")
    ax.axvline(threshold, color="red", linestyle="--", label=f"min_quality_score {threshold:g}")
    ax.set_xlabel("quality score")
    ax.set_ylabel("records")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def _float_or_null(value: float | None) -> dg.MetadataValue:
    return dg.MetadataValue.null() if value is None else dg.MetadataValue.float(float(value))


@dg.asset(group_name=CURATE, compute_kind="pandas", partitions_def=SOURCE_PARTITIONS)
def scored_records(
    context: dg.AssetExecutionContext,
    config: QualityConfig,
    pii_redacted_records: pd.DataFrame,
    platform: PlatformResource,
) -> dg.Output[pd.DataFrame]:
    """Quality score (completeness, length, repetition, relevance, tone) and quality filters."""
    from finetune_platform.curation.quality import score_quality

    def quality_metadata(result: StageResult, settings: CurationSettings) -> dict[str, Any]:
        hist = result.stats.get("score_histogram") or {}
        kept = result.records["quality_score"]
        plot = _histogram_png(
            hist, settings.min_quality_score, platform.settings().artifacts_dir / "curation" / f"quality_{context.partition_key}.png"
        )
        return {
            # over every input row, as the histogram beside it; and over the rows kept (null without rows)
            "quality_score_mean": _float_or_null(result.stats.get("score_mean")),
            "quality_score_mean_kept": _float_or_null(round(float(kept.mean()), 4) if len(kept) else None),
            "quality_score_histogram": dg.MetadataValue.json(hist),
            **({"quality_score_distribution": image(plot)} if plot else {}),
        }

    return _run_stage(
        context,
        score_quality,
        "scored_records",
        pii_redacted_records,
        config,
        platform,
        ["record_id", "quality_score", "text", "response"],
        quality_metadata,
    )


@dg.asset(
    group_name=CURATE,
    compute_kind="datasketch",
    # A source registered but never curated (its first ingest failed) must not stop every retrain; the
    # sources without records are named in the log and in metadata instead.
    ins={"scored_records": dg.AssetIn(metadata={"allow_missing_partitions": True})},
)
def deduplicated_records(
    context: dg.AssetExecutionContext,
    config: DedupConfig,
    scored_records: Any,
    platform: PlatformResource,
) -> dg.Output[pd.DataFrame]:
    """All sources together; exact and near duplicates removed (MinHash LSH candidates verified by exact
    Jaccard, or an exact similarity join), keeping the best-scored member of each cluster (duplicates
    across sources included)."""
    from finetune_platform.curation.dedup import deduplicate

    if isinstance(scored_records, pd.DataFrame):  # the IO manager hands over a single partition unwrapped
        scored_records = {"(one source)": scored_records}
    scored_records = dict(scored_records or {})
    sources = sorted(context.instance.get_dynamic_partitions(SOURCE_PARTITIONS.name))
    missing = [name for name in sources if name not in scored_records] if "(one source)" not in scored_records else []
    if not scored_records:
        raise RuntimeError(
            f"no source has curated records yet (sources: {sources or 'none registered'}); run ingest_job for a "
            "source first (the raw_files_sensor does when its files appear)"
        )
    if missing:
        context.log.warning(
            f"sources without curated records, left out of this training set: {missing}; their ingest_job has "
            "not succeeded yet (see its runs), or they were never ingested"
        )
    context.log.info("sources: " + ", ".join(f"{k} ({len(v)} rows)" for k, v in sorted(scored_records.items())))
    combined = pd.concat([scored_records[k] for k in sorted(scored_records)], ignore_index=True)

    def dedup_metadata(result: StageResult, settings: CurationSettings) -> dict[str, Any]:
        return {
            "labels": dg.MetadataValue.json(result.records["label"].value_counts().to_dict()),
            "cluster_examples": dg.MetadataValue.json(_cluster_examples(result, settings)),
            "near_chained_kept": result.stats.get("near_chained_kept", 0),
            "label_conflicts": result.stats.get("label_conflicts", 0),
            "label_conflict_examples": dg.MetadataValue.json(result.stats.get("label_conflict_examples", [])),
            "sources": dg.MetadataValue.json(sorted(scored_records)),
            "sources_without_records": dg.MetadataValue.json(missing),
        }

    return _run_stage(
        context,
        deduplicate,
        "deduplicated_records",
        combined,
        config,
        platform,
        ["record_id", "text", "response", "label"],
        dedup_metadata,
    )


class ReviewConfig(dg.Config, ReviewSettings):
    """Review sampling (size, borderline band, strata), how reviewers' decisions combine, the agreement bar."""

    require_reviews: bool = Field(
        False,
        description="Fail the agreement gate when no review has been imported yet (off: unreviewed data may train).",
    )


@dg.asset(group_name=CURATE, compute_kind="label-studio")
def review_queue(
    context: dg.AssetExecutionContext,
    config: ReviewConfig,
    deduplicated_records: pd.DataFrame,
    platform: PlatformResource,
) -> dg.Output[pd.DataFrame]:
    """A stratified sample for reviewers, borderline scores first: CSV and Label Studio import files."""
    from finetune_platform.curation.review import (
        build_review_queue,
        export_label_studio,
        export_review_csv,
        label_studio_config,
        queue_stats,
    )

    queue = build_review_queue(deduplicated_records, config)
    folder = platform.settings().review_dir / "queue"
    csv_path = export_review_csv(queue, folder / "review_queue.csv")
    ls_path = export_label_studio(queue, folder / "label_studio_tasks.json")
    labels = sorted(l for l in deduplicated_records["label"].unique() if l)
    (folder / "label_studio_config.xml").write_text(label_studio_config(labels))
    return dg.Output(
        queue,
        metadata={
            "items": len(queue),
            "stats": dg.MetadataValue.json(queue_stats(queue)),
            "csv": dg.MetadataValue.path(str(csv_path)),
            "label_studio_tasks": dg.MetadataValue.path(str(ls_path)),
            "decisions_folder": dg.MetadataValue.path(str(platform.settings().review_dir / "decisions")),
            "preview": preview(queue, ["review_id", "label", "quality_score", "text"]),
        },
    )


@dg.asset(group_name=CURATE, compute_kind="pandas", deps=[review_queue])
def human_reviews(
    context: dg.AssetExecutionContext,
    config: ReviewConfig,
    deduplicated_records: pd.DataFrame,
    platform: PlatformResource,
) -> dg.Output[pd.DataFrame]:
    """Reviewers' decisions (our CSV or Label Studio exports in data/review/decisions/, subfolders too), with
    agreement on decisions and label corrections, and the records where reviewers disagree
    (data/review/disagreements.csv), written whether the agreement gate passes or not."""
    from finetune_platform.curation.review import (
        DISAGREEMENT_COLUMNS,
        REVIEW_COLUMNS,
        apply_reviews,
        import_reviews,
        write_disagreements,
    )
    from finetune_platform.sheets import sheet_files

    review_dir = platform.settings().review_dir
    try:
        files = sheet_files(review_dir / "decisions", "decision files")
        reviews = (
            import_reviews(files, deduplicated_records, reviewer_from_filename=True)
            if files
            else pd.DataFrame(columns=REVIEW_COLUMNS)
        )
    except Exception:
        # the last import's disagreements are not these decisions': nobody should resolve them now
        (review_dir / "disagreements.csv").unlink(missing_ok=True)
        raise
    # What applying them would do: the agreement (decisions and labels) and the disagreements to resolve.
    outcome = apply_reviews(deduplicated_records, reviews, config) if len(reviews) else None
    report = outcome.agreement if outcome is not None else None
    disagreements = outcome.disagreements if outcome is not None else pd.DataFrame(columns=DISAGREEMENT_COLUMNS)
    disagreements_path = write_disagreements(disagreements, review_dir / "disagreements.csv")
    context.log.info(f"{len(reviews)} reviews from {len(files)} files, {len(disagreements)} disagreements")
    gate = _agreement_gate(report, config)
    stats = reviews.attrs.get("import_stats", {})
    for first, copy in stats.get("identical_files", []):
        context.log.warning(
            f"{copy} is byte for byte the same as {first}: a copy of one reviewer's file counts as a second "
            "reviewer who agrees perfectly. Remove it unless two reviewers really gave every answer alike."
        )
    return dg.Output(
        reviews,
        metadata={
            "files": len(files),
            "reviews": len(reviews),
            "reviewers": int(reviews["reviewer"].nunique()) if len(reviews) else 0,
            "items": int(reviews["record_id"].nunique()) if len(reviews) else 0,
            "reviews_without_content_hash": int(stats.get("reviews_without_content_hash", 0)),
            "identical_files": dg.MetadataValue.json(stats.get("identical_files", [])),
            "agreement": dg.MetadataValue.json(report.to_dict() if report else {"status": "no reviews imported"}),
            # the verdict the blocking check and curated_records read: decided here, with this asset's config
            "agreement_gate": dg.MetadataValue.json(gate),
            "disagreements": len(disagreements),
            "disagreements_file": dg.MetadataValue.path(str(disagreements_path)),
            "disagreement_preview": preview(disagreements, ["record_id", "kind", "outcome", "votes"]),
        },
    )


#: Settings of how reviewers' decisions combine, which curated_records must apply as human_reviews judged them.
_APPLY_SETTINGS: tuple[str, ...] = ("rejection_rule", "min_reviewers_per_item")


def _agreement_gate(report: Any, config: ReviewConfig) -> dict[str, Any]:
    """The agreement gate's verdict on ``report`` (None: no reviews) under ``config``, as JSON."""
    settings = {"metric": config.agreement_metric, "min_agreement": config.min_agreement,
                "require_reviews": config.require_reviews,
                # how decisions combine: the disagreements' outcomes (and a single review's pass) assume them
                **{name: getattr(config, name) for name in _APPLY_SETTINGS}}
    if report is None:
        reason = "no reviews imported yet" + (
            " and require_reviews is on" if config.require_reviews else ": nothing to gate"
        )
        return {"passed": not config.require_reviews, "reason": reason, **settings}
    return {"passed": bool(report.passed), "reason": report.reason, **settings}


def _recorded_gate(instance: dg.DagsterInstance) -> dict[str, Any] | None:
    """The agreement verdict the latest human_reviews materialization recorded, or None (none recorded)."""
    event = instance.get_latest_materialization_event(dg.AssetKey("human_reviews"))
    materialization = event.asset_materialization if event is not None else None
    value = materialization.metadata.get("agreement_gate") if materialization is not None else None
    gate = getattr(value, "value", None)
    return gate if isinstance(gate, dict) and "passed" in gate else None


@dg.asset_check(asset=human_reviews, blocking=True)
def human_reviews__agreement(
    context: dg.AssetCheckExecutionContext, human_reviews: pd.DataFrame
) -> dg.AssetCheckResult:
    """Reviewers agree at least as much as the bar human_reviews was configured with (kappa / alpha).

    The verdict is the one human_reviews recorded with its own config (metric, min_agreement,
    require_reviews): a check reading a config of its own could pass what the asset's settings fail."""
    gate = _recorded_gate(context.instance)
    if gate is None:
        return dg.AssetCheckResult(
            passed=False,
            description="human_reviews recorded no agreement verdict (materialized by an older version?): "
            "materialize human_reviews again",
            metadata={"reviews": len(human_reviews)},
        )
    return dg.AssetCheckResult(
        passed=bool(gate["passed"]),
        description=str(gate["reason"]),
        metadata={"reviews": len(human_reviews), "reason": str(gate["reason"]), "agreement_gate": dg.MetadataValue.json(gate)},
    )


@dg.asset(group_name=CURATE, compute_kind="pandas")
def curated_records(
    context: dg.AssetExecutionContext,
    config: ReviewConfig,
    deduplicated_records: pd.DataFrame,
    human_reviews: pd.DataFrame,
    platform: PlatformResource,
) -> dg.Output[pd.DataFrame]:
    """Deduplicated records with reviewers' decisions applied: rejected rows out, corrected labels in."""
    from finetune_platform.curation.review import apply_reviews

    if deduplicated_records.empty:
        raise ValueError(
            "no records survived curation, so there is nothing to train on: see dropped_by_reason in the "
            "metadata of normalized_records, scored_records and deduplicated_records (for example, "
            "require_response drops every record of a source without replies)"
        )
    # Decisions of reviewers who do not agree enough must not change the data, even in a run that only
    # materializes curated_records (the blocking check stops it only within the run of human_reviews).
    gate = _recorded_gate(context.instance)
    if gate is not None and not gate["passed"] and not len(human_reviews):
        # require_reviews: unreviewed data must not train, in a run of curated_records alone either
        raise ValueError(
            f"curated_records: the agreement gate failed ({gate['reason']}), so the records are not curated "
            "without review. Put reviewers' decisions in data/review/decisions/ and materialize human_reviews "
            "again, or turn require_reviews off on human_reviews"
        )
    if gate is not None and not gate["passed"]:
        raise ValueError(
            f"curated_records: the reviews failed the agreement gate ({gate['reason']}), so their decisions are "
            "not applied. Resolve the disagreements (human_reviews lists them in its metadata and in "
            "data/review/disagreements.csv) and import the decisions again, "
            "or change human_reviews' metric / min_agreement if the bar is wrong"
        )
    differ = [
        f"{name} {getattr(config, name)!r} (human_reviews: {gate[name]!r})"
        for name in _APPLY_SETTINGS
        if gate is not None and name in gate and gate[name] != getattr(config, name)
    ]
    if len(human_reviews) and differ:
        raise ValueError(
            f"curated_records would apply the reviews with other settings than human_reviews judged them with: "
            f"{', '.join(differ)}. Its agreement gate and the disagreements' outcomes hold for human_reviews' "
            "settings: give curated_records the same review config as human_reviews"
        )
    outcome = apply_reviews(deduplicated_records, human_reviews, config)
    dropped_path = platform.settings().artifacts_dir / "curation" / "curated_records_dropped.parquet"
    dropped_path.parent.mkdir(parents=True, exist_ok=True)
    outcome.rejected.to_parquet(dropped_path, index=False)
    stats = outcome.stats
    return dg.Output(
        outcome.records,
        metadata={
            "rows_in": len(deduplicated_records),
            "rows": len(outcome.records),
            "rows_dropped": len(outcome.rejected),
            "relabelled": len(outcome.relabelled),
            "disagreements": len(outcome.disagreements),
            "review_stats": dg.MetadataValue.json(stats),
            "dropped_rows_file": dg.MetadataValue.path(str(dropped_path)),
            "labels": dg.MetadataValue.json(outcome.records["label"].value_counts().to_dict()),
            "disagreement_preview": preview(outcome.disagreements, list(outcome.disagreements.columns)[:4]),
            "preview": preview(outcome.records, ["record_id", "text", "response", "label"]),
        },
    )


@dg.asset_check(asset=curated_records, blocking=True)
def curated_records__no_pii(curated_records: pd.DataFrame) -> dg.AssetCheckResult:
    """No detectable PII left in the curated records: text, response, messages, label (also read with its
    underscores as spaces) and the ids built from the source file's name (record_id, source_file)."""
    from finetune_platform.curation.pii_gate import PiiGateScan

    scan = PiiGateScan()
    scan.frame(curated_records, "record_id", texts=["text", "response", "messages"],
               names=["label", "record_id", "source_file"])
    found = scan.metadata()
    return dg.AssetCheckResult(
        passed=not scan.hits,
        description=scan.description("the curated records"),
        metadata={
            "texts_scanned": scan.texts_scanned,
            **{k: dg.MetadataValue.json(v) if isinstance(v, (dict, list)) else v for k, v in found.items()},
        },
    )


@dg.asset_check(asset=curated_records, blocking=True)
def curated_records__expectations(curated_records: pd.DataFrame) -> dg.AssetCheckResult:
    """The great-expectations suite for curated records passes; each expectation's result is in metadata."""
    from finetune_platform.datasets.expectations import validate_records

    report = validate_records(curated_records, suite_name="curated_records")
    table = pd.DataFrame(report.results)
    return dg.AssetCheckResult(
        passed=report.success,
        description=report.summary(),
        metadata={
            "rows": report.rows,
            "expectations": len(table),
            "failed": int((~table["success"]).sum()),
            "results": dg.MetadataValue.md(table.astype(str).to_markdown(index=False)),
        },
    )


#: The curation assets that write their dropped rows (see _run_stage), in pipeline order, and whether
#: they run per source (one file per partition) or over all sources together.
_DROPPED_FILES: tuple[tuple[str, bool], ...] = (
    ("normalized_records", True),
    ("pii_redacted_records", True),
    ("scored_records", True),
    ("deduplicated_records", False),
    ("curated_records", False),
)


def _partitions(value: Any) -> dict[str, pd.DataFrame]:
    """A partitioned input as {source: frame} (the IO manager hands over a single partition unwrapped)."""
    return value if isinstance(value, dict) else {"(one source)": value}


@dg.asset_check(
    asset=curated_records,
    blocking=True,
    # A source registered but never ingested (no files yet: the feedback sources before the first
    # correction) has no partition to load; deduplicated_records leaves it out too, so this check does.
    additional_ins={
        "raw_corpus": dg.AssetIn("raw_corpus", metadata={"allow_missing_partitions": True}),
        "quarantine": dg.AssetIn("quarantine", metadata={"allow_missing_partitions": True}),
    },
)
def curated_records__rows_reconcile(
    context: dg.AssetCheckExecutionContext,
    curated_records: pd.DataFrame,
    raw_corpus: Any,
    quarantine: Any,
    platform: PlatformResource,
) -> dg.AssetCheckResult:
    """Per source, every row read is quarantined, dropped by a stage with a named reason, or curated,
    exactly once: read = quarantined + dropped + kept, tied together by record id (a raw record that is
    neither dropped nor curated is a row lost silently).

    A source ingested or curated again after ``deduplicated_records`` ran (an ingest overlapping a
    retrain) has rows this curation could not see: that is reported as a warning naming the source (the
    next retrain curates them), not as lost rows; every other mismatch fails the check."""
    from finetune_platform.curation.accounting import row_accounting
    from finetune_platform.schemas import DROPPED_COLUMNS

    raw = _partitions(raw_corpus)
    quarantined = _partitions(quarantine)
    instance = context.instance

    def latest(asset: str, partition: str | None = None) -> dg.EventLogRecord | None:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition] if partition else None),
            limit=1,
        ).records
        return records[0] if records else None

    not_curated: list[str] = []
    if isinstance(raw_corpus, dict):
        # A source read but never curated (its first ingest failed after raw_corpus) is one deduplicated_records
        # could not include (it names it): its rows are not this curation's to account for.
        not_curated = sorted(name for name in raw if latest("scored_records", name) is None)
        raw = {k: v for k, v in raw.items() if k not in not_curated}
        quarantined = {k: v for k, v in quarantined.items() if k in raw} if isinstance(quarantine, dict) else quarantined
        if not raw:
            return dg.AssetCheckResult(
                passed=False,
                description=f"no source has been curated yet (read but not curated: {', '.join(not_curated)})",
                metadata={"sources_not_curated": dg.MetadataValue.json(not_curated)},
            )
    # The partition keys are the source names; a single partition arrives unwrapped, without its key.
    sources = sorted(
        set(raw) if isinstance(raw_corpus, dict) else
        {str(s) for f in (*raw.values(), *quarantined.values()) for s in f["source"].unique()}
    )
    folder = platform.settings().artifacts_dir / "curation"
    frames, missing = [], []
    for name, per_source in _DROPPED_FILES:
        paths = [folder / f"{name}_{source}_dropped.parquet" for source in sources] if per_source else [
            folder / f"{name}_dropped.parquet"
        ]
        for path in paths:
            if path.is_file():
                frames.append(pd.read_parquet(path, columns=DROPPED_COLUMNS))
            else:
                missing.append(path.name)
    dropped = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DROPPED_COLUMNS)
    rows_read: dict[str, int] = {}
    rows_merged: dict[str, int] = {}
    for source in sources:
        ingested = latest("raw_corpus", source)
        metadata = ingested.asset_materialization.metadata if ingested is not None else {}
        value = metadata.get("rows_read")
        if value is not None:
            rows_read[source] = int(value.value)
        merged = metadata.get("rows_merged")  # absent before ingest merged Alpaca ticket rows: none
        if merged is not None:
            rows_merged[source] = int(merged.value)
    books = row_accounting(
        pd.concat([f[["record_id", "source"]] for f in raw.values()], ignore_index=True),
        pd.concat([f[["source"]] for f in quarantined.values()], ignore_index=True),
        dropped,
        curated_records[["record_id"]],
        rows_read=rows_read or None,
        rows_merged=rows_merged or None,
    )
    problems = [f"no record of the rows dropped: {', '.join(missing)} missing in {folder}"] if missing else []
    stale: list[str] = []
    if books.lost_by_source and not missing and not books.other_problems:
        dedup = latest("deduplicated_records")
        for source in books.lost_by_source:
            newer = [
                asset for asset in ("raw_corpus", "normalized_records", "pii_redacted_records", "scored_records")
                if dedup is not None and (r := latest(asset, source)) is not None and r.timestamp > dedup.timestamp
            ]
            if newer:
                stale.append(source)
    if stale and set(stale) == set(books.lost_by_source):
        notes = [
            f"source '{s}' was ingested or curated again after deduplicated_records ran: its "
            f"{books.lost_by_source[s]} newer rows are not in this curation; the next retrain_job curates them"
            for s in stale
        ]
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(notes)[:2000],
            metadata={**books.summary(), "per_source": dg.MetadataValue.md(books.table.to_markdown(index=False)),
                      "stale_sources": dg.MetadataValue.json(stale)},
        )
    problems += books.problems
    return dg.AssetCheckResult(
        passed=not problems,
        description="; ".join(problems)[:2000] if problems else "every row read is accounted for, per source",
        metadata={
            **books.summary(),
            "per_source": dg.MetadataValue.md(books.table.to_markdown(index=False)),
            "dropped_by_reason": dg.MetadataValue.json(books.reasons),
            "problems": dg.MetadataValue.json(problems[:50]),
            "sources_not_curated": dg.MetadataValue.json(not_curated),
        },
    )
