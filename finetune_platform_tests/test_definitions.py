"""The Definitions object: loads, every asset in its stage's group, jobs/schedules/sensors present."""

import dagster as dg
import pytest

from finetune_platform.defs.groups import MONITOR_GROUPS, RETRAIN_GROUPS
from finetune_platform.definitions import build_definitions
from finetune_platform.defs.partitions import SOURCE_PARTITIONS, SPECIALIST_PARTITIONS, SWEEP_TRIALS
from finetune_platform.settings import Settings

#: The asset graph, by group: a snapshot that changes only on purpose.
EXPECTED_GROUPS = {
    "ingest": {"raw_corpus", "quarantine"},
    "curate": {
        "normalized_records",
        "pii_redacted_records",
        "scored_records",
        "deduplicated_records",
        "review_queue",
        "human_reviews",
        "curated_records",
    },
    "format": {"instruction_examples", "conversation_examples", "completion_corpus"},
    "version": {"training_set", "published_training_set"},
    "train": {"base_model", "domain_adapted_model", "sft_adapter", "aligned_adapter"},
    "evaluate": {"eval_report", "human_eval_sheet", "ab_test_report"},
    "deploy": {"registered_model", "deployment", "knowledge_index", "router"},
    "monitor": {"production_logs", "drift_report", "feedback_set", "preference_pairs", "audit"},
    "sweep": {"sweep_trial", "sweep_comparison"},
    "specialists": {"specialist_model"},
}

EXPECTED_BLOCKING_CHECKS = {
    ("raw_corpus", "raw_corpus__rows_reconcile"),
    ("curated_records", "curated_records__no_pii"),
    ("curated_records", "curated_records__expectations"),
    ("curated_records", "curated_records__rows_reconcile"),
    ("human_reviews", "human_reviews__agreement"),
    ("instruction_examples", "instruction_examples__schema"),
    ("training_set", "training_set__no_leakage"),
    ("training_set", "training_set__expectations"),
    ("training_set", "training_set__no_pii"),
    ("sft_adapter", "sft_adapter__loss_decreased"),
    ("base_model", "base_model__renders_training_data"),
    ("eval_report", "eval_report__beats_base"),
    ("eval_report", "eval_report__beats_champion"),
    ("knowledge_index", "knowledge_index__retrieval"),
    ("knowledge_index", "knowledge_index__no_pii"),
    ("router", "router__precision"),
}


@pytest.fixture(scope="module")
def defs(tmp_path_factory: pytest.TempPathFactory) -> dg.Definitions:
    return build_definitions(Settings.for_root(tmp_path_factory.mktemp("root")))


def test_every_asset_sits_in_its_stage_group(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    assert groups == EXPECTED_GROUPS


def test_quality_gates_are_blocking_checks(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert EXPECTED_BLOCKING_CHECKS <= checks
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key).blocking, f"{key.name} should block downstream assets"


def test_jobs_built_from_selection_strings(defs: dg.Definitions) -> None:
    """Guards STACK trap 2: dvc's antlr pin breaks Dagster's selection parser."""
    def keys(job: str) -> set[str]:
        return {k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.executable_asset_keys}

    per_source = {"raw_corpus", "quarantine", "normalized_records", "pii_redacted_records", "scored_records"}
    assert keys("ingest_job") == per_source
    assert defs.resolve_job_def("ingest_job").partitions_def == SOURCE_PARTITIONS
    assert keys("retrain_job") == set().union(*(EXPECTED_GROUPS[g] for g in RETRAIN_GROUPS)) - per_source
    assert keys("monitor_job") == set().union(*(EXPECTED_GROUPS[g] for g in MONITOR_GROUPS))
    assert keys("sweep_job") == {"sweep_trial"} and defs.resolve_job_def("sweep_job").partitions_def == SWEEP_TRIALS
    assert keys("sweep_compare_job") == {"sweep_comparison"}
    assert keys("specialists_job") == {"specialist_model"}
    assert defs.resolve_job_def("specialists_job").partitions_def == SPECIALIST_PARTITIONS
    assert keys("router_job") == {"router"}
    assert keys("deployment_job") == {"deployment"}
    # and an ad-hoc selection string through the same parser
    job = dg.define_asset_job("adhoc", selection="key:training_set+ and group:train")
    resolved = dg.Definitions(assets=defs.assets, jobs=[job], resources=defs.resources).resolve_job_def("adhoc")
    assert {k.to_user_string() for k in resolved.asset_layer.executable_asset_keys} == {"base_model", "domain_adapted_model", "sft_adapter", "aligned_adapter"}


def test_schedules_and_sensors_present(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def("nightly_retrain_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.job_name == "retrain_job"
    monitor = defs.resolve_schedule_def("nightly_monitor_schedule")
    assert monitor.job_name == "monitor_job" and monitor.cron_schedule == "0 1 * * *"
    assert defs.resolve_sensor_def("retrain_signal_sensor").job_name == "retrain_job"
    assert defs.resolve_sensor_def("run_failure_recorder_sensor") is not None
    assert defs.resolve_sensor_def("raw_files_sensor").job_name == "ingest_job"
    assert defs.resolve_sensor_def("curation_settings_sensor").job_name == "ingest_job"


def test_default_definitions_module_loads() -> None:
    from finetune_platform import definitions

    assert isinstance(definitions.defs, dg.Definitions)
