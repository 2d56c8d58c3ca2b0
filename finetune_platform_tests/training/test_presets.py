"""Every shipped preset validates; each cross-field rule refuses what it must, with a message that says why."""

from __future__ import annotations

import copy
from importlib import resources

import pytest
import yaml
from pydantic import ValidationError

from finetune_platform.training.presets import LaunchSettings, PresetError, list_presets, load_preset, preset_from_dict


def test_the_three_presets_ship():
    assert list_presets() == ["7b-zero3-multi-gpu", "small-gpu", "tiny-cpu"]


@pytest.mark.parametrize("name", ["7b-zero3-multi-gpu", "small-gpu", "tiny-cpu"])
def test_every_shipped_preset_is_valid(name):
    preset = load_preset(name)
    assert preset.name == name and preset.description
    spec = preset.launch_spec(master_port=29_600)
    assert (spec.launcher, spec.nproc_per_node) == (preset.launch.launcher, preset.launch.nproc_per_node)
    config = preset.deepspeed_config()
    if preset.launch.zero_stage == 0:
        assert config is None
    else:
        assert config["zero_optimization"]["stage"] == preset.launch.zero_stage
        assert config["train_micro_batch_size_per_gpu"] == preset.sft.batch_size


def test_presets_say_what_they_are_for():
    tiny, big = load_preset("tiny-cpu"), load_preset("7b-zero3-multi-gpu")
    assert (tiny.base_model.source, tiny.sft.method, tiny.launch.launcher) == ("tiny", "full", "python")
    assert (big.base_model.source, big.sft.method, big.launch.zero_stage, big.launch.nproc_per_node) == ("hub", "lora", 3, 8)
    assert big.deepspeed_config()["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is True


def test_unknown_preset_lists_the_available_ones():
    with pytest.raises(PresetError, match=r"no preset named 'huge'; available: \['7b-zero3-multi-gpu', 'small-gpu', 'tiny-cpu'\]"):
        load_preset("huge")


def shipped(name: str) -> dict:
    """The raw YAML of a shipped preset, as a dict to modify."""
    return yaml.safe_load(resources.files("finetune_platform.training").joinpath(f"presets/{name}.yaml").read_text())


@pytest.fixture
def big() -> dict:
    return shipped("7b-zero3-multi-gpu")


def test_typo_in_a_section_is_refused(big):
    data = copy.deepcopy(big)
    data["sft"]["lora_rank"] = 8
    with pytest.raises(PresetError, match=r"sft: unknown keys \['lora_rank'\]"):
        preset_from_dict("typo", data)


def test_zero3_with_lora_needs_gathered_weights(big):
    data = copy.deepcopy(big)
    data["launch"]["gather_16bit_weights_on_model_save"] = False
    with pytest.raises(PresetError, match=r"ZeRO-3 with LoRA \(sft, dpo\) needs launch.gather_16bit_weights_on_model_save=True"):
        preset_from_dict("no-gather", data)
    data["sft"].update(method="full", lora_modules_to_save=[])
    data["dpo"]["method"] = "full"
    assert preset_from_dict("full-no-gather", data).launch.gather_16bit_weights_on_model_save is False


def test_deepspeed_needs_a_launcher(big):
    data = copy.deepcopy(big)
    data["launch"].update(launcher="python", nproc_per_node=1)
    with pytest.raises(PresetError, match="zero_stage=3 with launcher='python' fails looking for mpi4py"):
        preset_from_dict("python-zero3", data)


def test_launchers_need_at_least_one_process():
    with pytest.raises(ValidationError, match="nproc_per_node"):
        LaunchSettings(launcher="torchrun", nproc_per_node=0)
    with pytest.raises(ValidationError, match="launcher='python' starts one process but nproc_per_node=4"):
        LaunchSettings(launcher="python", nproc_per_node=4)


def test_offload_needs_deepspeed():
    with pytest.raises(ValidationError, match="offload=True needs DeepSpeed"):
        LaunchSettings(offload=True)


def test_gather_option_only_for_zero3():
    with pytest.raises(ValidationError, match="gather_16bit_weights_on_model_save=False only applies to zero_stage=3"):
        LaunchSettings(launcher="torchrun", nproc_per_node=2, zero_stage=2, gather_16bit_weights_on_model_save=False)


def test_packing_needs_a_max_length(big):
    data = copy.deepcopy(big)
    data["sft"]["max_length"] = None
    with pytest.raises(PresetError, match="sft: Value error, packing=True needs max_length"):
        preset_from_dict("packing", data)


def test_tiny_model_lengths_fit_its_positions():
    data = shipped("tiny-cpu")
    data["dapt"]["seq_len"] = 1024
    with pytest.raises(PresetError, match=r"dapt.seq_len \(1024\) exceeds the tiny model's base_model.max_position_embeddings \(512\)"):
        preset_from_dict("long", data)
