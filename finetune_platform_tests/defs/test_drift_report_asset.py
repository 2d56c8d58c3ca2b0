"""drift_report on a day of production prompts: templated /v1/completions prompts are compared as ticket text,
and a quiet day (fewer than min_samples prompts) is reported as such instead of failing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from finetune_platform.datasets.split import write_training_set
from finetune_platform.defs.monitor import drift_report
from finetune_platform.defs.partitions import MONITOR_DAYS
from finetune_platform.formats.instructions import PROMPT_TEMPLATES, build_instruction_examples
from finetune_platform.resources import build_resources
from finetune_platform.schemas import RECORD_COLUMNS
from finetune_platform.settings import Settings
from finetune_platform_tests.monitoring.test_drift import synthetic_tickets

DAY = "2026-11-03"


def _training_set(root: Path) -> dict[str, Any]:
    texts = synthetic_tickets(240, seed=1)
    records = pd.DataFrame(
        [
            {"record_id": f"t.jsonl#{i}", "source": "t", "source_file": "t.jsonl", "source_row": i, "doc_type": "ticket",
             "text": text, "response": "We are on it.", "label": "billing", "messages": ""}
            for i, text in enumerate(texts)
        ],
        columns=RECORD_COLUMNS,
    )
    examples = build_instruction_examples(records)
    n = len(records)
    split_of = {f"t.jsonl#{i}": "train" if i < 0.8 * n else "validation" if i < 0.9 * n else "test" for i in range(n)}
    splits = {s: examples.loc[examples["record_id"].map(split_of) == s] for s in ("train", "validation", "test")}
    path = root / "data" / "training_set"
    write_training_set(splits, path, records)
    from finetune_platform.datasets.versioning import folder_md5

    return {"path": str(path), "dvc_md5": folder_md5(path)}


def _materialize(root: Path, prompts: list[str]) -> dg.ExecuteInProcessResult:
    value = _training_set(root)

    @dg.asset(name="training_set")
    def fake_training_set() -> dict[str, Any]:
        return value

    @dg.asset(name="production_logs", partitions_def=MONITOR_DAYS)
    def fake_production_logs() -> pd.DataFrame:
        return pd.DataFrame({"prompt": prompts})

    resources = build_resources(Settings.for_root(root))
    return dg.materialize(
        [fake_training_set, fake_production_logs, drift_report],
        partition_key=DAY,
        resources={"platform": resources["platform"], "log_store": resources["log_store"]},
        selection=None,
        raise_on_error=False,
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    event = result.asset_materializations_for_node("drift_report")[0]
    return {k: getattr(v, "value", v) for k, v in event.metadata.items()}


def test_prompts_sent_in_the_training_template_are_not_drift(tmp_path: Path) -> None:
    tickets = synthetic_tickets(120, seed=9)  # the same distribution as the training tickets
    templated = [PROMPT_TEMPLATES["classify"].format(text=t) for t in tickets]  # what a /v1/completions client sends
    result = _materialize(tmp_path, templated)
    assert result.success
    meta = _metadata(result)
    assert meta["verdict"] == "no_drift", meta["drifted_features"]
    assert (tmp_path / "artifacts" / "drift" / f"{DAY}.png").is_file() and "plot" in meta


def test_a_quiet_day_is_reported_as_insufficient_data_not_a_failure(tmp_path: Path) -> None:
    result = _materialize(tmp_path, synthetic_tickets(10, seed=9))
    assert result.success
    meta = _metadata(result)
    assert meta["verdict"] == "insufficient_data" and not meta["drift_detected"] and "plot" not in meta
    assert "only 10 production texts" in meta["report"]


def test_audit_reads_a_request_of_the_day_before_that_got_its_thumbs_down_after_midnight(tmp_path: Path) -> None:
    """A request served at 23:58 and rated at 00:03 belongs to another day's logs: the audit of the day the
    rating came reads it from the store instead of failing the nightly monitor_job."""
    from datetime import UTC, datetime, timedelta

    from finetune_platform.defs.monitor import audit, production_logs
    from finetune_platform.monitoring.store import LogStore
    from finetune_platform.resources import build_resources

    value = _training_set(tmp_path)

    @dg.asset(name="training_set")
    def fake_training_set() -> dict:
        return value

    settings = Settings.for_root(tmp_path)
    store = LogStore(settings.log_store_url)
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    rid = store.log_request(prompt="My router keeps rebooting.", response="Buy a new one.", model_name="m",
                            model_version="1", created_at=midnight - timedelta(minutes=2))
    store.log_feedback(rid, -1, created_at=midnight + timedelta(minutes=3))
    store.close()
    resources = build_resources(settings)
    result = dg.materialize(
        [fake_training_set, production_logs, audit], partition_key="2026-11-03",
        resources={"platform": resources["platform"], "log_store": resources["log_store"]},
    )
    audited = result.output_for_node("audit")
    assert result.asset_materializations_for_node("audit")[0].metadata["responses_audited"].value == 1
    assert set(audited["response_id"]) == {rid}
    assert set(audited["split"]) == {"train"}  # held-out examples never taught the model anything
