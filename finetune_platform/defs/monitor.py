"""monitor: production logs, drift against the training data, and user feedback as new training data."""


from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from finetune_platform.defs.groups import MONITOR
from finetune_platform.defs.partitions import MONITOR_DAYS
from finetune_platform.defs.metadata import image, preview
from finetune_platform.monitoring.drift import DriftSettings
from finetune_platform.resources import LogStoreResource, PlatformResource


@dg.asset(group_name=MONITOR, compute_kind="sqlalchemy", partitions_def=MONITOR_DAYS)
def production_logs(context: dg.AssetExecutionContext, log_store: LogStoreResource) -> dg.Output[pd.DataFrame]:
    """Requests served on the partition's day (UTC), read from the log store (prompts stored PII-redacted)."""
    window = context.partition_time_window
    requests = log_store.store().requests_between(window.start, window.end)
    by_variant = requests["variant"].value_counts().to_dict() if len(requests) else {}
    errors = int((requests["status_code"] >= 400).sum()) if len(requests) else 0
    return dg.Output(
        requests,
        metadata={
            "requests": len(requests),
            "errors": errors,
            "by_variant": dg.MetadataValue.json(by_variant),
            "latency_p50_ms": float(requests["latency_ms"].median()) if len(requests) else 0.0,
            "latency_p95_ms": float(requests["latency_ms"].quantile(0.95)) if len(requests) else 0.0,
            "preview": preview(requests, ["response_id", "variant", "prompt", "latency_ms"]),
        },
    )


class DriftConfig(dg.Config, DriftSettings):
    """Drift thresholds (PSI, KS, chi-squared, JS, OOV) and feedback control limits."""


@dg.asset(group_name=MONITOR, compute_kind="scipy", partitions_def=MONITOR_DAYS)
def drift_report(
    context: dg.AssetExecutionContext,
    config: DriftConfig,
    production_logs: pd.DataFrame,
    training_set: dict[str, Any],
    platform: PlatformResource,
    log_store: LogStoreResource,
) -> dg.Output[dict[str, Any]]:
    """The day's production prompts against the training set's tickets, plus the feedback trend of the
    30 days up to it; the retrain sensor reads ``drift_detected``."""
    from finetune_platform.datasets.split import read_training_set_version
    from finetune_platform.formats.instructions import ticket_from_prompt
    from finetune_platform.monitoring.drift import compute_drift, plot_drift

    train = read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"])["train"]
    reference = [ticket_from_prompt(p) for p in train.loc[train["task"] == "classify", "prompt"]]
    # Compare like with like: a /v1/completions client sends the training template ("### Task: ...
    # ### Ticket:"), a chat client the bare text; both are reduced to the ticket text the reference holds.
    production = [ticket_from_prompt(p) for p in production_logs["prompt"].astype(str)]
    end = context.partition_time_window.end
    feedback = log_store.store().feedback_between(end - timedelta(days=30), end)
    report = compute_drift(reference, production, config, feedback=feedback, day=context.partition_time_window.start.date())
    metadata: dict[str, Any] = {
        "verdict": report.verdict,
        "drift_detected": report.drift,
        "drifted_features": dg.MetadataValue.json(report.drifted_features),
        "production_texts": len(production),
        "reference_texts": len(reference),
        "report": dg.MetadataValue.md(report.to_markdown()),
    }
    if report.verdict != "insufficient_data":  # a quiet day: the report says so, and there is nothing to plot
        plot_path = platform.settings().artifacts_dir / "drift" / f"{context.partition_key}.png"
        plot_path.parent.mkdir(parents=True, exist_ok=True)
        plot_drift(report, plot_path)
        metadata["plot"] = image(plot_path)
    context.log.info(f"drift verdict: {report.verdict}; {'; '.join(report.reasons)}")
    return dg.Output(report.to_dict(), metadata=metadata)


class FeedbackConfig(dg.Config):
    retrain_threshold: int = Field(
        50, ge=1, description="Corrections since the last sft_adapter materialization that call for retraining."
    )


@dg.asset(group_name=MONITOR, compute_kind="pandas", partitions_def=MONITOR_DAYS)
def feedback_set(
    context: dg.AssetExecutionContext,
    config: FeedbackConfig,
    log_store: LogStoreResource,
    platform: PlatformResource,
) -> dg.Output[pd.DataFrame]:
    """The day's user corrections as new training records, written as a batch of the ``feedback`` source
    (data/raw/feedback/<day>.jsonl; corrected chat answers with their conversation as a batch of the
    ``feedback_chats`` source, data/raw/feedback_chats/<day>.jsonl) so they pass through ingest and curation
    like any other data."""
    from finetune_platform.monitoring.feedback import feedback_to_preference_pairs, feedback_to_records
    from finetune_platform.monitoring.feedback_source import (
        FEEDBACK_CHATS_SOURCE,
        configured_feedback_sources,
        withdraw_superseded_feedback,
        write_feedback_batches,
    )

    store = log_store.store()
    window = context.partition_time_window
    feedback = store.feedback_between(window.start, window.end)
    # each answer's latest rating over all days decides: a later thumbs-up or new correction replaces this one
    latest = store.latest_feedback_ids(feedback["response_id"]) if len(feedback) else {}
    records = feedback_to_records(feedback, latest)
    # An early check of today writes what there is so far; the run after midnight writes the rest of the
    # day's corrections as a continuation file (batch files are immutable).
    settings = platform.settings()
    # A data/sources.yaml from before the feedback_chats source: nothing would ingest its files, so chat
    # corrections go to the feedback source as plain text and answer, as they did then.
    chats_configured = FEEDBACK_CHATS_SOURCE.name in configured_feedback_sources(settings.root / "data" / "sources.yaml")
    if not chats_configured and (records["messages"] != "").any():
        context.log.warning(
            "data/sources.yaml has no 'feedback_chats' source: corrections of chat answers are written to the "
            "'feedback' source without their earlier turns. Add the feedback_chats entry (see the shipped "
            "data/sources.yaml) to train on them as conversations."
        )
    batches = write_feedback_batches(
        records, settings.raw_dir, context.partition_key, feedback=feedback, conversations=chats_configured
    )
    written = {
        name: str(path) if path is not None else "not written: no such corrections that day"
        for name, path in batches.items()
    }
    # Corrections written on earlier days that a later rating (today's, or any since) replaced leave the
    # training data through the sources' withdrawal lists: batch files never change.
    configured = configured_feedback_sources(settings.root / "data" / "sources.yaml")
    withdrawn = withdraw_superseded_feedback(settings.raw_dir, configured.values(), store.latest_feedback_ids)
    unlisted = sorted(name for name, added in withdrawn.items() if added < 0)
    if unlisted:
        context.log.warning(
            f"data/sources.yaml: the feedback sources {unlisted} have no withdrawn_rows file, so a written "
            "correction that a later rating replaced is still trained on. Add 'withdrawn_rows: "
            "<folder>/withdrawn.csv' to them (see the shipped data/sources.yaml)."
        )
    batch = batches["feedback"]
    batch_file: Any = (
        dg.MetadataValue.path(str(batch)) if batch is not None
        else "not written: no corrections that day" if records.empty
        else "not written: only corrections of chat answers that day (see batch_files)"
    )
    pairs, pair_stats = feedback_to_preference_pairs(feedback, latest)
    last_training = context.instance.fetch_materializations(dg.AssetKey("sft_adapter"), limit=1).records
    since = None
    if last_training:
        # from when that training run started (it read its data then), not when it finished: corrections sent
        # while it trained were not in its data and count towards the next retrain
        record = last_training[0]
        run = context.instance.get_run_record_by_id(record.run_id) if record.run_id else None
        started = run.start_time if run is not None and run.start_time is not None else record.timestamp
        since = datetime.fromtimestamp(started, tz=timezone.utc)
    new_examples = store.count_feedback_examples(since=since)
    return dg.Output(
        records,
        metadata={
            "feedback_rows": len(feedback),
            "feedback_superseded": pair_stats.superseded,  # replaced by a later rating of the same answer
            # earlier days' written corrections a later rating replaced, newly listed for ingest to leave out
            "corrections_withdrawn": dg.MetadataValue.json(
                {name: added for name, added in withdrawn.items() if added >= 0}
            ),
            "corrections_with_thumbs_up": pair_stats.positive_with_correction,  # not training data
            "records": len(records),
            "batch_file": batch_file,
            "batch_files": dg.MetadataValue.json(written),
            "conversation_records": int((records["messages"] != "").sum()) if chats_configured else 0,
            "preference_pairs": len(pairs),
            "preference_stats": dg.MetadataValue.json(pair_stats.to_dict()),
            "new_examples_since_training": new_examples,
            "retrain_threshold": config.retrain_threshold,
            "retrain_threshold_reached": new_examples >= config.retrain_threshold,
            "preview": preview(records, ["record_id", "text", "response"]),
        },
    )


@dg.asset(group_name=MONITOR, compute_kind="pandas", partitions_def=MONITOR_DAYS)
def preference_pairs(
    context: dg.AssetExecutionContext, log_store: LogStoreResource, platform: PlatformResource
) -> dg.Output[pd.DataFrame]:
    """The day's corrections as DPO pairs (chosen = correction, rejected = the model's answer)."""
    from finetune_platform.monitoring.feedback import feedback_to_preference_pairs
    from finetune_platform.monitoring.feedback_source import write_preference_pairs

    window = context.partition_time_window
    store = log_store.store()
    feedback = store.feedback_between(window.start, window.end)
    latest = store.latest_feedback_ids(feedback["response_id"]) if len(feedback) else {}
    pairs, stats = feedback_to_preference_pairs(feedback, latest)
    path = platform.settings().data_dir / "preference_pairs" / f"{context.partition_key}.jsonl"
    write_preference_pairs(pairs, path)
    return dg.Output(
        pairs,
        metadata={
            "pairs": len(pairs),
            # chat requests logged with their conversation: DPO renders the earlier turns too
            "pairs_with_conversation": int((pairs["messages"] != "").sum()),
            # and those a knowledge index added passages to: DPO puts them back where the server put them
            "pairs_with_retrieved_passages": int((pairs["rag_context"] != "").sum()),
            "stats": dg.MetadataValue.json(stats.to_dict()),
            "summary": stats.summary(),
            "file": dg.MetadataValue.path(str(path)),
            "preview": preview(pairs, ["prompt", "chosen", "rejected"]),
        },
    )


class AuditConfig(dg.Config):
    response_ids: list[str] = Field(
        default_factory=list,
        description="Responses to audit; empty: every response of the day that got a thumbs-down.",
    )
    top_k: int = Field(5, ge=1, le=100, description="Most similar training examples to show per response.")


@dg.asset(group_name=MONITOR, compute_kind="scikit-learn", partitions_def=MONITOR_DAYS)
def audit(
    context: dg.AssetExecutionContext,
    config: AuditConfig,
    production_logs: pd.DataFrame,
    training_set: dict[str, Any],
    log_store: LogStoreResource,
) -> dg.Output[pd.DataFrame]:
    """For bad responses, the training examples most similar to their prompt and output, with source file,
    row and DVC version: which data may have taught the model this answer."""
    from finetune_platform.datasets.split import read_manifest, read_training_set_version
    from finetune_platform.monitoring.audit import audit_markdown, audit_responses

    ids = list(config.response_ids)
    if not ids:
        window = context.partition_time_window
        feedback = log_store.store().feedback_between(window.start, window.end)
        ids = sorted(set(feedback.loc[feedback["rating"] < 0, "response_id"])) if len(feedback) else []
    folder = Path(training_set["path"])
    # The train split only: validation and test examples never taught the model anything.
    examples = read_training_set_version(folder, training_set["dvc_md5"])["train"].reset_index(drop=True)
    responses = production_logs.loc[production_logs["response_id"].isin(ids)] if ids else production_logs.head(0)
    # A thumbs-down given after midnight rates a request of the day before: read those from the store.
    elsewhere = sorted(set(ids) - set(responses["response_id"]))
    if elsewhere:
        responses = pd.concat([responses, log_store.store().requests_by_id(elsewhere)], ignore_index=True)
    result = audit_responses(
        responses, examples, read_manifest(folder).entries, training_set["dvc_md5"], k=config.top_k, response_ids=ids or None
    ) if ids else pd.DataFrame()
    return dg.Output(
        result,
        metadata={
            "responses_audited": len(ids),
            "rows": len(result),
            "dvc_md5": training_set["dvc_md5"],
            "report": dg.MetadataValue.md(audit_markdown(result) if len(result) else "_no bad responses to audit_"),
        },
    )
