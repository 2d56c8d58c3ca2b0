"""DeepSpeed config building and the rules that refuse configs which would fail or save nothing."""

from __future__ import annotations

import json

import pytest

from finetune_platform.training.deepspeed_config import (
    DeepSpeedConfigError,
    check_compatible,
    deepspeed_config,
    deepspeed_config_for,
    write_deepspeed_config,
)
from finetune_platform.training.sft import SFTSettings


def test_zero2_config_leaves_optimizer_to_the_trainer():
    config = deepspeed_config(2, bf16=True, gradient_accumulation_steps=4, micro_batch_size=8)
    assert config["zero_optimization"]["stage"] == 2
    assert (config["train_micro_batch_size_per_gpu"], config["gradient_accumulation_steps"]) == (8, 4)
    assert config["train_batch_size"] == "auto" and config["gradient_clipping"] == "auto"
    assert config["bf16"] == {"enabled": True} and config["fp16"] == {"enabled": False}
    assert "optimizer" not in config and "scheduler" not in config  # torch AdamW + HF cosine, CPU-safe
    assert "offload_optimizer" not in config["zero_optimization"]
    assert "stage3_gather_16bit_weights_on_model_save" not in config["zero_optimization"]


def test_zero3_config_gathers_weights_and_lets_the_trainer_size_buckets():
    zero = deepspeed_config(3, bf16=False, gradient_accumulation_steps=1, micro_batch_size=2)["zero_optimization"]
    assert zero["stage"] == 3
    assert zero["stage3_gather_16bit_weights_on_model_save"] is True
    assert zero["stage3_prefetch_bucket_size"] == "auto" and zero["reduce_bucket_size"] == "auto"


def test_offload_moves_optimizer_and_zero3_params_to_cpu():
    z2 = deepspeed_config(2, False, 1, 2, offload=True)
    assert z2["zero_optimization"]["offload_optimizer"]["device"] == "cpu"
    assert "offload_param" not in z2["zero_optimization"]
    assert z2["optimizer"]["type"] == "AdamW" and z2["optimizer"]["params"]["lr"] == "auto"
    z3 = deepspeed_config(3, False, 1, 2, offload=True)
    assert z3["zero_optimization"]["offload_param"]["device"] == "cpu"


def test_zero3_lora_without_gathered_save_is_refused():
    with pytest.raises(DeepSpeedConfigError, match="saves adapters with empty tensors"):
        deepspeed_config(3, False, 1, 2, gather_16bit_weights_on_model_save=False, lora=True)
    # full fine-tuning can save ZeRO shards instead (consolidated later with zero_to_fp32)
    config = deepspeed_config(3, False, 1, 2, gather_16bit_weights_on_model_save=False, lora=False)
    assert config["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(zero_stage=1), "only ZeRO stages 2 and 3"),
        (dict(micro_batch_size=0), "micro_batch_size=0: must be a positive integer"),
        (dict(gradient_accumulation_steps=True), "gradient_accumulation_steps=True"),
        (dict(zero_stage=2, gather_16bit_weights_on_model_save=False), "only applies to ZeRO-3"),
    ],
)
def test_invalid_arguments_say_what_to_change(kwargs, message):
    arguments = dict(zero_stage=2, bf16=False, gradient_accumulation_steps=1, micro_batch_size=2) | kwargs
    with pytest.raises(DeepSpeedConfigError, match=message):
        deepspeed_config(**arguments)


def test_config_for_settings_copies_what_the_trainer_cross_checks():
    settings = SFTSettings(method="lora", batch_size=4, gradient_accumulation_steps=3, bf16=False)
    config = deepspeed_config_for(settings, zero_stage=2)
    assert (config["train_micro_batch_size_per_gpu"], config["gradient_accumulation_steps"]) == (4, 3)
    assert config["bf16"]["enabled"] is False
    check_compatible(config, settings)  # consistent by construction
    with pytest.raises(DeepSpeedConfigError, match="empty tensors"):
        deepspeed_config_for(settings, zero_stage=3, gather_16bit_weights_on_model_save=False)


def test_check_compatible_catches_hand_written_mismatches():
    settings = SFTSettings(method="lora", batch_size=4, bf16=True)
    with pytest.raises(DeepSpeedConfigError, match="train_micro_batch_size_per_gpu=8 but the SFTSettings give 4"):
        check_compatible({"train_micro_batch_size_per_gpu": 8}, settings)
    with pytest.raises(DeepSpeedConfigError, match="bf16.enabled=False but SFTSettings.bf16=True"):
        check_compatible({"bf16": {"enabled": False}}, settings)
    with pytest.raises(DeepSpeedConfigError, match="stage3_gather_16bit_weights_on_model_save off"):
        check_compatible({"zero_optimization": {"stage": 3}}, settings)
    check_compatible({"train_micro_batch_size_per_gpu": "auto", "bf16": {"enabled": "auto"}}, settings)


def test_written_config_round_trips(tmp_path):
    config = deepspeed_config(3, True, 2, 4)
    path = write_deepspeed_config(config, tmp_path / "sub" / "ds.json")
    assert json.loads(path.read_text()) == config


def test_consolidating_an_interrupted_zero_save_says_what_is_missing(tmp_path):
    from finetune_platform.training.sft import consolidate_zero_checkpoint

    (tmp_path / "latest").write_text("global_step7")
    with pytest.raises(RuntimeError, match="global_step7.*missing.*train again"):
        consolidate_zero_checkpoint(tmp_path)
