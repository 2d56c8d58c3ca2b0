"""Command lines and environments of the training process, the request it reads, and its own rules."""

from __future__ import annotations

import json
import sys

import pytest
from pydantic import ValidationError

from finetune_platform.training import entrypoint, sft
from finetune_platform.training.launch import (
    ENTRYPOINT_MODULE,
    DAPTRequest,
    DPORequest,
    LaunchSpec,
    SFTRequest,
    build_command,
    build_env,
    free_port,
    parse_request,
    write_params_file,
)
from finetune_platform.training.sft import SFTSettings

DIST_VARS = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}


def test_python_launcher_runs_the_module_with_this_interpreter():
    assert build_command(LaunchSpec(), args=["--params-file", "r.json"]) == [
        sys.executable, "-m", ENTRYPOINT_MODULE, "--params-file", "r.json",
    ]  # fmt: skip


def test_torchrun_launcher_uses_the_venv_and_a_fixed_rendezvous():
    spec = LaunchSpec(launcher="torchrun", nproc_per_node=2, master_port=29611)
    command = build_command(spec, module="pkg.train")
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert command[command.index("--nproc_per_node") + 1] == "2"
    assert command[command.index("--master_port") + 1] == "29611"
    assert command[-2:] == ["--module", "pkg.train"]


def test_deepspeed_launcher_passes_process_count_and_module():
    command = build_command(LaunchSpec(launcher="deepspeed", nproc_per_node=2, master_port=29612))
    assert command[:3] == [sys.executable, "-m", "deepspeed.launcher.runner"]
    assert command[command.index("--num_gpus") + 1] == "2"
    assert command[-2:] == ["--module", ENTRYPOINT_MODULE]


def test_python_launcher_is_single_process():
    with pytest.raises(ValidationError, match="launcher='python' starts one process"):
        LaunchSpec(launcher="python", nproc_per_node=2)


def test_each_spec_gets_a_free_port():
    port = free_port()
    assert 1024 <= port <= 65535
    assert 1024 <= LaunchSpec().master_port <= 65535


def test_plain_python_with_deepspeed_is_told_it_is_rank_zero_of_one():
    spec = LaunchSpec(master_port=29613)
    env = build_env(spec, deepspeed=True)
    assert {k: env[k] for k in DIST_VARS} == {
        "RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29613",
    }  # fmt: skip
    assert not DIST_VARS & set(build_env(spec, deepspeed=False))  # a plain run must not look distributed
    assert not DIST_VARS & set(build_env(LaunchSpec(launcher="torchrun", nproc_per_node=2), deepspeed=True))


def test_env_carries_threads_extensions_cpu_and_overrides(tmp_path):
    spec = LaunchSpec(
        omp_num_threads=1, torch_extensions_dir=str(tmp_path), cpu_only=True, env={"OMP_NUM_THREADS": "3", "X": "y"}
    )
    env = build_env(spec)
    assert env["TORCH_EXTENSIONS_DIR"] == str(tmp_path)
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["DS_ACCELERATOR"] == "cpu"
    assert env["OMP_NUM_THREADS"] == "3" and env["X"] == "y"  # explicit env wins
    assert env["PYTHONUNBUFFERED"] == "1"
    assert "TORCH_EXTENSIONS_DIR" not in build_env(LaunchSpec())


def test_request_round_trips_through_a_params_file(tmp_path):
    request = SFTRequest(
        base_model_path="/m", train_path="/t.parquet", output_dir="/o", settings=SFTSettings(method="full", lora_modules_to_save=[], max_steps=3)
    )
    path = write_params_file(request, tmp_path / "r.json")
    loaded = SFTRequest.model_validate_json(path.read_text())
    assert loaded == request
    assert json.loads(path.read_text())["settings"]["max_steps"] == 3
    with pytest.raises(ValidationError, match="packing=True needs max_length"):
        SFTRequest.model_validate({**request.to_params(), "settings": {"packing": True, "max_length": None}})


def test_entrypoint_without_pipes_or_params_file_says_what_to_pass(monkeypatch, capsys):
    for name in ("DAGSTER_PIPES_CONTEXT", "DAGSTER_PIPES_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        entrypoint.main([])
    assert exit_info.value.code == 2
    assert "pass --params-file" in capsys.readouterr().err


def test_requests_of_every_stage_parse_by_their_stage_field(tmp_path):
    common = dict(base_model_path="/m", train_path="/t.parquet", output_dir="/o")
    assert isinstance(parse_request({**common}), SFTRequest)  # no stage: SFT, as before stages existed
    dapt = parse_request({**common, "stage": "dapt", "settings": {"seq_len": 64}})
    assert isinstance(dapt, DAPTRequest) and dapt.settings.seq_len == 64
    dpo = parse_request(json.dumps({**common, "stage": "dpo", "sft_model_path": "/s", "mlflow": {"tracking_uri": "sqlite:///x.db", "run_id": "r1"}}))
    assert isinstance(dpo, DPORequest) and dpo.mlflow.run_id == "r1" and dpo.settings.beta == 0.1
    assert parse_request(dpo.to_params()) == dpo
    with pytest.raises(ValidationError, match="does not match any of the expected tags: 'sft', 'dapt', 'dpo'"):
        parse_request({**common, "stage": "rlhf"})
    with pytest.raises(ValidationError, match="sft_model_path"):
        parse_request({**common, "stage": "dpo"})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        parse_request({**common, "stage": "sft", "sft_model_path": "/s"})


def test_a_missing_deepspeed_config_is_named_before_training(tmp_path):
    request = SFTRequest(base_model_path="/m", train_path="/t.parquet", output_dir=str(tmp_path / "o"),
                         deepspeed_config_path=str(tmp_path / "missing.json"))
    with pytest.raises(FileNotFoundError, match="DeepSpeed config .*missing.json does not exist"):
        entrypoint.run_request(request)


def test_trainer_arguments_carry_the_deepspeed_config_for_every_stage(tmp_path):
    from finetune_platform.training.dapt import DAPTSettings, to_dapt_config
    from finetune_platform.training.dpo import DPOSettings, to_dpo_config
    from finetune_platform.training.precision import resolve_bf16

    config = {"zero_optimization": {"stage": 2}, "train_micro_batch_size_per_gpu": "auto"}
    assert sft.to_trl_config(SFTSettings(), tmp_path).deepspeed is None
    for build, settings in ((sft.to_trl_config, SFTSettings()), (to_dapt_config, DAPTSettings()), (to_dpo_config, DPOSettings())):
        args = build(settings, tmp_path, deepspeed=config)
        assert args.deepspeed == config, build.__name__
        wanted = resolve_bf16(settings.bf16)  # SFT's None: on where this machine computes bf16 natively
        assert (args.output_dir, args.bf16, args.activation_checkpointing) == (str(tmp_path / "checkpoints"), wanted, False)


def test_half_written_checkpoints_are_discarded(tmp_path):
    folder = tmp_path / sft.CHECKPOINTS_DIR
    for step, state in ((10, '{"global_step": 10}'), (20, '{"global_st'), (30, None)):
        (folder / f"checkpoint-{step}").mkdir(parents=True)
        (folder / f"checkpoint-{step}" / "model.safetensors").write_bytes(b"x")
        if state is not None:
            (folder / f"checkpoint-{step}" / "trainer_state.json").write_text(state)
    assert entrypoint.discard_incomplete_checkpoints(tmp_path) == ["checkpoint-20", "checkpoint-30"]
    assert sorted(p.name for p in folder.iterdir()) == ["checkpoint-10"]
    assert sft.latest_checkpoint(tmp_path).name == "checkpoint-10"
    assert entrypoint.discard_incomplete_checkpoints(tmp_path / "nothing-here") == []


def test_prepare_launch_writes_the_deepspeed_config_from_the_stage_settings(tmp_path):
    from finetune_platform.training.launch import prepare_launch
    from finetune_platform.training.presets import LaunchSettings

    request = SFTRequest(base_model_path="/m", train_path="/t.parquet", output_dir=str(tmp_path / "run"),
                         settings=SFTSettings(method="lora", batch_size=4, gradient_accumulation_steps=2, bf16=False))
    plain, spec = prepare_launch(request, LaunchSettings(), threads=1)
    assert plain.deepspeed_config_path is None and spec.launcher == "python" and spec.omp_num_threads == 1
    assert not spec.cpu_only  # no DeepSpeed: nothing to switch to its CPU accelerator

    sharded, spec = prepare_launch(request, LaunchSettings(launcher="torchrun", nproc_per_node=2, zero_stage=3))
    config = json.loads((tmp_path / "run" / "deepspeed.json").read_text())
    assert sharded.deepspeed_config_path == str(tmp_path / "run" / "deepspeed.json")
    assert config["zero_optimization"]["stage"] == 3
    assert config["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is True  # LoRA under ZeRO-3
    assert (config["train_micro_batch_size_per_gpu"], config["gradient_accumulation_steps"], config["bf16"]["enabled"]) == (4, 2, False)
    assert (spec.launcher, spec.nproc_per_node, spec.cpu_only) == ("torchrun", 2, True)  # this machine has no CUDA
    assert request.deepspeed_config_path is None  # the caller's request is not modified


def test_zero_stage_one_and_python_with_several_processes_are_refused():
    from finetune_platform.training.presets import LaunchSettings

    with pytest.raises(ValidationError, match="zero_stage=1 is not supported"):
        LaunchSettings(launcher="torchrun", nproc_per_node=2, zero_stage=1)
    with pytest.raises(ValidationError, match="launcher='python' starts one process"):
        LaunchSettings(launcher="python", nproc_per_node=2)


def test_frame_sha256_changes_with_content_not_only_with_size() -> None:
    import pandas as pd

    from finetune_platform.training.provenance import frame_sha256

    a = pd.DataFrame({"prompt": ["p1", "p2"], "chosen": ["a", "b"], "rejected": ["x", "y"]})
    same_count = a.assign(chosen=["a", "c"])
    assert frame_sha256(a, ["prompt", "chosen", "rejected"]) == frame_sha256(a.copy(), ["prompt", "chosen", "rejected"])
    assert frame_sha256(a, ["prompt", "chosen", "rejected"]) != frame_sha256(same_count, ["prompt", "chosen", "rejected"])
    assert frame_sha256(pd.DataFrame({"text": ["ab", "c"]}), ["text"]) != frame_sha256(pd.DataFrame({"text": ["a", "bc"]}), ["text"])
