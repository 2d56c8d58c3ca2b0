"""Bring your own data, without code: a `text,category` CSV plus a four-line sources entry yields a
classification fine-tune end to end (tested on the real SNIPS intent data set when it is available)."""

import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from finetune_platform.definitions import build_definitions
from finetune_platform.defs.partitions import SOURCE_PARTITIONS
from finetune_platform.settings import PACKAGE_ROOT, Settings

pytestmark = pytest.mark.slow

SNIPS = PACKAGE_ROOT.parent / "shared" / "datasets" / "snips"

SOURCES_YAML = """sources:
  - name: snips
    path: snips/*.csv
    format: csv
    label_field: category
"""

RUN_CONFIG = {
    "ops": {
        "base_model": {"config": {"hidden_size": 96, "num_layers": 3, "num_heads": 4, "intermediate_size": 288,
                                  "vocab_size": 1200, "pretrain_steps": 60, "batch_size": 16, "seq_len": 64}},
        "sft_adapter": {"config": {"max_steps": 160, "batch_size": 16, "save_steps": 80, "logging_steps": 20}},
        "eval_report": {"config": {"max_classify_examples": 150, "max_perplexity_examples": 60, "min_accuracy_gain": 0.3}},
    }
}


@pytest.mark.skipif(not SNIPS.exists(), reason="../shared/datasets/snips is not on this machine")
def test_snips_csv_with_a_four_line_entry_fine_tunes_a_classifier(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (SNIPS / "train.jsonl").read_text().splitlines()[::9]]  # ~1,500 queries
    rows += [json.loads(line) for line in (SNIPS / "test.jsonl").read_text().splitlines()]
    raw = tmp_path / "data" / "raw" / "snips"
    raw.mkdir(parents=True)
    frame = pd.DataFrame({"text": [r["text"] for r in rows], "category": [r["intent"] for r in rows]})
    frame.to_csv(raw / "snips.csv", index=False)
    (tmp_path / "data" / "sources.yaml").write_text(SOURCES_YAML)

    settings = Settings.for_root(tmp_path)
    defs = build_definitions(settings)
    (tmp_path / ".dagster_home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / ".dagster_home")) as instance:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["snips"])
        ingest = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance, partition_key="snips")
        assert ingest.success
        retrain = defs.resolve_job_def("retrain_job").execute_in_process(instance=instance, run_config=RUN_CONFIG)
        assert retrain.success
        record = instance.fetch_materializations(dg.AssetKey("eval_report"), limit=1).records[0]
        meta = {k: getattr(v, "value", v) for k, v in record.asset_materialization.metadata.items()}
    # SNIPS has no replies: only classification examples are built, over its seven intents
    train = pd.read_parquet(settings.training_set_dir / "train.parquet")
    assert set(train["task"]) == {"classify"}
    assert train["label"].nunique() == 7
    assert meta["candidate_accuracy"] >= meta["base_accuracy"] + 0.3
