"""The retrain sensor, the nightly schedule and the run-failure recorder."""

import json

import dagster as dg

from finetune_platform.defs.automation import nightly_retrain_schedule, retrain_signal_sensor
from finetune_platform.monitoring.failures import read_failures


def _context(instance: dg.DagsterInstance, cursor: str | None = None, root: str = "/nonexistent-project"):
    """A sensor context with the platform resource (a root without data/sources.yaml: no feedback source)."""
    from finetune_platform.resources import PlatformResource

    return dg.build_sensor_context(instance=instance, cursor=cursor, resources={"platform": PlatformResource(root=root)})


def _nightly(instance: dg.DagsterInstance, root: str = "/nonexistent-project") -> dg.RunRequest | dg.SkipReason:
    """nightly_retrain_schedule's verdict, with the platform resource (a root without data/curation.yaml: the
    defaults). The context is closed after (one left open breaks the definitions that later tests load)."""
    from finetune_platform.resources import PlatformResource

    with dg.build_schedule_context(instance=instance, resources={"platform": PlatformResource(root=root)}) as context:
        return nightly_retrain_schedule(context)


def _report(instance: dg.DagsterInstance, asset: str, **metadata: object) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset, metadata=metadata))


def test_sensor_skips_without_signals() -> None:
    with dg.instance_for_test() as instance:
        result = retrain_signal_sensor(_context(instance))
        assert isinstance(result, dg.SkipReason)
        assert "No new drift_report or feedback_set" in result.skip_message


def test_sensor_requests_one_run_per_drift_signal_and_advances_its_cursor() -> None:
    with dg.instance_for_test() as instance:
        _report(instance, "scored_records")  # data ingested since the last training run
        _report(instance, "drift_report", drift_detected=True, verdict="drift")
        context = _context(instance)
        result = retrain_signal_sensor(context)
        assert isinstance(result, dg.SensorResult)
        assert len(result.run_requests) == 1
        request = result.run_requests[0]
        assert request.tags["finetune_platform/trigger"] == "drift_report"
        cursor = json.loads(result.cursor)
        assert cursor["drift_report"] > 0

        # the same materialization never triggers twice
        again = retrain_signal_sensor(_context(instance, result.cursor))
        assert isinstance(again, dg.SkipReason)


def test_sensor_ignores_no_drift_and_small_feedback_but_moves_the_cursor() -> None:
    with dg.instance_for_test() as instance:
        _report(instance, "drift_report", drift_detected=False, verdict="no_drift")
        _report(instance, "feedback_set", retrain_threshold_reached=False, new_examples_since_training=3)
        result = retrain_signal_sensor(_context(instance))
        assert isinstance(result, dg.SensorResult)
        assert not result.run_requests
        assert set(json.loads(result.cursor)) == {"drift_report", "feedback_set"}

        _report(instance, "feedback_set", retrain_threshold_reached=True, new_examples_since_training=80)
        later = retrain_signal_sensor(_context(instance, result.cursor))
        assert [r.tags["finetune_platform/trigger"] for r in later.run_requests] == ["feedback_set"]


def _skip_message(result: object) -> str:
    return result.skip_message if isinstance(result, dg.SkipReason) else ""


def test_nightly_schedule_skips_before_any_ingest() -> None:
    with dg.instance_for_test() as instance:
        result = _nightly(instance)
        assert "no source has been ingested yet" in _skip_message(result)


def test_nightly_schedule_retrains_on_new_data_and_skips_when_nothing_changed() -> None:
    with dg.instance_for_test() as instance:
        _report(instance, "scored_records")
        first = _nightly(instance)
        assert isinstance(first, dg.RunRequest)
        assert first.tags["finetune_platform/trigger"] == "nightly_retrain_schedule"

        _report(instance, "deduplicated_records")  # the training run consumed that data
        second = _nightly(instance)
        assert "no new data" in _skip_message(second)

        _report(instance, "scored_records")  # a source was re-ingested
        third = _nightly(instance)
        assert isinstance(third, dg.RunRequest) and third.run_key != first.run_key


def test_nightly_schedule_retrains_data_whose_training_run_failed(monkeypatch) -> None:
    """A retrain that read the data (deduplicated_records) and then failed did not train on it: the next night
    tries again, with a new run key (the daemon launches a key once), unless the daemon retries it anyway."""
    from finetune_platform.defs import automation

    with dg.instance_for_test() as instance:
        _report(instance, "scored_records")
        first = _nightly(instance)
        _report(instance, "deduplicated_records")
        outcomes = {
            "failed": (dg.DagsterRunStatus.FAILURE, False),
            "retrying": (dg.DagsterRunStatus.FAILURE, True),
            "running": (dg.DagsterRunStatus.STARTED, False),
            "done": (dg.DagsterRunStatus.SUCCESS, False),
        }
        results = {}
        for name, outcome in outcomes.items():
            monkeypatch.setattr(automation, "_run_outcome", lambda instance, run_id, outcome=outcome: outcome)
            results[name] = _nightly(instance)
        assert isinstance(results["failed"], dg.RunRequest) and results["failed"].run_key != first.run_key
        assert "is training on the newest data" in _skip_message(results["retrying"])
        assert "is training on the newest data" in _skip_message(results["running"])
        assert "no new data" in _skip_message(results["done"])


def test_raw_files_sensor_adds_partitions_and_requests_only_changed_sources(tmp_path) -> None:
    from finetune_platform.defs.automation import raw_files_sensor
    from finetune_platform.resources import PlatformResource

    raw = tmp_path / "data" / "raw"
    (raw / "a").mkdir(parents=True)
    (raw / "b").mkdir(parents=True)
    (raw / "a" / "one.jsonl").write_text('{"text": "hello there"}\n')
    (raw / "b" / "one.csv").write_text("text,category\nmy parcel is late,shipping\n")
    (tmp_path / "data" / "sources.yaml").write_text(
        "sources:\n"
        "  - {name: a, path: a/*.jsonl, format: jsonl}\n"
        "  - {name: b, path: b/*.csv, format: csv, label_field: category}\n"
    )
    resources = {"platform": PlatformResource(root=str(tmp_path))}
    with dg.instance_for_test() as instance:
        first = raw_files_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert sorted(r.partition_key for r in first.run_requests) == ["a", "b"]
        assert first.dynamic_partitions_requests[0].partition_keys == ["a", "b"]
        instance.add_dynamic_partitions("source", ["a", "b"])

        unchanged = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources))
        assert "none of the 2 sources changed" in _skip_message(unchanged)

        (raw / "b" / "two.csv").write_text("text,category\nrefund please,refund\n")
        changed = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources))
        assert [r.partition_key for r in changed.run_requests] == ["b"]


def test_run_failure_sensor_records_the_failure(tmp_path) -> None:
    from finetune_platform.defs.automation import monitor_job, run_failure_recorder_sensor
    from finetune_platform.resources import PlatformResource

    @dg.asset(group_name="monitor")
    def broken() -> None:
        raise RuntimeError("disk full while writing drift plot")

    job = dg.define_asset_job("monitor_job", selection=[broken])
    defs = dg.Definitions(assets=[broken], jobs=[job])
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("monitor_job").execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        failure_event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_recorder_sensor",
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=failure_event,
            resources={"platform": PlatformResource(root=str(tmp_path))},
        ).for_run_failure()
        run_failure_recorder_sensor(context)
    failures = read_failures(tmp_path / "artifacts" / "run_failures.jsonl")
    assert len(failures) == 1
    assert failures[0].run_id == result.run_id
    assert any("disk full" in e for e in failures[0].step_errors)
    del monitor_job


def test_nightly_monitor_schedule_reports_on_yesterday_once_a_training_set_exists() -> None:
    from datetime import datetime, timezone

    from finetune_platform.defs.automation import nightly_monitor_schedule

    when = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)
    with dg.instance_for_test() as instance:
        # drift_report and the audit compare with the training set: without one the run could only fail
        skipped = nightly_monitor_schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        assert "no training_set yet" in _skip_message(skipped) and "2026-11-27" in _skip_message(skipped)
        _report(instance, "training_set")
        request = nightly_monitor_schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        assert request.partition_key == "2026-11-27"


def _files_sensor_project(tmp_path):
    from finetune_platform.resources import PlatformResource

    raw = tmp_path / "data" / "raw"
    (raw / "a").mkdir(parents=True)
    (raw / "a" / "one.jsonl").write_text('{"text": "hello there"}\n')
    (tmp_path / "data" / "sources.yaml").write_text(
        "sources:\n"
        "  - {name: a, path: a/*.jsonl, format: jsonl}\n"
        "  - {name: later, path: later/*.csv, format: csv, required: false}\n"
    )
    return raw, {"platform": PlatformResource(root=str(tmp_path))}


def test_raw_files_sensor_waits_for_a_source_without_files(tmp_path) -> None:
    from finetune_platform.defs.automation import raw_files_sensor

    raw, resources = _files_sensor_project(tmp_path)
    with dg.instance_for_test() as instance:
        first = raw_files_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert [r.partition_key for r in first.run_requests] == ["a"]  # 'later' has no files: no failing run
        assert first.dynamic_partitions_requests[0].partition_keys == ["a", "later"]
        instance.add_dynamic_partitions("source", ["a", "later"])
        idle = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources))
        assert "no files yet for later" in _skip_message(idle)
        (raw / "later").mkdir()
        (raw / "later" / "one.csv").write_text("text\nmy parcel is late\n")
        arrived = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources))
        assert [r.partition_key for r in arrived.run_requests] == ["later"]


def test_raw_files_sensor_reingests_files_put_back_as_they_were(tmp_path) -> None:
    """The daemon never launches a run key twice: a fingerprint seen before needs a new key."""
    from finetune_platform.defs.automation import raw_files_sensor

    raw, resources = _files_sensor_project(tmp_path)
    with dg.instance_for_test() as instance:
        cursor, keys = None, []
        for content in ('{"text": "hello there"}\n', '{"text": "bad row"}\n', '{"text": "hello there"}\n'):
            (raw / "a" / "one.jsonl").write_text(content)
            result = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources))
            assert [r.partition_key for r in result.run_requests] == ["a"]
            keys.append(result.run_requests[0].run_key)
            cursor = result.cursor
            instance.add_dynamic_partitions("source", ["a", "later"])
        assert len(set(keys)) == 3 and keys[0].rsplit("-", 1)[0] == keys[2].rsplit("-", 1)[0]


def test_raw_files_sensor_drops_the_partition_of_a_removed_source(tmp_path) -> None:
    from finetune_platform.defs.automation import raw_files_sensor

    raw, resources = _files_sensor_project(tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("source", ["a", "later", "gone"])
        old_cursor = json.dumps({"a": "stale", "gone": "abc"})  # written by a release before the run counts
        result = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=old_cursor, resources=resources))
        deletes = [r for r in result.dynamic_partitions_requests if isinstance(r, dg.DeleteDynamicPartitionsRequest)]
        assert [r.partition_keys for r in deletes] == [["gone"]]
        assert "gone" not in json.loads(result.cursor)["fingerprints"]
        assert [r.partition_key for r in result.run_requests] == ["a"]


def test_canary_rollout_sensor_advances_a_healthy_rollout_and_rolls_back_a_bad_one(tmp_path) -> None:
    from datetime import datetime, timedelta, timezone

    from finetune_platform.defs.automation import canary_rollout_sensor
    from finetune_platform.monitoring.store import LogStore
    from finetune_platform.resources import LogStoreResource, PlatformResource, RegistryResource
    from finetune_platform.serving.routing import Router, RolloutSettings, StagedRollout
    from finetune_platform.settings import Settings

    settings = Settings.for_root(tmp_path)
    resources = {
        "platform": PlatformResource(root=str(tmp_path)),
        "log_store": LogStoreResource(url=settings.log_store_url),
        "registry": RegistryResource(tracking_uri=settings.mlflow_tracking_uri),
    }
    context = dg.build_sensor_context(resources=resources)
    assert "no rollout state yet" in canary_rollout_sensor(context).skip_message

    settings.production_dir.mkdir(parents=True)
    store = LogStore(settings.log_store_url)
    router = Router(state_path=settings.rollout_state_path)
    started = StagedRollout(router, store, RolloutSettings(), clock=lambda: datetime.now(timezone.utc) - timedelta(minutes=1)).start()
    assert started.share_after == 0.05

    for i in range(RolloutSettings().min_requests + 5):  # healthy challenger traffic
        store.log_request(prompt=f"q{i}", response="ok", model_name="m", model_version="2", variant="challenger",
                          user_id=f"u{i}", latency_ms=20.0, prompt_tokens=3, completion_tokens=2, status_code=200)
    advanced = canary_rollout_sensor(dg.build_sensor_context(resources=resources)).skip_message
    assert advanced.startswith("advanced") or advanced.startswith("held"), advanced

    for i in range(200):  # now the challenger fails
        store.log_request(prompt=f"bad{i}", response="", model_name="m", model_version="2", variant="challenger",
                          user_id=f"x{i}", latency_ms=20.0, prompt_tokens=3, completion_tokens=0, status_code=500, error="boom")
    rolled = canary_rollout_sensor(dg.build_sensor_context(resources=resources)).skip_message
    assert rolled.startswith("rolled_back"), rolled
    state = Router(state_path=settings.rollout_state_path).state
    assert state.kill_switch and state.canary_share == 0.0


def test_signals_of_one_tick_make_one_run_and_none_is_missed_or_taken_from_an_old_backfill() -> None:
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    old = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%d")
    with dg.instance_for_test() as instance:
        _report(instance, "scored_records")
        _report(instance, "drift_report", drift_detected=True)  # an earlier day's drift ...
        _report(instance, "drift_report", drift_detected=False)  # ... then a calm day, before the sensor looked
        _report(instance, "feedback_set", retrain_threshold_reached=True)
        result = retrain_signal_sensor(_context(instance))
        assert len(result.run_requests) == 1  # one retrain for both signals
        assert result.run_requests[0].tags["finetune_platform/trigger"] == "drift_report,feedback_set"

        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="drift_report", partition=old, metadata={"drift_detected": True})
        )
        backfill = retrain_signal_sensor(_context(instance, result.cursor))
        assert not backfill.run_requests and f"drift_report[{old}]" in backfill.skip_reason.skip_message
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="drift_report", partition=today, metadata={"drift_detected": True})
        )
        fresh = retrain_signal_sensor(_context(instance, backfill.cursor))
        assert len(fresh.run_requests) == 1


def test_drift_without_new_data_since_the_last_training_run_does_not_retrain_again() -> None:
    """Retraining on the data the model learned gives the same model, and the drift would call for it again
    every night: a drift signal retrains only once fresh data has been ingested."""
    with dg.instance_for_test() as instance:
        _report(instance, "scored_records")
        _report(instance, "deduplicated_records")  # the last retrain read everything ingested
        _report(instance, "drift_report", drift_detected=True)
        result = retrain_signal_sensor(_context(instance))
        assert not result.run_requests
        assert "no data ingested and no preference pairs collected" in result.skip_reason.skip_message
        _report(instance, "preference_pairs", pairs=0)  # a day without corrections is no new data
        _report(instance, "drift_report", drift_detected=True)
        quiet = retrain_signal_sensor(_context(instance, result.cursor))
        assert not quiet.run_requests
        _report(instance, "preference_pairs", pairs=4)  # corrections DPO can learn from
        _report(instance, "drift_report", drift_detected=True)
        pairs = retrain_signal_sensor(_context(instance, quiet.cursor))
        assert len(pairs.run_requests) == 1
        _report(instance, "deduplicated_records")  # that retrain read its data
        _report(instance, "scored_records")  # fresh data arrives
        _report(instance, "drift_report", drift_detected=True)
        again = retrain_signal_sensor(_context(instance, pairs.cursor))
        assert len(again.run_requests) == 1 and again.run_requests[0].tags["finetune_platform/trigger"] == "drift_report"


def test_a_feedback_signal_waits_until_its_batch_files_are_ingested(tmp_path) -> None:
    """feedback_set wrote corrections as a batch file; retraining before ingest_job(feedback) ran would train
    without them."""
    import shutil

    from finetune_platform.ingest.sources import load_sources, source_fingerprint
    from finetune_platform.settings import PACKAGE_ROOT, Settings

    (tmp_path / "data").mkdir()
    shutil.copy(PACKAGE_ROOT / "data" / "sources.yaml", tmp_path / "data" / "sources.yaml")
    batch = Settings.for_root(tmp_path).raw_dir / "feedback" / "2026-12-05.jsonl"
    batch.parent.mkdir(parents=True)
    batch.write_text('{"text": "where is my parcel", "response": "It ships today.", "label": "", "feedback_id": 1, "response_id": "r1"}\n')
    with dg.instance_for_test() as instance:
        _report(instance, "feedback_set", retrain_threshold_reached=True)
        waiting = retrain_signal_sensor(_context(instance, root=str(tmp_path)))
        assert not waiting.run_requests and "waiting for ingest_job" in waiting.skip_reason.skip_message
        again = retrain_signal_sensor(_context(instance, waiting.cursor, root=str(tmp_path)))
        assert not again.run_requests  # still waiting: the signal is not consumed

        source = {s.name: s for s in load_sources(tmp_path / "data" / "sources.yaml")}["feedback"]
        instance.report_runless_asset_event(dg.AssetMaterialization(  # what ingest_job(feedback) records first
            "raw_corpus", partition="feedback",
            metadata={"source_fingerprint": source_fingerprint(source, Settings.for_root(tmp_path).raw_dir)},
        ))
        read_only = retrain_signal_sensor(_context(instance, again.cursor, root=str(tmp_path)))
        assert not read_only.run_requests  # read but not curated yet (or its curation failed): still waiting
        instance.report_runless_asset_event(dg.AssetMaterialization("scored_records", partition="feedback"))
        ready = retrain_signal_sensor(_context(instance, read_only.cursor, root=str(tmp_path)))
        assert [r.tags["finetune_platform/trigger"] for r in ready.run_requests] == ["feedback_set"]

        # a corrected chat answer lands in the feedback_chats source: the next signal waits for its ingest too
        chats = Settings.for_root(tmp_path).raw_dir / "feedback_chats" / "2026-12-06.jsonl"
        chats.parent.mkdir(parents=True)
        chats.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello."}], '
                         '"label": "", "feedback_id": 2, "response_id": "r2"}\n')
        _report(instance, "feedback_set", retrain_threshold_reached=True)
        blocked = retrain_signal_sensor(_context(instance, ready.cursor, root=str(tmp_path)))
        assert not blocked.run_requests and "waiting for ingest_job" in blocked.skip_reason.skip_message
        chat_source = {s.name: s for s in load_sources(tmp_path / "data" / "sources.yaml")}["feedback_chats"]
        instance.report_runless_asset_event(dg.AssetMaterialization(
            "raw_corpus", partition="feedback_chats",
            metadata={"source_fingerprint": source_fingerprint(chat_source, Settings.for_root(tmp_path).raw_dir)},
        ))
        instance.report_runless_asset_event(dg.AssetMaterialization("scored_records", partition="feedback_chats"))
        both = retrain_signal_sensor(_context(instance, blocked.cursor, root=str(tmp_path)))
        assert [r.tags["finetune_platform/trigger"] for r in both.run_requests] == ["feedback_set"]


def test_raw_files_sensor_requests_files_again_after_their_ingest_failed_for_good(tmp_path) -> None:
    """An ingest run that failed (a full disk) and that the daemon will not retry left the files unread: the
    next tick requests them again under a new key; while it runs or will be retried, the sensor waits."""
    from dagster._core.storage.dagster_run import DagsterRun

    from finetune_platform.defs.automation import raw_files_sensor

    raw, resources = _files_sensor_project(tmp_path)
    with dg.instance_for_test() as instance:
        first = raw_files_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        instance.add_dynamic_partitions("source", ["a", "later"])
        key = first.run_requests[0].run_key
        waiting = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources))
        assert not getattr(waiting, "run_requests", None)  # not launched yet: nothing to do
        run = DagsterRun(job_name="ingest_job", run_id="a" * 32, status=dg.DagsterRunStatus.FAILURE,
                         tags={"dagster/run_key": key, "dagster/will_retry": "true"})
        instance.add_run(run)
        retried = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources))
        assert not getattr(retried, "run_requests", None)  # the daemon retries it
        instance.add_run(DagsterRun(job_name="ingest_job", run_id="b" * 32, status=dg.DagsterRunStatus.FAILURE,
                                    tags={"dagster/root_run_id": run.run_id, "dagster/will_retry": "false"}))
        again = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources))
        assert [r.partition_key for r in again.run_requests] == ["a"] and again.run_requests[0].run_key != key


def test_raw_files_sensor_gives_up_on_files_whose_ingest_keeps_failing(tmp_path) -> None:
    """A source whose ingest fails every time (a bug, a bad file) is requested MAX_INGEST_ATTEMPTS times for
    one set of files, not once per tick forever; new files start the count again."""
    from dagster._core.storage.dagster_run import DagsterRun

    from finetune_platform.defs.automation import MAX_INGEST_ATTEMPTS, raw_files_sensor

    raw, resources = _files_sensor_project(tmp_path)
    with dg.instance_for_test() as instance:
        result = raw_files_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        instance.add_dynamic_partitions("source", ["a", "later"])
        cursor, keys = result.cursor, [result.run_requests[0].run_key]
        for attempt in range(MAX_INGEST_ATTEMPTS + 2):
            instance.add_run(DagsterRun(job_name="ingest_job", run_id=f"{attempt:032d}", status=dg.DagsterRunStatus.FAILURE,
                                        tags={"dagster/run_key": keys[-1], "dagster/will_retry": "false"}))
            result = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources))
            if getattr(result, "run_requests", None):
                keys.append(result.run_requests[0].run_key)
                cursor = result.cursor
        assert len(keys) == MAX_INGEST_ATTEMPTS
        assert "failed 3 times on its current files" in result.skip_message
        (raw / "a" / "new.jsonl").write_text('{"text": "a new file"}\n')
        changed = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources))
        assert [r.partition_key for r in changed.run_requests] == ["a"]


def test_raw_files_sensor_requests_files_read_but_not_curated_again(tmp_path) -> None:
    """raw_corpus is recorded even when a later step of its run fails for good: those rows were never
    curated, so the files are requested again rather than taken for done."""
    from dagster._core.storage.dagster_run import DagsterRun

    from finetune_platform.defs.automation import raw_files_sensor
    from finetune_platform.ingest.sources import load_sources, source_fingerprint

    raw, resources = _files_sensor_project(tmp_path)
    source = {s.name: s for s in load_sources(tmp_path / "data" / "sources.yaml")}["a"]
    with dg.instance_for_test() as instance:
        first = raw_files_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        instance.add_dynamic_partitions("source", ["a", "later"])
        key = next(r.run_key for r in first.run_requests if r.partition_key == "a")
        instance.add_run(DagsterRun(job_name="ingest_job", run_id="c" * 32, status=dg.DagsterRunStatus.FAILURE,
                                    tags={"dagster/run_key": key, "dagster/will_retry": "false"}))
        instance.report_runless_asset_event(dg.AssetMaterialization(
            "raw_corpus", partition="a", metadata={"source_fingerprint": source_fingerprint(source, raw)}))
        again = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources))
        assert [r.partition_key for r in again.run_requests] == ["a"]
        instance.report_runless_asset_event(dg.AssetMaterialization("scored_records", partition="a"))
        done = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=again.cursor, resources=resources))
        assert not getattr(done, "run_requests", None)


def test_no_second_retrain_while_one_is_queued_or_running_before_it_read_its_data() -> None:
    """With max_concurrent_runs 1 a requested retrain waits in the queue: the nightly schedule and a later
    signal would train on the same data again. They skip while a retrain_job run has not read its data."""
    from dagster._core.storage.dagster_run import DagsterRun

    from finetune_platform.resources import PlatformResource

    def sensor(instance, cursor=None):
        return retrain_signal_sensor(dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"platform": PlatformResource(root="/nonexistent")}))

    with dg.instance_for_test() as instance:
        _report(instance, "scored_records")
        _report(instance, "drift_report", drift_detected=True)
        first = sensor(instance)
        [request] = first.run_requests
        instance.add_run(DagsterRun(job_name="retrain_job", run_id="d" * 32, status=dg.DagsterRunStatus.STARTING,
                                    tags={"dagster/run_key": request.run_key}))
        nightly = _nightly(instance)
        assert f"retrain_job run {'d' * 32} (STARTING) has not read its data yet" in _skip_message(nightly)
        _report(instance, "feedback_set", retrain_threshold_reached=True)
        again = sensor(instance, first.cursor)
        assert not again.run_requests and "has not read its data yet: it is that retrain" in again.skip_reason.skip_message
