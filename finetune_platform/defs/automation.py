"""Jobs, the nightly schedule and the sensor that turns monitoring signals into retraining runs."""


import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import dagster as dg

from finetune_platform.defs.groups import MONITOR_GROUPS, RETRAIN_GROUPS
from finetune_platform.defs.partitions import MONITOR_DAYS, SOURCE_PARTITIONS, SPECIALIST_PARTITIONS, SWEEP_TRIALS
from finetune_platform.resources import LogStoreResource, PlatformResource, RegistryResource

#: The per-source (partitioned) part of the loop: read one source and curate its rows.
PER_SOURCE_ASSETS: tuple[str, ...] = (
    "raw_corpus",
    "quarantine",
    "normalized_records",
    "pii_redacted_records",
    "scored_records",
)

# Selections are strings on purpose: it exercises Dagster's selection parser, which dvc's antlr pin
# once broke (see pyproject.toml); test_definitions builds these jobs.
ingest_job = dg.define_asset_job(
    name="ingest_job",
    selection=" or ".join(f"key:{k}" for k in PER_SOURCE_ASSETS),
    partitions_def=SOURCE_PARTITIONS,
    description="One source (partition): read, quarantine, normalise, redact PII, score. Run per changed source.",
    # retried by the daemon (dagster.yaml run_retries): the sensor that requested it has moved on
    tags={"dagster/max_retries": "2"},
)

retrain_job = dg.define_asset_job(
    name="retrain_job",
    selection="("
    + " or ".join(f"group:{g}" for g in RETRAIN_GROUPS)
    + ") and not ("
    + " or ".join(f"key:{k}" for k in PER_SOURCE_ASSETS)
    + ")",
    description=(
        "The training loop over all sources' latest curated rows: dedup -> review -> format -> version -> "
        "train -> evaluate -> deploy."
    ),
    tags={"dagster/max_retries": "1"},  # a crashed run again, from the failed step (training resumes)
)

monitor_job = dg.define_asset_job(
    name="monitor_job",
    selection=" or ".join(f"group:{g}" for g in MONITOR_GROUPS),
    partitions_def=MONITOR_DAYS,
    description="One day of production: logs, drift report, feedback set. The signals that trigger retraining.",
)

sweep_job = dg.define_asset_job(
    name="sweep_job",
    selection="key:sweep_trial",
    partitions_def=SWEEP_TRIALS,
    description=(
        "One trial (partition) of the hyperparameter sweep in data/sweep.yaml: SFT with its settings, scored on "
        "the validation split. Backfill all partitions to run the whole sweep, then sweep_compare_job."
    ),
)

specialists_job = dg.define_asset_job(
    name="specialists_job",
    selection="key:specialist_model",
    partitions_def=SPECIALIST_PARTITIONS,
    description=(
        "One specialist (partition) of data/specialists.yaml: SFT on its labels' examples, scored on its domain "
        "against the generalist (champion); the registry alias specialist-<name> follows the result."
    ),
)

deployment_job = dg.define_asset_job(
    name="deployment_job",
    selection="key:deployment",
    description=(
        "Operator actions on the live rollout from the UI: set the canary share, start a staged rollout, flip "
        "the kill switch or roll back (the deployment asset's config); running servers follow without a restart."
    ),
)

router_job = dg.define_asset_job(
    name="router_job",
    selection="key:router",
    description="Retrain the domain router after editing data/specialists.yaml (retrain_job also rebuilds it).",
)

sweep_compare_job = dg.define_asset_job(
    name="sweep_compare_job",
    selection="key:sweep_comparison",
    description="Tabulate the sweep's finished trials (ranked by validation accuracy) and name the best.",
)


@dg.schedule(
    name="nightly_monitor_schedule",
    job=monitor_job,
    cron_schedule="0 1 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 01:00 UTC: yesterday's logs, drift report and feedback set.",
)
def nightly_monitor_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    from datetime import timedelta

    day = (context.scheduled_execution_time - timedelta(days=1)).strftime("%Y-%m-%d")
    if not context.instance.fetch_materializations(dg.AssetKey("training_set"), limit=1).records:
        # drift_report and the audit compare traffic with the training set, which monitor_job does not build
        return dg.SkipReason(
            f"no training_set yet, so {day}'s traffic has nothing to be compared with: run retrain_job first "
            "(the nightly_retrain_schedule does once a source is ingested)"
        )
    return dg.RunRequest(run_key=f"monitor-{day}", partition_key=day)

@dg.schedule(
    name="nightly_retrain_schedule",
    job=retrain_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Every night at 02:00 UTC: retrain when some source was ingested since the last training run, the "
        "retrain that read the newest data failed, or the dedup settings in data/curation.yaml changed since "
        "it; otherwise skip, saying why."
    ),
)
def nightly_retrain_schedule(
    context: dg.ScheduleEvaluationContext, platform: PlatformResource
) -> dg.RunRequest | dg.SkipReason:
    latest_input = context.instance.fetch_materializations(dg.AssetKey("scored_records"), limit=1).records
    if not latest_input:
        return dg.SkipReason(
            "no source has been ingested yet: run ingest_job (the raw_files_sensor does when files appear)"
        )
    newest = latest_input[0]
    # The retrain runs that read this data (deduplicated_records, retrain_job's first asset), newest first.
    readers = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("deduplicated_records"), after_storage_id=newest.storage_id),
        limit=20,
    ).records
    failed: list[str] = []
    for record in readers:
        status, will_retry = _run_outcome(context.instance, record.run_id)
        if status is None or status == dg.DagsterRunStatus.SUCCESS:
            # no new data, but the dedup settings in data/curation.yaml changed since that training run
            changed = _dedup_settings_changed(platform.settings().root, record)
            if changed is not None:
                return dg.RunRequest(
                    run_key=f"nightly-dedup-settings-{changed}-{record.storage_id}",
                    tags={"finetune_platform/trigger": "nightly_retrain_schedule"},
                )
            return dg.SkipReason(
                f"no new data: the last ingest ({_when(newest.timestamp)}, source '{newest.partition_key}') is older "
                f"than the last training run's data ({_when(record.timestamp)})"
            )
        if status not in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED) or will_retry:
            return dg.SkipReason(f"retrain_job run {record.run_id} is training on the newest data ({status.value})")
        failed.append(record.run_id)
    pending = _retrain_yet_to_read(context.instance)
    if pending is not None:
        return dg.SkipReason(
            f"retrain_job run {pending.run_id} ({pending.status.value}) has not read its data yet: it trains on the "
            "newest data"
        )
    # Data no run trained on: the newest ingest, or one whose retrain failed (each failure gets a new key, so
    # the daemon, which launches a key once, retries it the next night).
    suffix = f"-after-{failed[0][:8]}" if failed else ""
    return dg.RunRequest(
        run_key=f"nightly-{newest.storage_id}{suffix}",
        tags={"finetune_platform/trigger": "nightly_retrain_schedule"},
    )


def _dedup_settings_changed(root: Path, dedup: dg.EventLogRecord) -> str | None:
    """The dedup settings hash of ``root``'s data/curation.yaml when it differs from the one the
    ``deduplicated_records`` materialization ``dedup`` recorded; None when equal or not recorded (a
    materialization from before the file was read: unknown, so no retrain for it)."""
    from finetune_platform.curation.settings_file import CURATION_FILE, load_curation_settings, settings_hash

    recorded = _metadata_value(dedup, "settings_file_hash")
    if recorded is None:
        return None
    wanted = settings_hash(load_curation_settings(root / CURATION_FILE).settings, "dedup")
    return wanted if wanted != recorded else None


#: Run states of a run that has not finished (queued by the daemon, or running).
_IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def _retrain_yet_to_read(instance: dg.DagsterInstance) -> Any:
    """A ``retrain_job`` run queued or running that has not materialized ``deduplicated_records`` yet (so it
    will read the data there is now), or None. A second request meanwhile would train on the same data."""
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=retrain_job.name, statuses=_IN_FLIGHT), limit=20)
    if not runs:
        return None
    read = {
        record.run_id
        for record in instance.fetch_materializations(dg.AssetKey("deduplicated_records"), limit=50).records
    }
    return next((run for run in runs if run.run_id not in read), None)


def _run_outcome(instance: dg.DagsterInstance, run_id: str | None) -> tuple[dg.DagsterRunStatus | None, bool]:
    """The status of the run that made a materialization (None: none, a materialization reported by hand,
    which counts as done) and whether the daemon will retry it."""
    if not run_id:
        return None, False
    run = instance.get_run_by_id(run_id)
    if run is None:
        return None, False
    return run.status, run.tags.get("dagster/will_retry") == "true"


def _new_data_since_training(instance: dg.DagsterInstance) -> bool:
    """Whether there is data the last training run did not have: a source ingested (``scored_records``), or
    preference pairs collected (``preference_pairs`` with pairs, which DPO reads directly), after that run
    read its data (``deduplicated_records``, the first asset of ``retrain_job``)."""
    last_training = instance.fetch_materializations(dg.AssetKey("deduplicated_records"), limit=1).records
    after = last_training[0].storage_id if last_training else 0
    if instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("scored_records"), after_storage_id=after), limit=1
    ).records:
        return True
    pairs = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("preference_pairs"), after_storage_id=after), limit=100
    ).records
    return any(_metadata_value(r, "pairs") for r in pairs)


def _metadata_value(record: Any, key: str) -> Any:
    """A metadata value of a materialization record (None when absent)."""
    materialization = record.asset_materialization
    entry = materialization.metadata.get(key) if materialization is not None else None
    return getattr(entry, "value", entry)


def _when(timestamp: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


#: Assets whose materializations can call for retraining, and the metadata flag that says so.
RETRAIN_SIGNALS: dict[str, str] = {
    "drift_report": "drift_detected",
    "feedback_set": "retrain_threshold_reached",
}


def _flag(record: dg.EventLogRecord, flag: str) -> bool:
    mat = record.asset_materialization
    if mat is None:
        return False
    value = mat.metadata.get(flag)
    return bool(getattr(value, "value", value))


#: A signal from a day partition older than this (a backfill of old days) does not retrain today's model.
SIGNAL_MAX_AGE_DAYS = 3


def _feedback_ingested(instance: dg.DagsterInstance, platform: PlatformResource) -> bool:
    """True when every feedback batch file on disk has been ingested: each configured feedback source's
    (``feedback``, ``feedback_chats``) files are the ones its last ``raw_corpus`` run read (a source that
    is not configured counts as ingested: nothing will ingest its files)."""
    from finetune_platform.ingest.sources import source_fingerprint
    from finetune_platform.monitoring.feedback_source import configured_feedback_sources

    settings = platform.settings()
    return all(
        not _has_files(source, settings.raw_dir)  # nothing written there yet: nothing to wait for
        or (
            _last_ingested_fingerprint(instance, source.name) == source_fingerprint(source, settings.raw_dir)
            and _curated_since_read(instance, source.name)
        )
        for source in configured_feedback_sources(settings.root / "data" / "sources.yaml").values()
    )


def _curated_since_read(instance: dg.DagsterInstance, source: str) -> bool:
    """Whether ``source``'s latest ``scored_records`` came after its latest ``raw_corpus``: the rows the last
    ingest read were curated too (raw_corpus is written even when a later step of that run fails, and a
    retrain reads the curated records, not the raw ones)."""
    def latest(asset: str) -> dg.EventLogRecord | None:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[source]), limit=1
        ).records
        return records[0] if records else None

    read, curated = latest("raw_corpus"), latest("scored_records")
    return read is not None and curated is not None and curated.storage_id > read.storage_id


def _has_files(source: Any, raw_dir: Path) -> bool:
    """Whether ``source``'s path pattern matches a file under ``raw_dir``."""
    try:
        return bool(source.resolve_files(raw_dir))
    except FileNotFoundError:
        return False


def _stale_partition(record: dg.EventLogRecord, today: datetime) -> bool:
    """True for a materialization of a day partition more than ``SIGNAL_MAX_AGE_DAYS`` before ``today``."""
    key = record.partition_key
    if not key:
        return False
    try:
        day = datetime.strptime(key, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return False
    return (today - day).days > SIGNAL_MAX_AGE_DAYS


@dg.sensor(
    name="retrain_signal_sensor",
    job=retrain_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Requests retrain_job when drift_report says drift, or feedback_set has grown past its "
        "threshold. Every materialization since the last check is read (not only the newest), signals of "
        "one tick make one run, and backfills of days more than 3 days old do not retrain."
    ),
)
def retrain_signal_sensor(
    context: dg.SensorEvaluationContext, platform: PlatformResource
) -> dg.SensorResult | dg.SkipReason:
    cursor: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    today = datetime.now(timezone.utc)
    triggers: list[tuple[str, dg.EventLogRecord]] = []
    seen: list[str] = []
    stale: list[str] = []
    waiting = False
    for asset, flag in RETRAIN_SIGNALS.items():
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), after_storage_id=cursor.get(asset, 0)),
            limit=1000,
            ascending=True,
        ).records
        if not records:
            continue
        seen.append(asset)
        flagged = [r for r in records if _flag(r, flag)]
        if asset == "feedback_set" and flagged and not _feedback_ingested(context.instance, platform):
            # The corrections that call for a retrain are batch files not ingested yet (raw_files_sensor runs
            # ingest_job(feedback) within minutes): retraining now would train without them. Wait: the cursor
            # stays before these materializations, so a later tick reads them again.
            waiting = True
            cursor[asset] = min(r.storage_id for r in flagged) - 1
            continue
        cursor[asset] = max(r.storage_id for r in records)
        for record in flagged:
            if _stale_partition(record, today):
                stale.append(f"{asset}[{record.partition_key}]")
            else:
                triggers.append((asset, record))
    if not seen:
        return dg.SkipReason("No new drift_report or feedback_set materialization since the last check.")
    if any(asset == "drift_report" for asset, _ in triggers) and not _new_data_since_training(context.instance):
        # Retraining on the data the model already learned would give the same model, and the drift (traffic
        # unlike the training set) would call for it again every day.
        days = sorted({str(r.partition_key) for a, r in triggers if a == "drift_report"})
        triggers = [(a, r) for a, r in triggers if a != "drift_report"]
        stale.append(f"drift on {', '.join(days)} with no data ingested and no preference pairs collected since the "
                     "last training run (retraining would learn the same data; the next drift after fresh data retrains)")
    if not triggers:
        why = f"New {', '.join(seen)} materialization(s) without drift or enough new feedback"
        if waiting:
            why = "feedback_set calls for a retrain: waiting for ingest_job to ingest and curate its batch files"
        if stale:
            why += f"; signals ignored: {', '.join(stale[:5])}"
        return dg.SensorResult(skip_reason=why + ".", cursor=json.dumps(cursor))
    pending = _retrain_yet_to_read(context.instance)
    if pending is not None:
        # That run reads the data there is now (the corrections, the drifted days' traffic come in through
        # ingest): the signals are served by it; the cursor moves past them.
        return dg.SensorResult(
            skip_reason=f"{', '.join(sorted({a for a, _ in triggers}))} call for a retrain, and retrain_job run "
            f"{pending.run_id} ({pending.status.value}) has not read its data yet: it is that retrain.",
            cursor=json.dumps(cursor),
        )
    assets = sorted({asset for asset, _ in triggers})
    request = dg.RunRequest(
        run_key="retrain-" + "-".join(f"{asset}{record.storage_id}" for asset, record in triggers),
        tags={
            "finetune_platform/trigger": ",".join(assets),
            "finetune_platform/trigger_run": ",".join(sorted({record.run_id for _, record in triggers})),
        },
    )
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(cursor))


def _error_chain(error: object) -> str:
    """An error's message followed by its causes' (the user's exception is usually a cause)."""
    messages: list[str] = []
    while error is not None:
        messages.append(str(getattr(error, "message", error)).strip())
        error = getattr(error, "cause", None)
    return " <- caused by: ".join(messages)


@dg.run_failure_sensor(
    name="run_failure_recorder_sensor",
    monitored_jobs=[ingest_job, retrain_job, monitor_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Appends every failed pipeline run (job, run id, failing step, error) to the failure log.",
)
def run_failure_recorder_sensor(context: dg.RunFailureSensorContext, platform: PlatformResource) -> None:
    from finetune_platform.monitoring.failures import FailureRecord, record_failure

    step_errors = [
        f"{event.step_key}: {_error_chain(event.event_specific_data.error)}"
        for event in context.get_step_failure_events()
        if event.event_specific_data is not None and event.event_specific_data.error is not None
    ]
    record_failure(
        platform.settings().failure_log,
        FailureRecord(
            run_id=context.dagster_run.run_id,
            job_name=context.dagster_run.job_name,
            message=context.failure_event.message or "",
            step_errors=step_errors,
            tags=dict(context.dagster_run.tags),
        ),
    )


@dg.sensor(
    name="raw_files_sensor",
    job=ingest_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Watches every source in data/sources.yaml; a new source becomes a partition, and a source whose "
        "files changed (content fingerprint) gets an ingest_job run for its partition only. A source already "
        "ingested from its current files (by the demo, the CLI or a launch) is not ingested again."
    ),
)
def raw_files_sensor(context: dg.SensorEvaluationContext, platform: PlatformResource) -> dg.SensorResult | dg.SkipReason:
    from finetune_platform.ingest.sources import load_sources, source_fingerprint

    settings = platform.settings()
    sources = load_sources(settings.root / "data" / "sources.yaml")
    cursor, runs, retries = _files_cursor(context.cursor)
    known = set(context.instance.get_dynamic_partitions(SOURCE_PARTITIONS.name))
    configured = {s.name for s in sources}
    new_partitions = [s.name for s in sources if s.name not in known]
    # A source taken out of sources.yaml stops being a partition, so the next retrain no longer trains on the
    # rows it left behind (deduplicated_records reads every partition's curated records).
    removed = sorted(known - configured)
    requests, waiting, given_up = [], [], []
    for source in sources:
        fingerprint = source_fingerprint(source, settings.raw_dir)

        def done() -> bool:  # these files were read, and the rows read were curated (ingest_job's last step)
            return _last_ingested_fingerprint(context.instance, source.name) == fingerprint and _curated_since_read(
                context.instance, source.name
            )

        if cursor.get(source.name) == fingerprint:
            # Requested already: done, running, or retried by the daemon, unless its run failed for good
            # before its rows were read and curated, which would otherwise never happen (nor the feedback in
            # them be trained on). Up to MAX_INGEST_ATTEMPTS runs per set of files: a source that fails every
            # time waits for its files to change (or a launch by hand), not a new run every tick.
            key = f"{source.name}-{fingerprint}-{runs.get(source.name, 0)}"
            if done() or not _failed_for_good(context.instance, key):
                continue
            if retries.get(source.name, 1) >= MAX_INGEST_ATTEMPTS:
                given_up.append(source.name)
                continue
            retries[source.name] = retries.get(source.name, 1) + 1
            runs[source.name] = runs.get(source.name, 0) + 1
            requests.append(
                dg.RunRequest(partition_key=source.name, run_key=f"{source.name}-{fingerprint}-{runs[source.name]}")
            )
            continue
        last = _last_ingested_fingerprint(context.instance, source.name)
        if last is None and not _has_files(source, settings.raw_dir):
            waiting.append(source.name)  # nothing written there yet, nothing ingested before: nothing to do
            continue
        if source.name not in cursor and done():
            # Not seen by this sensor yet, but ingested and curated already from these very files (`make
            # demo`, the CLI, a launch from the UI): nothing to do until they change.
            cursor[source.name] = fingerprint
            continue
        cursor[source.name] = fingerprint
        retries[source.name] = 1
        runs[source.name] = runs.get(source.name, 0) + 1
        # The run key names the request's place in this source's history too: the daemon never launches a
        # key twice, and files put back as they were (the same fingerprint as an earlier run) need a new run.
        requests.append(
            dg.RunRequest(partition_key=source.name, run_key=f"{source.name}-{fingerprint}-{runs[source.name]}")
        )
    for name in removed:
        cursor.pop(name, None)
        retries.pop(name, None)
    if given_up:
        context.log.warning(
            f"ingest_job failed {MAX_INGEST_ATTEMPTS} times on the current files of {', '.join(given_up)}; not "
            "requested again until those files change (fix the cause, then launch ingest_job for the partition)"
        )
    if not requests and not new_partitions and not removed:
        waits = f"; no files yet for {', '.join(waiting)}" if waiting else ""
        failing = (
            f"; {', '.join(given_up)} failed {MAX_INGEST_ATTEMPTS} times on its current files and waits for them "
            "to change or a launch by hand" if given_up else ""
        )
        return dg.SkipReason(f"none of the {len(sources)} sources changed since the last check{waits}{failing}")
    partition_requests = []
    if new_partitions:
        partition_requests.append(SOURCE_PARTITIONS.build_add_request(new_partitions))
    if removed:
        partition_requests.append(SOURCE_PARTITIONS.build_delete_request(removed))
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps({"fingerprints": cursor, "runs": runs, "attempts": retries}, sort_keys=True),
        dynamic_partitions_requests=partition_requests or None,
    )


#: The per-source curation stages, as (stage, asset), whose settings curation_settings_sensor compares.
_PER_SOURCE_STAGES: tuple[tuple[str, str], ...] = (
    ("normalize", "normalized_records"),
    ("pii", "pii_redacted_records"),
    ("quality", "scored_records"),
)


@dg.sensor(
    name="curation_settings_sensor",
    job=ingest_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Re-curates every source whose normalize, pii or quality settings in data/curation.yaml differ from the "
        "ones its curated records were made with (an ingest_job run per source), so that all sources are "
        "curated under the same settings, and, once, every source curated by another release of the curation "
        "code (an improved detector reaches the sources whose files never change). A dedup change needs "
        "nothing: deduplicated_records reads the file on every retrain."
    ),
)
def curation_settings_sensor(
    context: dg.SensorEvaluationContext, platform: PlatformResource
) -> dg.SensorResult | dg.SkipReason:
    from finetune_platform.curation.incremental import code_fingerprint
    from finetune_platform.curation.settings_file import CURATION_FILE, load_curation_settings, settings_hash

    # an invalid file fails the tick with the loader's message (file, key, what is wrong)
    settings = load_curation_settings(platform.settings().root / CURATION_FILE).settings
    wanted = {stage: settings_hash(settings, stage) for stage, _ in _PER_SOURCE_STAGES}
    # the curation_code_version each stage records, of the code on disk now (the runs this sensor requests are
    # new processes, which hash the files as they are then, not as this process first saw them)
    code_fingerprint.cache_clear()
    code = code_fingerprint()[:16]
    requests, changed_by_source = [], {}
    for source in sorted(context.instance.get_dynamic_partitions(SOURCE_PARTITIONS.name)):
        latest = {
            stage: _latest_partition_record(context.instance, asset, source) for stage, asset in _PER_SOURCE_STAGES
        }
        scored = latest["quality"]
        if scored is None:
            continue  # never curated: raw_files_sensor ingests it when its files appear
        # what each stage's latest materialization recorded of the file (absent before it recorded any: stale)
        changed = [
            stage
            for stage, record in latest.items()
            if record is None or _metadata_value(record, "settings_file_hash") != wanted[stage]
        ]
        # curated by another release (or by one from before the version was recorded): every cache entry of the
        # source is stale, and its curated records are what the old code made of it, whether or not its files
        # ever change again
        new_code = any(
            record is not None and _metadata_value(record, "curation_code_version") != code for record in latest.values()
        )
        if not changed and not new_code:
            continue
        changed_by_source[source] = changed + (["curation code"] if new_code else [])
        key = "-".join(wanted[stage][:8] for stage, _ in _PER_SOURCE_STAGES)
        requests.append(
            dg.RunRequest(
                partition_key=source,
                # one request per settings version and curation of the source (a setting put back as it was
                # after a later curation is a new run; the daemon never launches a key twice); for a release
                # alone, one per release and curation of the source: a rollback to a release seen before is a
                # new run, and a run that fails leaves the curation, so the key, as it was (no loop)
                run_key=(
                    f"curation-settings-{source}-{key}-{scored.storage_id}" if changed
                    else f"curation-code-{source}-{code}-{scored.storage_id}"
                ),
                tags={"finetune_platform/trigger": "curation_settings_sensor"},
            )
        )
    if not requests:
        return dg.SkipReason(
            f"every curated source was curated under the settings in {CURATION_FILE} and this release's curation code"
        )
    context.log.info(
        f"re-curating (what changed since each source was curated; 'curation code': a new release, curated once): "
        + "; ".join(f"{source} ({', '.join(stages)})" for source, stages in changed_by_source.items())
    )
    return dg.SensorResult(run_requests=requests)


def _latest_partition_record(instance: dg.DagsterInstance, asset: str, partition: str) -> dg.EventLogRecord | None:
    """The latest materialization of ``asset``'s ``partition``, if any."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=1
    ).records
    return records[0] if records else None


def _metadata_value(record: dg.EventLogRecord, key: str) -> Any:
    """The value of metadata entry ``key`` of a materialization record, or None."""
    materialization = record.asset_materialization
    value = materialization.metadata.get(key) if materialization is not None else None
    return getattr(value, "value", None)


#: Runs ``raw_files_sensor`` requests for one set of a source's files (the first and the re-requests after a
#: run failed for good) before it waits for the files to change.
MAX_INGEST_ATTEMPTS = 3


def _files_cursor(cursor: str | None) -> tuple[dict[str, str], dict[str, int], dict[str, int]]:
    """``raw_files_sensor``'s cursor: each source's last fingerprint, how many runs it has requested for it
    in all, and how many for its current files (a cursor written before the counts were kept is the
    fingerprints alone)."""
    data = json.loads(cursor) if cursor else {}
    if "fingerprints" in data and isinstance(data["fingerprints"], dict):
        return (
            dict(data["fingerprints"]),
            {k: int(v) for k, v in data.get("runs", {}).items()},
            {k: int(v) for k, v in data.get("attempts", {}).items()},
        )
    return dict(data), {}, {}


def _trained_since(instance: dg.DagsterInstance, specialist: str, since: float) -> bool:
    """Whether the latest ``specialist_model`` materialization of ``specialist`` comes from a run that started
    at or after ``since`` (a timestamp); a materialization without a run (reported by hand) counts from
    when it was recorded."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("specialist_model"), asset_partitions=[specialist]), limit=1
    ).records
    if not records:
        return False
    started = records[0].timestamp
    run = instance.get_run_record_by_id(records[0].run_id) if records[0].run_id else None
    if run is not None:
        started = run.start_time if run.start_time is not None else run.create_timestamp.timestamp()
    return started >= since


def _failed_for_good(instance: dg.DagsterInstance, run_key: str) -> bool:
    """Whether the run requested with ``run_key`` ended failed or canceled and the daemon will not retry it
    (its latest attempt: a retry is a new run whose ``dagster/root_run_id`` is the first one's)."""
    first = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": run_key}))
    attempts = list(first)
    for run in first:
        attempts += instance.get_runs(filters=dg.RunsFilter(tags={"dagster/root_run_id": run.run_id}))
    if not attempts:
        return False  # not launched yet
    latest = max(attempts, key=lambda run: instance.get_run_record_by_id(run.run_id).create_timestamp)
    ended = latest.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
    return ended and latest.tags.get("dagster/will_retry") != "true"


def _last_ingested_fingerprint(instance: dg.DagsterInstance, source: str) -> str | None:
    """The ``source_fingerprint`` the latest ``raw_corpus`` materialization of ``source`` recorded, if any."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("raw_corpus"), asset_partitions=[source]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    value = records[0].asset_materialization.metadata.get("source_fingerprint")
    return getattr(value, "value", None)


@dg.sensor(
    name="canary_rollout_sensor",
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Moves a staged canary rollout (e.g. 5% -> 25% -> 100%) one gated stage per tick: each stage must "
        "pass the error-rate, latency and negative-feedback thresholds on the challenger's traffic, a "
        "crossed threshold rolls back at once (share 0, kill switch), and a completed rollout promotes the "
        "challenger to champion in the registry. Start one with `finetune-platform rollout start`."
    ),
)
def canary_rollout_sensor(
    context: dg.SensorEvaluationContext,
    platform: PlatformResource,
    log_store: LogStoreResource,
    registry: RegistryResource,
) -> dg.SkipReason:
    from finetune_platform.serving.routing import Router, StagedRollout, promote_pending_rollout

    settings = platform.settings()
    if not settings.rollout_state_path.exists():
        return dg.SkipReason("no rollout state yet: start a staged rollout with `finetune-platform rollout start`")
    router = Router(state_path=settings.rollout_state_path)
    decision = StagedRollout(router, log_store.store()).step()
    message = decision.summary()
    # a completed rollout (this tick's, or an earlier one whose promotion failed) is promoted; should the
    # registry fail, the flag stays and the next tick tries again
    promoted = promote_pending_rollout(router, registry.registry())
    if promoted:
        message += "; " + promoted
    context.log.info(message)
    return dg.SkipReason(message)


@dg.sensor(
    name="sweep_file_sensor",
    job=sweep_compare_job,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Adds the new trials of data/sweep.yaml as sweep_trial partitions (a removed trial's stays; the "
        "comparison leaves it out), and requests sweep_compare_job once every trial has a result, and again "
        "whenever a trial's result is newer than the last comparison."
    ),
)
def sweep_file_sensor(context: dg.SensorEvaluationContext, platform: PlatformResource) -> dg.SensorResult | dg.SkipReason:
    from finetune_platform.defs.sweep import SWEEP_FILE
    from finetune_platform.training.sweep import trial_names

    path = platform.settings().root / SWEEP_FILE
    trials = trial_names(path)
    if not trials:
        return dg.SkipReason(f"no sweep file at {path}: nothing to register")
    known = set(context.instance.get_dynamic_partitions(SWEEP_TRIALS.name))
    new = [t for t in trials if t not in known]
    latest: list[int] = []
    for trial in trials:
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("sweep_trial"), asset_partitions=[trial]), limit=1
        ).records
        if records:
            latest.append(records[0].storage_id)
    comparison = context.instance.fetch_materializations(dg.AssetKey("sweep_comparison"), limit=1).records
    requests = []
    if len(latest) == len(trials) and (not comparison or comparison[0].storage_id < max(latest)):
        requests.append(dg.RunRequest(run_key=f"sweep-compare-{max(latest)}", tags={"finetune_platform/trigger": "sweep_file_sensor"}))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[SWEEP_TRIALS.build_add_request(new)] if new else [],
    )


@dg.sensor(
    name="specialists_file_sensor",
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Keeps the specialist_model partitions in step with data/specialists.yaml (a new specialist becomes a "
        "partition to materialize; a removed one keeps its partition but no longer serves once its alias goes)."
    ),
)
def specialists_file_sensor(context: dg.SensorEvaluationContext, platform: PlatformResource) -> dg.SensorResult | dg.SkipReason:
    from finetune_platform.defs.specialists import SPECIALISTS_FILE
    from finetune_platform.specialists.spec import load_specialists

    path = platform.settings().root / SPECIALISTS_FILE
    names = list(load_specialists(path).specialists)
    if not names:
        return dg.SkipReason(f"no specialists in {path}: nothing to register")
    known = set(context.instance.get_dynamic_partitions(SPECIALIST_PARTITIONS.name))
    new = [n for n in names if n not in known]
    if not new:
        return dg.SkipReason(f"every specialist of {path} is a partition already")
    return dg.SensorResult(dynamic_partitions_requests=[SPECIALIST_PARTITIONS.build_add_request(new)])


@dg.sensor(
    name="specialists_refresh_sensor",
    job=specialists_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "When retrain_job registers a new model version, requests a specialists_job run per specialist of "
        "data/specialists.yaml: each is retrained on the new data version and judged against the (possibly "
        "new) generalist, so a specialist that no longer beats it stops serving. Specialists trained after "
        "that registration already are left alone."
    ),
)
def specialists_refresh_sensor(context: dg.SensorEvaluationContext, platform: PlatformResource) -> dg.SensorResult | dg.SkipReason:
    from finetune_platform.defs.specialists import SPECIALISTS_FILE
    from finetune_platform.specialists.spec import load_specialists

    records = context.instance.fetch_materializations(dg.AssetKey("registered_model"), limit=1).records
    if not records:
        return dg.SkipReason("no model registered yet")
    latest, registered_at = records[0].storage_id, records[0].timestamp
    if context.cursor and int(context.cursor) >= latest:
        return dg.SkipReason("no model registered since the last refresh")
    names = list(load_specialists(platform.settings().root / SPECIALISTS_FILE).specialists)
    if not names:
        return dg.SensorResult(skip_reason=dg.SkipReason("no specialists defined"), cursor=str(latest))
    known = set(context.instance.get_dynamic_partitions(SPECIALIST_PARTITIONS.name))
    new = [n for n in names if n not in known]
    # A specialist trained after that registration (`finetune-platform specialists`, a launch from the UI)
    # was already judged against the current generalist: one whose run started after it. (A run that
    # started before and finished after trained on the earlier data and generalist: stale.)
    stale = [n for n in names if n not in known or not _trained_since(context.instance, n, registered_at)]
    if not stale:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"every specialist was trained after model registration {latest}"),
            dynamic_partitions_requests=[],
            cursor=str(latest),
        )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"specialist-{name}-after-{latest}", partition_key=name,
                          tags={"finetune_platform/trigger": "specialists_refresh_sensor"})
            for name in stale
        ],
        dynamic_partitions_requests=[SPECIALIST_PARTITIONS.build_add_request(new)] if new else [],
        cursor=str(latest),
    )
