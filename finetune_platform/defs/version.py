"""version: split the examples, write the training set, version it with DVC, gate it."""


from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from finetune_platform.defs.groups import VERSION
from finetune_platform.defs.metadata import preview
from finetune_platform.datasets.split import SplitSettings
from finetune_platform.resources import DvcResource, PlatformResource
from finetune_platform.schemas import SPLITS


class SplitConfig(dg.Config, SplitSettings):
    """Validation/test fractions and the split seed."""


@dg.asset(group_name=VERSION, compute_kind="pandas")
def training_set(
    context: dg.AssetExecutionContext,
    config: SplitConfig,
    instruction_examples: pd.DataFrame,
    conversation_examples: pd.DataFrame,
    curated_records: pd.DataFrame,
    platform: PlatformResource,
) -> dg.Output[dict[str, Any]]:
    """Train/validation/test Parquet files (instruction pairs, and the tickets' multi-turn conversations in
    the split of their ticket) plus a lineage manifest, hashed as DVC hashes them.

    The DVC hash of the folder is this asset's data version: every training run records it. Nothing goes to
    DVC here: ``published_training_set`` adds and pushes the folder once the blocking checks below pass, so a
    version they reject (one holding PII, say) never reaches the remote.
    """
    from finetune_platform.datasets.split import (
        label_spelling_variants,
        previous_assignment,
        previous_ticket_splits,
        split_examples,
        write_training_set,
    )
    from finetune_platform.datasets.versioning import folder_md5
    from finetune_platform.ingest.raw_files import RAW_FILES_DIR, curated_raw_files, read_raw_files_index
    from finetune_platform.schemas import SOURCE_SHA256_COLUMN

    settings = platform.settings()
    # Tickets of the version in the folder keep their split: the champion trained on it is scored on this
    # version's test split, which must hold none of its training tickets.
    # By record id, and by ticket text: dedup may keep another copy of a ticket (a re-export, a better-scored
    # near-duplicate), which comes back under a new record id.
    previous = previous_assignment(settings.training_set_dir, context.log)
    previous_tickets = previous_ticket_splits(settings.training_set_dir, context.log)
    splits = split_examples(instruction_examples, config, previous, previous_tickets)
    placed = {rid: name for name in SPLITS for rid in splits[name]["record_id"]}
    moved = sum(1 for rid, name in placed.items() if rid in previous and previous[rid] != name)
    kept = sum(1 for rid in placed if rid in previous) - moved
    # the raw files' SHA-256 as the ingest the records were curated from read them (the records carry it), so
    # lineage tells a raw file changed since; the latest ingest's index adds a CSV's row lines of that content
    raw_files = curated_raw_files(
        curated_records, read_raw_files_index(settings.artifacts_dir / RAW_FILES_DIR, curated_records["source"].unique())
    )
    if SOURCE_SHA256_COLUMN not in curated_records.columns:
        context.log.warning(
            f"curated_records has no {SOURCE_SHA256_COLUMN} column (curated before it was recorded), so the manifest "
            "leaves the raw files' hashes unknown; materialize ingest_job and curated_records again to record them"
        )
    manifest = write_training_set(
        splits, settings.training_set_dir, curated_records, conversation_examples, raw_files=raw_files
    )
    md5 = folder_md5(settings.training_set_dir)
    counts = {name: int(len(splits[name])) for name in SPLITS}
    labels = sorted(
        instruction_examples.loc[instruction_examples["task"] == "classify", "label"].unique().tolist()
    )
    context.log.info(f"training set {md5}: {counts}")
    variants = label_spelling_variants(labels)
    if variants:
        context.log.warning(
            f"labels that look like one label spelt differently, each a class of its own: {variants}; map each group "
            "to one spelling in the source's data"
        )
    value = {
        "path": str(settings.training_set_dir),
        "dvc_md5": md5,
        "counts": counts,
        # what the expectations require of a held-out split: at least one row where its fraction is above 0
        "fractions": {"validation": config.validation_fraction, "test": config.test_fraction},
        "labels": labels,
        "sources": {str(k): int(v) for k, v in instruction_examples["source"].value_counts().items()},
        "near_duplicate_threshold": config.near_duplicate_threshold,
        # the expectations' length bounds: what the format stage's settings can make (its metadata)
        **_example_char_limits(context),
    }
    per_label = (
        pd.concat({name: splits[name] for name in SPLITS}, names=["split"])
        .reset_index(level=0)
        .query("task == 'classify'")
        .pivot_table(index="label", columns="split", values="example_id", aggfunc="count", fill_value=0)
    )
    return dg.Output(
        value,
        data_version=dg.DataVersion(md5),
        metadata={
            "dvc_md5": md5,
            "path": dg.MetadataValue.path(str(settings.training_set_dir)),
            **{f"{name}_examples": counts[name] for name in SPLITS},
            "labels_per_split": dg.MetadataValue.md(per_label.to_markdown()),
            "label_spelling_variants": dg.MetadataValue.json(variants),
            "manifest_entries": len(manifest.entries) if hasattr(manifest, "entries") else counts,
            # raw files the examples come from whose hash at ingest is unknown (lineage cannot tell them changed)
            "raw_files_unhashed": len(
                {(e.source, e.source_file) for e in manifest.entries.values()}
                - {(src, f) for src, files in manifest.raw_files.items() for f in files}
            ),
            **{
                f"conversations_{name}": manifest.counts.get(f"conversations_{name}", 0) for name in SPLITS
            },
            "conversations_without_split": manifest.counts.get("conversations_without_split", 0),
            # stability across versions: tickets of the last version in their old split, moved (a held-out
            # ticket that joined a trained near-duplicate goes to train), and new ones
            "tickets_kept_split": kept,
            "tickets_moved_split": moved,
            "tickets_new": len(placed) - kept - moved,
            "preview": preview(splits["train"], ["example_id", "prompt", "completion"]),
        },
    )


@dg.asset(group_name=VERSION, compute_kind="dvc")
def published_training_set(
    context: dg.AssetExecutionContext, training_set: dict[str, Any], dvc: DvcResource
) -> dg.Output[dict[str, Any]]:
    """The training set version in the DVC remote: ``dvc add`` + ``dvc push`` of the folder ``training_set``
    wrote, run only after its blocking checks (no leakage, expectations, no PII) pass, so a rejected version
    is neither in ``data/training_set.dvc`` nor in the remote. Training starts after it (``base_model``
    depends on it), so every version a model trained on can be restored from the remote.
    """
    repo = dvc.repository()
    repo.ensure_initialized()
    version = repo.add_and_push(Path(training_set["path"]), expected_md5=training_set["dvc_md5"])
    context.log.info(f"training set {version.md5} pushed to {version.remote}")
    return dg.Output(
        {"dvc_md5": version.md5, "dvc_file": str(version.dvc_file), "dvc_remote": str(version.remote)},
        data_version=dg.DataVersion(version.md5),
        metadata={
            "dvc_md5": version.md5,
            "dvc_file": str(version.dvc_file),
            "dvc_remote": str(version.remote),
            "dvc_nfiles": version.nfiles if version.nfiles is not None else 0,
            "dvc_size": version.size,
        },
    )


class UnpublishedTrainingSetError(RuntimeError):
    """A training asset was given a training_set version that published_training_set has not pushed (its
    blocking checks failed, or it was never published)."""


def require_published(context: dg.AssetExecutionContext, training_set: dict[str, Any]) -> None:
    """Refuse to train on a ``training_set`` version other than the one ``published_training_set`` last
    pushed: a run of a training asset alone (the UI, a sweep, a specialist) after a training_set whose
    blocking checks failed would otherwise load that rejected version. Before any version was published
    there is nothing to compare with, and ``base_model``, which every training asset follows, waits for it."""
    event = context.instance.get_latest_materialization_event(dg.AssetKey("published_training_set"))
    materialization = event.asset_materialization if event is not None else None
    recorded = materialization.metadata.get("dvc_md5") if materialization is not None else None
    if recorded is None:
        return
    published = str(recorded.value)
    if published != training_set["dvc_md5"]:
        raise UnpublishedTrainingSetError(
            f"training_set version {training_set['dvc_md5'][:12]} has not been published (the version last pushed to "
            f"the DVC remote is {published[:12]}): its blocking checks failed or published_training_set has not run "
            "since. Open training_set's checks in the UI, fix the data, then materialize training_set and "
            "published_training_set again (retrain_job does both) before training."
        )


def _example_char_limits(context: dg.AssetExecutionContext) -> dict[str, int]:
    """``max_prompt_chars`` / ``max_completion_chars`` of the latest ``instruction_examples`` (the format
    settings it was built with), or the defaults when it recorded none."""
    from finetune_platform.formats.instructions import DEFAULT_MAX_COMPLETION_CHARS, DEFAULT_MAX_PROMPT_CHARS

    limits = {"max_prompt_chars": DEFAULT_MAX_PROMPT_CHARS, "max_completion_chars": DEFAULT_MAX_COMPLETION_CHARS}
    event = context.instance.get_latest_materialization_event(dg.AssetKey("instruction_examples"))
    materialization = event.asset_materialization if event is not None else None
    if materialization is not None:
        for name in limits:
            value = materialization.metadata.get(name)
            if value is not None and isinstance(getattr(value, "value", None), int):
                limits[name] = max(limits[name], int(value.value))
    return limits


def load_splits(handle: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The splits of a materialized training set, read from its folder (checked to be that version)."""
    from finetune_platform.datasets.split import read_training_set_version

    return read_training_set_version(Path(handle["path"]), handle["dvc_md5"])


@dg.asset_check(asset=training_set, blocking=True)
def training_set__no_leakage(training_set: dict[str, Any]) -> dg.AssetCheckResult:
    """No ticket, no identical prompt and no near-duplicate ticket appears in two splits."""
    from finetune_platform.datasets.split import find_leakage, find_near_duplicate_leakage

    splits = load_splits(training_set)
    leaks = find_leakage(splits)
    near = find_near_duplicate_leakage(splits, training_set.get("near_duplicate_threshold", 0.8))
    ids = {name: set(df["record_id"]) for name, df in splits.items()}
    shared_records = len((ids["train"] & ids["test"]) | (ids["train"] & ids["validation"]) | (ids["validation"] & ids["test"]))
    return dg.AssetCheckResult(
        passed=len(leaks) == 0 and shared_records == 0 and len(near) == 0,
        metadata={
            "leaking_prompts": len(leaks),
            "near_duplicate_pairs_across_splits": len(near),
            "near_duplicate_examples": preview(near, list(near.columns)) if len(near) else "none",
            "records_in_two_splits": shared_records,
            "examples": preview(leaks, list(leaks.columns)[:4]) if len(leaks) else "none",
        },
    )


@dg.asset_check(asset=training_set, blocking=True)
def training_set__expectations(training_set: dict[str, Any]) -> dg.AssetCheckResult:
    """The great-expectations suite passes on every split; each expectation's result is in metadata. A split
    that came out empty fails (train always; validation and test when their configured fraction is above 0:
    too few tickets for the fractions, add data or set the fraction to 0)."""
    from finetune_platform.datasets.expectations import validate_examples

    splits = load_splits(training_set)
    rows: list[dict[str, Any]] = []
    passed = True
    # The labels a model can learn are those of the train split: a held-out label it never trained on
    # (a label too rare to split) fails here, in the split that holds it. (training_set["labels"] comes from
    # the same examples, so checking against it could never fail.)
    train = splits["train"]
    trained_labels = sorted(train.loc[train["task"] == "classify", "label"].dropna().astype(str).unique())
    # Train must have rows, and so must a held-out split the config asked for (an empty test split would only
    # fail at evaluation, after training).
    fractions = {"train": 1.0, **training_set.get("fractions", {})}
    for name, df in splits.items():
        report = validate_examples(
            df,
            suite_name=f"training_set_{name}",
            allowed_labels=trained_labels,
            max_prompt_chars=training_set.get("max_prompt_chars", 4_000),
            max_completion_chars=training_set.get("max_completion_chars", 2_000),
            min_rows=1 if fractions.get(name, 0.0) > 0 else 0,
        )
        passed &= report.success
        rows += [{"split": name, **r} for r in report.results]
    table = pd.DataFrame(rows)
    failed = table.loc[~table["success"]] if len(table) else table
    return dg.AssetCheckResult(
        passed=passed,
        metadata={
            "expectations": len(table),
            "failed": len(failed),
            "results": dg.MetadataValue.md(table.astype(str).to_markdown(index=False)),
        },
    )


@dg.asset_check(asset=training_set, blocking=True)
def training_set__no_pii(training_set: dict[str, Any]) -> dg.AssetCheckResult:
    """A last scan of every prompt, completion, label and id, and of every turn of the versioned conversations
    (what SFT with conversations trains on), the shared system prompt included: any PII hit fails the gate,
    the first ones listed by id, field, type and masked value."""
    from finetune_platform.curation.pii import scan_for_pii
    from finetune_platform.curation.pii_gate import PiiGateScan
    from finetune_platform.datasets.split import conversation_turn_texts, read_conversations

    splits = load_splits(training_set)
    conversations = read_conversations(Path(training_set["path"])) or {}
    turns, configured = conversation_turn_texts(conversations)
    # prompts, completions, labels (also with underscores read as spaces: normalise_label writes "a_b") and the
    # ids built from the source file's name; then every turn of the versioned conversations
    scan = PiiGateScan()
    for name, df in splits.items():
        scan.frame(df, "example_id", texts=["prompt", "completion"], names=["label", "example_id", "record_id"],
                   where=name)
    in_pairs = len(scan.hits)
    for name, df in conversations.items():
        scan.frame(df, "example_id", texts=[], names=["label", "example_id", "record_id"], where=f"conversations {name}")
        scan.conversations(df, skip_opener=configured is not None, where=f"conversations {name}")
    hits = scan.hits
    in_system_prompt = sorted({hit.type for hit in scan_for_pii([configured])}) if configured is not None else []
    found = scan.metadata()
    return dg.AssetCheckResult(
        passed=not hits and not in_system_prompt,  # the shared system prompt is trained into every conversation
        description=scan.description("the training set") + (
            f"; the configured system prompt holds {', '.join(in_system_prompt)}: it is trained into every "
            "conversation, take the PII out of it" if in_system_prompt else ""
        ),
        metadata={"texts_scanned": scan.texts_scanned, "conversation_turns_scanned": len(turns),
                  "hits_in_conversations": len(hits) - in_pairs,
                  **{k: dg.MetadataValue.json(v) if isinstance(v, (dict, list)) else v for k, v in found.items()},
                  # what the detectors see in the shared system prompt (a persona's name, a support address)
                  "system_prompt_pii_types": dg.MetadataValue.json(in_system_prompt)},
    )
