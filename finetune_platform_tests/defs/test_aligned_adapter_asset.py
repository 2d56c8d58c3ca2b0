"""aligned_adapter: preference pairs are decontaminated and keyed by content, and the result names the
pairs it learned from (training itself is stubbed: test_dpo.py trains DPO for real)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from finetune_platform.defs import train as train_defs
from finetune_platform.resources import build_resources
from finetune_platform.settings import Settings
from finetune_platform_tests.defs.test_sft_adapter_asset import _training_set


def _run(root: Path, monkeypatch, value: dict[str, Any], pairs: list[dict[str, str]]) -> dg.ExecuteInProcessResult:
    folder = root / "data" / "preference_pairs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2026-12-05.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    launched: list[Any] = []

    def fake_training(context, request, launch):
        launched.append(request)
        model = Path(request.output_dir) / "model"  # what DPO writes, logged to MLflow as the run's model
        model.mkdir(parents=True, exist_ok=True)
        (model / "config.json").write_text("{}")
        # a retry that resumed checkpoint-2: the history holds the steps before it, this process streamed 3-4
        return {"model_path": str(model), "global_step": 4, "final_loss": 0.5, "final_reward_accuracy": 0.75,
                "loss_history": [[1, 0.69], [2, 0.66], [3, 0.6], [4, 0.5]],
                "resumed_from_checkpoint": str(Path(request.output_dir) / "checkpoints" / "checkpoint-2")}

    monkeypatch.setattr(train_defs, "train_in_subprocess", fake_training)
    if not (root / "sft").is_dir():  # the SFT model's tokenizer (the tiny model's recipe, chat template included)
        from finetune_platform.training.tiny_model import train_tokenizer

        train_tokenizer(["how do I reset my password", "my card was charged twice"] * 20, 300).save_pretrained(root / "sft")

    @dg.asset(name="training_set")
    def fake_training_set() -> dict[str, Any]:
        return value

    @dg.asset(name="sft_adapter")
    def fake_sft_adapter() -> dict[str, Any]:
        return {"model_path": str(root / "sft"), "base_model_path": str(root / "base"), "dvc_md5": "f" * 32,
                "mlflow_run_id": _sft_run(root), "method": "lora", "stage": "sft", "global_step": 50,
                "merged_model_path": str(root / "sft-merged")}

    resources = build_resources(Settings.for_root(root))
    result = dg.materialize(
        [fake_training_set, fake_sft_adapter, train_defs.aligned_adapter],
        resources={"platform": resources["platform"], "mlflow": resources["mlflow"],
                   "log_store": resources["log_store"]},
        run_config={"ops": {"aligned_adapter": {"config": {"min_pairs": 2}}}},
    )
    result.launched = launched  # type: ignore[attr-defined]
    return result


def _sft_run(root: Path) -> str:
    resources = build_resources(Settings.for_root(root))
    with resources["mlflow"].tracker().start_run("sft_adapter") as run:
        return run.run_id


def test_pairs_on_held_out_tickets_are_dropped_and_the_result_names_its_pairs(tmp_path: Path, monkeypatch) -> None:
    value = _training_set(tmp_path)
    test_prompt = pd.read_parquet(Path(value["path"]) / "test.parquet")["prompt"].iloc[0]
    pairs = [
        {"prompt": test_prompt, "chosen": "a", "rejected": "b"},  # a held-out ticket: dropped
        {"prompt": "how do I reset my password", "chosen": "Use the link.", "rejected": "No."},
        {"prompt": "how do I reset my password", "chosen": "Use the link.", "rejected": "No."},  # repeated
        {"prompt": "my card was charged twice", "chosen": "Refunded.", "rejected": "Pay again."},
        # a chat logged with its conversation: DPO sees the earlier turns the model saw
        {"prompt": "my card was charged twice\nstill not refunded", "chosen": "Refund sent today.", "rejected": "Wait.",
         "messages": json.dumps([{"role": "user", "content": "my card was charged twice"},
                                 {"role": "assistant", "content": "We will refund it."},
                                 {"role": "user", "content": "still not refunded"}])},
        # the pair above it, logged with its one user turn: it renders alike, so DPO sees it once
        {"prompt": "my card was charged twice", "chosen": "Refunded.", "rejected": "Pay again.",
         "messages": json.dumps([{"role": "user", "content": "my card was charged twice"}])},
    ]
    result = _run(tmp_path, monkeypatch, value, pairs)
    output = result.output_for_node("aligned_adapter")
    [request] = result.launched  # type: ignore[attr-defined]
    trained = pd.read_parquet(request.train_path)
    # chat requests' user text, as the server renders a chat request through the model's chat template
    assert trained["prompt"].tolist() == [
        "### User:\nhow do I reset my password\n### Assistant:\n", "### User:\nmy card was charged twice\n### Assistant:\n",
        "### User:\nmy card was charged twice\n### Assistant:\nWe will refund it.\n### User:\nstill not refunded\n"
        "### Assistant:\n",
    ]
    assert len(output["preference_pairs_sha256"]) == 64 and output["preference_pairs_path"] == request.train_path
    meta = result.asset_materializations_for_node("aligned_adapter")[0].metadata
    assert meta["pairs_dropped"].value == {"read": 6, "superseded": 0, "duplicates": 2, "held_out_exact": 1,
                                           "held_out_near": 0, "kept": 3, "prompt_too_long": 0}
    prompts = meta["pair_prompts"].value
    assert 0 < prompts.pop("longest_pair_tokens") < 256  # AlignConfig's default max_length
    assert prompts == {"conversation_rendered": 2, "with_earlier_turns": 1, "with_retrieved_passages": 0,
                       "instruction_template": 0, "user_text_rendered": 2, "refused_by_chat_template": 0,
                       "answers_cut": 0}
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=Settings.for_root(tmp_path).mlflow_tracking_uri)
    dpo_run = client.get_run(output["dpo_mlflow_run_id"])
    tags = dpo_run.data.tags
    assert tags["dataset.preference_pairs_sha256"] == output["preference_pairs_sha256"]  # lineage of the pairs
    from finetune_platform.training.provenance import CODE_ROOT, git_commit

    # the code's commit, not the platform home's (a temporary folder here, no repository at all)
    assert tags["git.commit"] == git_commit(CODE_ROOT) != "unknown"
    # the values trained with, not the config's "use the default" None
    assert dpo_run.data.params["dpo.learning_rate"] == "0.002" and dpo_run.data.params["dpo.bf16"] in ("True", "False")
    assert [a.path for a in client.list_artifacts(dpo_run.info.run_id)] == ["model"]
    # DPO's own figures beside SFT's (whose run stays the model's training run); SFT's merged export is not it
    assert output["dpo"] == {"global_step": 4, "final_loss": 0.5, "final_reward_accuracy": 0.75,
                             "mlflow_run_id": output["dpo_mlflow_run_id"],
                             "resumed_from_checkpoint": tags["resumed_from_checkpoint"]}
    assert output["global_step"] == 50 and output["merged_model_path"] is None
    # the resumed run's loss curve is whole: the steps before the checkpoint come from its history
    assert tags["resumed_from_checkpoint"].endswith("checkpoint-2")
    assert [(m.step, m.value) for m in client.get_metric_history(dpo_run.info.run_id, "dpo.loss")] == [(1, 0.69), (2, 0.66)]
    assert "dpo.final_loss" not in client.get_run(output["mlflow_run_id"]).data.metrics  # SFT's run is SFT's


def test_pairs_holding_pii_stop_dpo_naming_file_line_and_field(tmp_path: Path, monkeypatch) -> None:
    """The PII gate before DPO: a pair whose answer or logged conversation holds PII fails the asset before
    anything trains, naming where it is and the value's shape, never the value (audit_leaks finding 1)."""
    import pytest

    from finetune_platform.monitoring.feedback import PreferencePairsPiiError

    value = _training_set(tmp_path)
    pairs = [
        {"prompt": "how do I reset my password", "chosen": "Use the link.", "rejected": "No."},
        {"prompt": "my ssn is <US_SSN_1>, update my tax form", "chosen": "Updated the form for 123456789.",
         "rejected": "Noted 123456789; my ssn is 123456789 too"},
        {"prompt": "my card was charged twice", "chosen": "Refunded.", "rejected": "Pay again.",
         "messages": json.dumps([{"role": "user", "content": "mail jane.doe@example.com"},
                                 {"role": "user", "content": "my card was charged twice"}])},
    ]
    with pytest.raises(PreferencePairsPiiError) as raised:
        _run(tmp_path, monkeypatch, value, pairs)
    message = str(raised.value)
    assert "2026-12-05.jsonl line 2, field 'rejected': US_SSN 1***9 (9 chars)" in message
    assert "2026-12-05.jsonl line 3, field 'messages[0].content': EMAIL j***m (20 chars)" in message
    assert "123456789" not in message and "jane.doe" not in message
    assert not list((tmp_path / "artifacts").glob("aligned_adapter/*/inputs/pairs.parquet"))  # nothing trained
