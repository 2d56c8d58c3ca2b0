"""sweep_comparison ranks trials trained on the same training set version only."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from finetune_platform.defs.partitions import SWEEP_TRIALS
from finetune_platform.defs.sweep import sweep_comparison
from finetune_platform.resources import build_resources
from finetune_platform.settings import Settings


def _trial(instance: dg.DagsterInstance, trial: str, accuracy: float, dvc_md5: str) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(
        "sweep_trial", partition=trial,
        metadata={"trial": trial, "accuracy": accuracy, "eval_loss": 1.0, "dvc_md5": dvc_md5, "method": "lora"},
    ))


def test_trials_on_another_data_version_are_listed_not_ranked(tmp_path: Path) -> None:
    resources = build_resources(Settings.for_root(tmp_path))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SWEEP_TRIALS.name, ["r8", "r16", "r32"])
        instance.report_runless_asset_event(dg.AssetMaterialization("training_set", metadata={"dvc_md5": "bbb"}))
        _trial(instance, "r8", 0.70, "bbb")
        _trial(instance, "r16", 0.75, "bbb")
        _trial(instance, "r32", 0.95, "aaa")  # scored on another version's validation split: not comparable
        result = dg.materialize([sweep_comparison], instance=instance,
                                resources={"platform": resources["platform"], "mlflow": resources["mlflow"]})
        table = result.output_for_node("sweep_comparison")
        assert table["trial"].tolist() == ["r16", "r8"] and set(table["dvc_md5"]) == {"bbb"}
        metadata = result.asset_materializations_for_node("sweep_comparison")[0].metadata
        assert metadata["best_trial"].value == "r16" and metadata["data_version"].value == "bbb"
        assert metadata["trained_on_another_data_version"].value == "r32"
