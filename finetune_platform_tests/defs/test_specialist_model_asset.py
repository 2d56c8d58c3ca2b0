"""specialist_model refuses a specialist whose labels the training set lacks, before training."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg

from finetune_platform.defs.partitions import SPECIALIST_PARTITIONS
from finetune_platform.defs.specialists import specialist_model
from finetune_platform.resources import build_resources
from finetune_platform.settings import Settings
from finetune_platform_tests.defs.test_sft_adapter_asset import _training_set


def test_a_misspelt_label_is_named_before_anything_trains(tmp_path: Path) -> None:
    value = _training_set(tmp_path)
    real = value["labels"][0]
    (tmp_path / "data" / "specialists.yaml").write_text(f"specialists:\n  money:\n    labels: [{real}, biling]\n")

    @dg.asset(name="training_set")
    def fake_training_set() -> dict[str, Any]:
        return value

    @dg.asset(name="domain_adapted_model")
    def fake_base() -> dict[str, Any]:
        return {"path": str(tmp_path / "base"), "name_or_path": "tiny"}

    resources = build_resources(Settings.for_root(tmp_path))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SPECIALIST_PARTITIONS.name, ["money"])
        result = dg.materialize(
            [fake_training_set, fake_base, specialist_model], partition_key="money", instance=instance,
            resources={k: resources[k] for k in ("platform", "mlflow", "registry")}, raise_on_error=False,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "specialist 'money': labels ['biling'] have no training example" in message
