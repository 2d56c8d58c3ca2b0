"""The knowledge_index asset: publishes an index of curated records, and its gates judge retrieval and PII."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from finetune_platform.defs.deploy import knowledge_index, knowledge_index__no_pii, knowledge_index__retrieval
from finetune_platform.rag.index import current_index_path
from finetune_platform.resources import PlatformResource
from finetune_platform_tests.rag.test_index import ROWS, records


def _run(root: Path, curated: pd.DataFrame, **config) -> dg.ExecuteInProcessResult:
    @dg.asset(name="curated_records")
    def fake_curated_records() -> pd.DataFrame:
        return curated

    return dg.materialize(
        [fake_curated_records, knowledge_index, knowledge_index__retrieval, knowledge_index__no_pii],
        resources={"platform": PlatformResource(root=str(root))},
        run_config={"ops": {"knowledge_index": {"config": {"eval_k": 1, **config}}}},
        raise_on_error=False,
    )


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_the_asset_publishes_an_index_that_passes_its_gates(tmp_path: Path) -> None:
    result = _run(tmp_path, records())
    assert result.success
    value = result.output_for_node("knowledge_index")
    assert value["passages"] == len(ROWS) and value["retrieval"]["hit_rate"] == 1.0
    assert current_index_path(tmp_path / "artifacts" / "knowledge_index") == Path(value["path"])
    checks = _checks(result)
    assert checks["knowledge_index__retrieval"].passed and checks["knowledge_index__no_pii"].passed
    meta = result.get_asset_materialization_events()[-1].materialization.metadata
    assert meta["hit_rate_at_1"].value == 1.0 and meta["chance_hit_rate"].value == 0.2


def test_retrieval_below_the_floor_fails_the_gate(tmp_path: Path) -> None:
    shuffled = records()
    shuffled["label"] = ["billing", "technical", "account", "billing", "technical", "account"]  # pairs split
    result = _run(tmp_path, shuffled, min_hit_rate=0.9)
    check = _checks(result)["knowledge_index__retrieval"]
    assert not check.passed and "floor 0.900" in check.description
    assert not result.success  # a blocking check failed


def test_pii_in_a_passage_fails_the_gate_and_unlabelled_records_only_warn(tmp_path: Path) -> None:
    leaky = records()
    leaky.loc[0, "response"] = "Refunded; write to jane.doe@example.com if it happens again."
    leaky["label"] = ""
    result = _run(tmp_path, leaky)
    checks = _checks(result)
    assert not checks["knowledge_index__no_pii"].passed
    assert checks["knowledge_index__no_pii"].metadata["hits_by_type"].value == {"EMAIL": 1}
    retrieval = checks["knowledge_index__retrieval"]
    assert not retrieval.passed and retrieval.severity == dg.AssetCheckSeverity.WARN
    assert "no labels" in retrieval.description


def test_an_index_that_fails_a_gate_is_saved_but_the_served_one_stays(tmp_path: Path) -> None:
    root = tmp_path / "artifacts" / "knowledge_index"
    good = _run(tmp_path, records()).output_for_node("knowledge_index")
    assert good["published"] and good["held_back_because"] == []
    shuffled = records()
    shuffled["label"] = ["billing", "technical", "account", "billing", "technical", "account"]
    shuffled.loc[0, "response"] += " Sorry for the trouble."  # a new passage text: a new index
    weak = _run(tmp_path, shuffled, min_hit_rate=0.9)
    value = weak.output_for_node("knowledge_index")
    assert not weak.success and not value["published"] and "under the floor 0.900" in value["held_back_because"][0]
    assert value["path"] != good["path"]  # a different index, saved beside the served one
    assert current_index_path(root) == Path(good["path"])  # the server keeps the index that passed
    leaky = records()
    leaky.loc[0, "response"] = "Refunded; write to jane.doe@example.com if it happens again."
    value = _run(tmp_path, leaky).output_for_node("knowledge_index")
    assert value["held_back_because"] == ["1 PII hit(s) in its passages"]
    assert Path(value["path"]).is_dir() and current_index_path(root) == Path(good["path"])
    assert value["path"] != good["path"]
