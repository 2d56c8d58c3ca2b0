"""The retrain sensor, the nightly schedule and the run-failure recorder."""

import json

import dagster as dg

from finetune_platform.defs.automation import nightly_retrain_schedule, retrain_signal_sensor
from finetune_platform.monitoring.failures import read_failures


def _report(instance: dg.DagsterInstance, asset: str, **metadata: object) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset, metadata=metadata))


def test_sensor_skips_without_signals() -> None:
    with dg.instance_for_test() as instance:
        result = retrain_signal_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SkipReason)
        assert "No new drift_report or feedback_set" in result.skip_message


def test_sensor_requests_one_run_per_drift_signal_and_advances_its_cursor() -> None:
    with dg.instance_for_test() as instance:
        _report(instance, "drift_report", drift_detected=True, verdict="drift")
        context = dg.build_sensor_context(instance=instance)
        result = retrain_signal_sensor(context)
        assert isinstance(result, dg.SensorResult)
        assert len(result.run_requests) == 1
        request = result.run_requests[0]
        assert request.tags["finetune_platform/trigger"] == "drift_report"
        cursor = json.loads(result.cursor)
        assert cursor["drift_report"] > 0

        # the same materialization never triggers twice
        again = retrain_signal_sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor))
        assert isinstance(again, dg.SkipReason)


def test_sensor_ignores_no_drift_and_small_feedback_but_moves_the_cursor() -> None:
    with dg.instance_for_test() as instance:
        _report(instance, "drift_report", drift_detected=False, verdict="no_drift")
        _report(instance, "feedback_set", retrain_threshold_reached=False, new_examples_since_training=3)
        result = retrain_signal_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SensorResult)
        assert not result.run_requests
        assert set(json.loads(result.cursor)) == {"drift_report", "feedback_set"}

        _report(instance, "feedback_set", retrain_threshold_reached=True, new_examples_since_training=80)
        later = retrain_signal_sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor))
        assert [r.tags["finetune_platform/trigger"] for r in later.run_requests] == ["feedback_set"]


def test_nightly_schedule_targets_retraining() -> None:
    context = dg.build_schedule_context(scheduled_execution_time=None)
    request = nightly_retrain_schedule.evaluate_tick(context).run_requests[0]
    assert nightly_retrain_schedule.job_name == "retrain_job"
    assert request is not None


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
