"""The router asset: trains on curated requests for data/specialists.yaml, publishes, and its gate judges
the precision of specialist routes on held-out requests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from finetune_platform.defs.specialists import router, router__precision
from finetune_platform.resources import PlatformResource
from finetune_platform.specialists.router import DomainRouter
from finetune_platform_tests.specialists.test_router import LABELS, TEXT_LIST

SPECIALISTS = "min_confidence: 0.4\nspecialists:\n  billing:\n    labels: [billing, refund]\n  tech:\n    labels: [bug]\n"


def curated() -> pd.DataFrame:
    # every request three times (slightly varied), so each label has rows to hold out
    texts = [f"{t}{suffix}" for suffix in ("", " please", " today") for t in TEXT_LIST]
    return pd.DataFrame({"record_id": [f"r{i}" for i in range(len(texts))], "text": texts, "label": LABELS * 3})


def run(root: Path, **config) -> dg.ExecuteInProcessResult:
    @dg.asset(name="curated_records")
    def fake_curated_records() -> pd.DataFrame:
        return curated()

    return dg.materialize(
        [fake_curated_records, router, router__precision],
        resources={"platform": PlatformResource(root=str(root))},
        run_config={"ops": {"router": {"config": config}}},
        raise_on_error=False,
    )


def check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return next(e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION")


def test_the_router_is_published_and_passes_its_gate(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "specialists.yaml").write_text(SPECIALISTS)
    result = run(tmp_path)
    assert result.success
    value = result.output_for_node("router")
    assert value["specialists"] == ["billing", "tech"] and value["report"]["requests"] > 0
    assert value["report"]["specialist_precision"] >= 0.9 and check(result).passed
    loaded = DomainRouter.load(tmp_path / "artifacts" / "router")
    assert loaded.fingerprint == value["fingerprint"] and loaded.min_confidence == 0.4


def test_a_router_that_never_routes_fails_its_gate(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "specialists.yaml").write_text(SPECIALISTS.replace("min_confidence: 0.4", "min_confidence: 1.0"))
    result = run(tmp_path)
    evaluation = check(result)
    assert not evaluation.passed and "none of" in evaluation.description and not result.success


def test_without_specialists_the_router_says_so_and_passes(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.success and check(result).passed and "no specialists" in check(result).description
    # a router that sends everything to the generalist is published: a server following the root stops
    # routing to specialists removed from the file
    served = DomainRouter.load(tmp_path / "artifacts" / "router")
    assert served.specialists == [] and served.route("my card was charged twice").specialist is None
    assert result.output_for_node("router")["path"] == str(tmp_path / "artifacts" / "router" / served.fingerprint[:16])


def test_removing_the_last_specialist_moves_a_following_server_to_the_generalist(tmp_path: Path) -> None:
    from finetune_platform.specialists.router import RouterFollower

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "specialists.yaml").write_text(SPECIALISTS)
    assert run(tmp_path).success
    follower = RouterFollower(tmp_path / "artifacts" / "router")
    assert follower.current().specialists
    (tmp_path / "data" / "specialists.yaml").write_text("specialists: {}\n")
    assert run(tmp_path).success
    assert follower.current().specialists == []


def test_a_newly_registered_model_requests_a_refresh_of_every_specialist_once(tmp_path: Path) -> None:
    from finetune_platform.defs.automation import specialists_refresh_sensor
    from finetune_platform.defs.partitions import SPECIALIST_PARTITIONS

    resources = {"platform": PlatformResource(root=str(tmp_path))}
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            assert "no model registered" in specialists_refresh_sensor(context).skip_message
        instance.report_runless_asset_event(dg.AssetMaterialization("registered_model"))
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            nothing = specialists_refresh_sensor(context)  # no specialists file yet
        assert not nothing.run_requests and nothing.cursor
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "specialists.yaml").write_text(SPECIALISTS)
        instance.report_runless_asset_event(dg.AssetMaterialization("registered_model"))
        with dg.build_sensor_context(instance=instance, cursor=nothing.cursor, resources=resources) as context:
            refresh = specialists_refresh_sensor(context)
        assert [r.partition_key for r in refresh.run_requests] == ["billing", "tech"]
        assert refresh.dynamic_partitions_requests[0].partition_keys == ["billing", "tech"]
        instance.add_dynamic_partitions(SPECIALIST_PARTITIONS.name, ["billing", "tech"])
        with dg.build_sensor_context(instance=instance, cursor=refresh.cursor, resources=resources) as context:
            again = specialists_refresh_sensor(context)
        assert "since the last refresh" in again.skip_message  # once per registered version

        # A new registration, after which `finetune-platform specialists` trained "billing" by hand: only "tech"
        instance.report_runless_asset_event(dg.AssetMaterialization("registered_model"))
        instance.report_runless_asset_event(dg.AssetMaterialization("specialist_model", partition="billing"))
        with dg.build_sensor_context(instance=instance, cursor=refresh.cursor, resources=resources) as context:
            partial = specialists_refresh_sensor(context)
        assert [r.partition_key for r in partial.run_requests] == ["tech"]
        instance.report_runless_asset_event(dg.AssetMaterialization("registered_model"))
        for name in ("billing", "tech"):
            instance.report_runless_asset_event(dg.AssetMaterialization("specialist_model", partition=name))
        with dg.build_sensor_context(instance=instance, cursor=partial.cursor, resources=resources) as context:
            done = specialists_refresh_sensor(context)
        assert not done.run_requests and "trained after model registration" in done.skip_reason.skip_message
        assert int(done.cursor) > int(partial.cursor)

        # A specialist run still training when a model is registered finishes after the registration, but
        # it trained on the earlier data against the earlier generalist: it is refreshed.
        @dg.asset(name="specialist_model", partitions_def=dg.StaticPartitionsDefinition(["billing", "tech"]))
        def registered_while_training(context):
            context.instance.report_runless_asset_event(dg.AssetMaterialization("registered_model"))
            return 1

        instance.report_runless_asset_event(dg.AssetMaterialization("specialist_model", partition="tech"))
        assert dg.materialize([registered_while_training], instance=instance, partition_key="billing").success
        instance.report_runless_asset_event(dg.AssetMaterialization("specialist_model", partition="tech"))
        with dg.build_sensor_context(instance=instance, cursor=done.cursor, resources=resources) as context:
            raced = specialists_refresh_sensor(context)
        assert [r.partition_key for r in raced.run_requests] == ["billing"]


def test_a_router_that_fails_its_gate_is_saved_but_the_served_one_stays(tmp_path: Path) -> None:
    from finetune_platform.specialists.router import RouterFollower

    (tmp_path / "data").mkdir()
    spec = tmp_path / "data" / "specialists.yaml"
    spec.write_text(SPECIALISTS)
    good = run(tmp_path).output_for_node("router")
    assert good["published"] and good["held_back_because"] is None
    spec.write_text(SPECIALISTS.replace("min_confidence: 0.4", "min_confidence: 1.0"))
    result = run(tmp_path)
    bad = result.output_for_node("router")
    assert not result.success and not bad["published"] and "none of" in bad["held_back_because"]
    assert Path(bad["path"]).is_dir() and bad["fingerprint"] != good["fingerprint"]  # kept for inspection
    served = RouterFollower(tmp_path / "artifacts" / "router").current()
    assert served.fingerprint == good["fingerprint"]  # CURRENT never moved to the failed router
