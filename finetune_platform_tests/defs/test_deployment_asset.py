"""The deployment asset: operator actions on the live rollout from the UI, recorded as its history."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from finetune_platform.definitions import build_definitions
from finetune_platform.serving.routing import apply_deployment_action, load_state
from finetune_platform.settings import Settings


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    settings = Settings.for_root(tmp_path_factory.mktemp("root"))
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        yield settings, defs, instance


def act(project, **config) -> dg.ExecuteInProcessResult:
    _, defs, instance = project
    return defs.resolve_job_def("deployment_job").execute_in_process(
        instance=instance, run_config={"ops": {"deployment": {"config": config}}}, raise_on_error=False
    )


def test_actions_change_the_state_file_servers_follow_and_are_recorded(project) -> None:
    settings, _, instance = project
    recorded = act(project)
    assert recorded.success and recorded.output_for_node("deployment")["after"]["canary_share"] == 0.0
    assert not settings.rollout_state_path.exists()  # record changes nothing, writes nothing
    on = act(project, action="kill_switch_on", reason="incident 42")
    assert on.success and load_state(settings.rollout_state_path).kill_switch
    meta = instance.fetch_materializations(dg.AssetKey("deployment"), limit=1).records[0].asset_materialization.metadata
    assert meta["kill_switch"].value is True and meta["reason"].value == "incident 42" and meta["changed"].value is True
    assert meta["aliases"].value == {}  # nothing registered in this project
    off = act(project, action="kill_switch_off")
    assert off.success and not load_state(settings.rollout_state_path).kill_switch
    history = instance.fetch_materializations(dg.AssetKey("deployment"), limit=10).records
    assert [r.asset_materialization.metadata["action"].value for r in history] == ["kill_switch_off", "kill_switch_on", "record"]


def test_a_canary_without_a_challenger_is_refused_saying_why(project) -> None:
    refused = act(project, action="set_canary", canary_share=0.2)
    assert not refused.success
    failure = next(e for e in refused.all_events if e.event_type_value == "STEP_FAILURE")
    error = failure.event_specific_data.error
    assert "no challenger is registered" in (error.cause.message if error.cause else error.message)


def test_the_plain_function_checks_its_arguments_and_walks_a_rollout(tmp_path: Path) -> None:
    path = tmp_path / "rollout.json"
    with pytest.raises(ValueError, match="set_canary needs canary_share"):
        apply_deployment_action(path, "set_canary")
    with pytest.raises(ValueError, match="canary_share is only for set_canary"):
        apply_deployment_action(path, "rollback", canary_share=0.1)
    with pytest.raises(ValueError, match="unknown deployment action 'deploy'"):
        apply_deployment_action(path, "deploy")
    assert not path.exists()  # nothing was written by a refused action
    _, started = apply_deployment_action(path, "start_rollout", challenger_version=7)
    assert (started.canary_share, started.stage, started.kill_switch) == (0.05, 0, False)
    # the rollout keeps its stages and the version it judges, for the sensor's later steps
    assert load_state(path).stages == [0.05, 0.25, 1.0] and load_state(path).challenger_version == "7"
    _, canary = apply_deployment_action(path, "set_canary", canary_share=0.5, reason="manual")
    assert (canary.canary_share, canary.stage, canary.reason) == (0.5, None, "manual")
    before, rolled = apply_deployment_action(path, "rollback")
    assert before.canary_share == 0.5 and (rolled.canary_share, rolled.kill_switch) == (0.0, True)
    assert apply_deployment_action(path, "set_canary", canary_share=0.0, has_challenger=False)[1].canary_share == 0.0
