"""The one Definitions object: loads everything in defs/ and binds resources for this environment."""

from __future__ import annotations

import dagster as dg

from finetune_platform.defs import automation, curate, deploy, evaluate, format, ingest, monitor, specialists, sweep, train, version
from finetune_platform.resources import build_resources
from finetune_platform.settings import Settings, load_settings

ASSET_MODULES = [ingest, curate, format, version, train, evaluate, deploy, monitor, sweep, specialists]


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """Definitions bound to ``settings`` (the environment's by default; tests pass a temporary root)."""
    settings = settings or load_settings()
    return dg.Definitions(
        assets=dg.load_assets_from_modules(ASSET_MODULES),
        asset_checks=dg.load_asset_checks_from_modules(ASSET_MODULES),
        jobs=[
            automation.ingest_job,
            automation.retrain_job,
            automation.monitor_job,
            automation.sweep_job,
            automation.sweep_compare_job,
            automation.specialists_job,
            automation.router_job,
            automation.deployment_job,
        ],
        schedules=[automation.nightly_retrain_schedule, automation.nightly_monitor_schedule],
        sensors=[
            automation.raw_files_sensor,
            automation.curation_settings_sensor,
            automation.retrain_signal_sensor,
            automation.run_failure_recorder_sensor,
            automation.canary_rollout_sensor,
            automation.sweep_file_sensor,
            automation.specialists_file_sensor,
            automation.specialists_refresh_sensor,
        ],
        resources=build_resources(settings),
    )


defs = build_definitions()
