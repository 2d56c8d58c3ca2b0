"""``sft_adapter`` with ``conversations`` on: the versioned conversations become chat pairs beside the
instruction pairs, each split's from that split only, and the asset says what it trained on.

The real asset runs (training in a child process through Dagster Pipes, MLflow in a temporary SQLite
store) on a tiny model and a training set written by ``datasets.split.write_training_set``; its upstream
assets are stand-ins returning what the real ones would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from finetune_platform.datasets.split import write_training_set
from finetune_platform.defs.train import sft_adapter
from finetune_platform.formats.conversations import build_conversation_examples
from finetune_platform.formats.instructions import build_instruction_examples
from finetune_platform.resources import build_resources
from finetune_platform.schemas import RECORD_COLUMNS
from finetune_platform.settings import Settings
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, corpus, tickets, transcript

#: Tickets 0-11 train, 12-14 validation, 15-17 test.
SPLIT_OF = {i: "train" if i < 12 else "validation" if i < 15 else "test" for i in range(18)}

#: A few steps of full fine-tuning: enough to run every code path.
SFT_CONFIG = {
    "method": "full",
    "lora_modules_to_save": [],
    "max_steps": 2,
    "batch_size": 8,
    "max_length": 128,
    "save_steps": 100,
    "logging_steps": 1,
    "bf16": False,
    "warmup_ratio": 0.0,
}


def _records() -> pd.DataFrame:
    """Chat records: even tickets are two-exchange transcripts, odd ones a single exchange."""
    rows = []
    for i, (text, label, reply) in enumerate(tickets(len(SPLIT_OF))):
        messages = transcript(i, text, reply)
        rows.append(
            {
                "record_id": f"chats/chats.jsonl#{i + 1}",
                "source": "chats",
                "source_file": "chats.jsonl",
                "source_row": i + 1,
                "doc_type": "chat",
                "text": text,
                "response": reply,
                "label": label,
                "messages": json.dumps(messages),
            }
        )
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def _training_set(root: Path, with_conversations: bool = True) -> dict[str, Any]:
    from finetune_platform.datasets.versioning import folder_md5

    records = _records()
    examples = build_instruction_examples(records)
    split = {f"chats/chats.jsonl#{i + 1}": name for i, name in SPLIT_OF.items()}
    splits = {name: examples.loc[examples["record_id"].map(split) == name] for name in ("train", "validation", "test")}
    conversations = build_conversation_examples(records) if with_conversations else None
    path = root / "data" / "training_set"
    write_training_set(splits, path, records, conversations)
    return {
        "path": str(path),
        "dvc_md5": folder_md5(path),  # what DVC records: the assets check the folder still is this version
        "counts": {name: len(df) for name, df in splits.items()},
        "labels": sorted(set(examples["label"])),
    }


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(build_tiny_model(corpus(), TINY, tmp_path_factory.mktemp("tiny")).path)


def _materialize(root: Path, training_set_value: dict[str, Any], model_path: str, conversations: str,
                 **config: Any):
    @dg.asset(name="training_set")
    def fake_training_set() -> dict[str, Any]:
        return training_set_value

    @dg.asset(name="domain_adapted_model")
    def fake_domain_adapted_model() -> dict[str, Any]:
        return {"path": model_path, "source": "tiny", "name_or_path": "tiny", "stage": "base",
                "started_from": model_path}

    resources = build_resources(Settings.for_root(root))
    return dg.materialize(
        [fake_training_set, fake_domain_adapted_model, sft_adapter],
        resources={"platform": resources["platform"], "mlflow": resources["mlflow"]},
        run_config={"ops": {"sft_adapter": {"config": {**SFT_CONFIG, "conversations": conversations, **config}}}},
        raise_on_error=False,
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    event = result.asset_materializations_for_node("sft_adapter")[0]
    return {k: getattr(v, "value", v) for k, v in event.metadata.items()}


@pytest.mark.slow
def test_conversations_train_beside_the_instruction_pairs_without_crossing_splits(
    tmp_path: Path, tiny_model: str
) -> None:
    result = _materialize(tmp_path, _training_set(tmp_path), tiny_model, "all_turns")
    assert result.success
    metadata = _metadata(result)
    inputs = Path(metadata["model_path"]).parent / "inputs"
    train = pd.read_parquet(inputs / "train.parquet")
    validation = pd.read_parquet(inputs / "validation.parquet")

    record_ids = {
        name: {f"chats/chats.jsonl#{i + 1}" for i, s in SPLIT_OF.items() if s == name} for name in ("train", "validation")
    }
    train_chat = train.loc[train["task"] == "chat"]
    validation_chat = validation.loc[validation["task"] == "chat"]
    # all_turns: 6 two-exchange transcripts give 2 pairs each, 6 single exchanges 1 (train); 2x2 + 1 (validation)
    assert (len(train_chat), len(validation_chat)) == (18, 5)
    assert set(train_chat["record_id"]) == record_ids["train"]
    assert set(validation_chat["record_id"]) == record_ids["validation"]  # held-out chats only, none of train's
    assert set(train["record_id"]).isdisjoint(validation["record_id"])
    assert train_chat["prompt"].str.startswith("### User:\n").all()  # the tokenizer adds the one BOS
    assert train_chat["prompt"].str.endswith("### Assistant:\n").all()
    assert len(train.loc[train["task"] != "chat"]) == 24  # the instruction pairs are all still there

    assert metadata["conversations"] == "all_turns"
    assert metadata["chat_examples"] == {"train": 18, "validation": 5}
    assert metadata["examples_per_task"] == {
        "train": {"chat": 18, "classify": 12, "reply": 12},
        "validation": {"chat": 5, "classify": 3, "reply": 3},
    }
    assert metadata["skipped_conversations"] == {"count": 0, "by_reason": {}, "examples": []}
    assert metadata["global_step"] == 2


def test_conversations_on_a_training_set_written_without_them_fail_saying_how_to_rebuild(tmp_path: Path) -> None:
    no_model = str(tmp_path / "no-model")  # it must fail before it needs the model
    result = _materialize(tmp_path, _training_set(tmp_path, with_conversations=False), no_model, "last_turn")
    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error
    message = error.cause.message if error.cause else error.message
    assert "was written without conversations" in message
    assert "re-materialize conversation_examples and training_set" in message
    assert not (tmp_path / "artifacts" / "sft_adapter").exists()  # failed before writing or training anything


@pytest.mark.slow
def test_a_reporting_setting_changed_reuses_the_finished_run(tmp_path: Path, tiny_model: str) -> None:
    """A smaller eval_batch_size (the final evaluation ran out of memory), another logging cadence: the
    same model, so the same checkpoint folder, and a finished run trains nothing more."""
    value = _training_set(tmp_path)
    first = _metadata(_materialize(tmp_path, value, tiny_model, "off"))
    again = _metadata(_materialize(tmp_path, value, tiny_model, "off", eval_batch_size=2, logging_steps=1))
    assert again["model_path"] == first["model_path"] and again["global_step"] == first["global_step"]
