"""Training in a child process through Dagster Pipes: one process, and torchrun + DeepSpeed ZeRO on CPU."""

from __future__ import annotations

import json
import math
import tempfile
import time
from pathlib import Path

import dagster as dg
import pytest
from safetensors.torch import load_file

from finetune_platform.resources.pipes_training import PipesTrainingResource, run_training_subprocess
from finetune_platform.training.deepspeed_config import (
    DeepSpeedConfigError,
    deepspeed_config,
    deepspeed_config_for,
    write_deepspeed_config,
)
from finetune_platform.training.launch import LaunchSpec, SFTRequest
from finetune_platform.training.sft import SFTSettings
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, corpus, examples

FULL = dict(method="full", lora_modules_to_save=[], batch_size=8, logging_steps=1, save_steps=100, bf16=False, warmup_ratio=0.0)

#: Reused across sessions: DeepSpeed's CPU communication op takes about a minute to compile the first time.
TORCH_EXTENSIONS = str(Path(tempfile.gettempdir()) / "finetune_platform_torch_extensions")
#: torchrun with two CPU ranks (gloo), as the DeepSpeed tests launch.
TWO_RANKS = LaunchSpec(
    launcher="torchrun", nproc_per_node=2, omp_num_threads=1, cpu_only=True, torch_extensions_dir=TORCH_EXTENSIONS
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("pipes")
    examples().to_parquet(root / "train.parquet")
    examples(12, seed=1).to_parquet(root / "validation.parquet")
    return {
        "root": str(root),
        "base_model_path": str(build_tiny_model(corpus(), TINY, root / "tiny").path),
        "train_path": str(root / "train.parquet"),
        "validation_path": str(root / "validation.parquet"),
    }


def _request(workspace: dict[str, str], name: str, settings: SFTSettings, **kwargs) -> SFTRequest:
    return SFTRequest(
        base_model_path=workspace["base_model_path"],
        train_path=workspace["train_path"],
        validation_path=workspace["validation_path"],
        settings=settings,
        output_dir=str(Path(workspace["root"]) / name),
        **kwargs,
    )


def _materialize(spec: LaunchSpec, request: SFTRequest) -> tuple[dg.ExecuteInProcessResult, dict, list[str]]:
    """Materialize a one-asset job whose asset trains through ``run_training_subprocess``.

    Returns the Dagster result, what the function returned, and the run's log messages.
    """
    returned: dict = {}

    @dg.asset
    def sft_model(context):  # no annotation: `from __future__ import annotations` makes it a string
        out = run_training_subprocess(context, spec, request)
        returned.update(out)
        return out["materialize_result"]

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([sft_model], instance=instance, raise_on_error=False)
    texts = []
    for entry in instance.all_logs(result.run_id):
        texts.append(entry.user_message)
        event_data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if getattr(event_data, "error", None) is not None:  # e.g. "[pipes] ... closed with exception"
            texts.append(event_data.error.to_string())
    return result, returned, texts


def test_incompatible_deepspeed_config_is_refused_before_launch(workspace, tmp_path):
    config = write_deepspeed_config(deepspeed_config(2, bf16=False, gradient_accumulation_steps=1, micro_batch_size=4), tmp_path / "ds.json")
    request = _request(workspace, "refused", SFTSettings(max_steps=2, **FULL), deepspeed_config_path=str(config))
    with pytest.raises(DeepSpeedConfigError, match="train_micro_batch_size_per_gpu=4 but the SFTSettings give 8"):
        run_training_subprocess(dg.build_asset_context(), LaunchSpec(), request)
    assert not Path(request.output_dir).exists()


def test_resource_builds_specs_from_its_config():
    resource = PipesTrainingResource(launcher="torchrun", nproc_per_node=2, omp_num_threads=1, cpu_only=True)
    spec = resource.spec()
    assert (spec.launcher, spec.nproc_per_node, spec.omp_num_threads, spec.cpu_only) == ("torchrun", 2, 1, True)


@pytest.mark.slow
def test_asset_trains_in_a_subprocess_and_streams_each_step(workspace):
    request = _request(workspace, "python", SFTSettings(max_steps=4, **FULL))
    result, returned, logs = _materialize(LaunchSpec(omp_num_threads=1), request)
    assert result.success
    metadata = result.asset_materializations_for_node("sft_model")[0].metadata
    assert metadata["global_step"].value == 4
    assert Path(metadata["model_path"].value) == Path(request.output_dir) / "model"
    assert (Path(request.output_dir) / "model" / "model.safetensors").is_file()
    assert "resumed_from_checkpoint" not in metadata  # None values are left out
    assert [step for step, _ in metadata["loss_history"].value["loss_history"]] == [1, 2, 3, 4]
    assert math.isfinite(metadata["eval_loss"].value)
    assert [s["step"] for s in returned["steps"] if "loss" in s["metrics"]] == [1, 2, 3, 4]
    assert returned["result"]["final_train_loss"] == metadata["final_train_loss"].value
    step_lines = [m for m in logs if m.startswith("step ") and " loss=" in m]  # not train_loss=, eval_loss=
    assert [m.split(":")[0] for m in step_lines] == ["step 1", "step 2", "step 3", "step 4"]


@pytest.mark.slow
def test_failing_training_process_fails_the_asset(workspace):
    request = _request(workspace, "broken", SFTSettings(max_steps=2, **FULL)).model_copy(
        update={"base_model_path": str(Path(workspace["root"]) / "no-such-model")}
    )
    result, returned, logs = _materialize(LaunchSpec(omp_num_threads=1), request)
    assert not result.success
    assert returned == {}
    assert any("pipes closed with exception" in m for m in logs)
    assert any("no-such-model" in m for m in logs)  # the child's traceback reached the run's event log
    failure = result.failure_data_for_node("sft_model")
    message = failure.error.to_string()
    # the child's own exception names what went wrong, not only the exit code
    assert f"training sft in {request.output_dir} failed:" in message and "no-such-model" in message
    assert "External execution process failed with code 1" in message  # the cause, kept


@pytest.mark.slow
def test_torchrun_two_ranks_deepspeed_zero2_on_cpu(workspace, tmp_path):
    settings = SFTSettings(max_steps=6, **FULL)
    config = write_deepspeed_config(deepspeed_config_for(settings, zero_stage=2), tmp_path / "zero2.json")
    request = _request(workspace, "zero2", settings, deepspeed_config_path=str(config))
    spec = TWO_RANKS
    started = time.perf_counter()
    result, returned, logs = _materialize(spec, request)
    print(f"ZeRO-2, 2 ranks, 6 steps: {time.perf_counter() - started:.1f} s wall")
    assert result.success
    metadata = result.asset_materializations_for_node("sft_model")[0].metadata
    assert metadata["global_step"].value == 6
    assert [s["step"] for s in returned["steps"] if "loss" in s["metrics"]] == [1, 2, 3, 4, 5, 6]  # rank 0 only
    assert all(math.isfinite(loss) for _, loss in returned["result"]["loss_history"])
    weights = load_file(Path(request.output_dir) / "model" / "model.safetensors")
    assert weights and all(t.numel() > 0 for t in weights.values())


@pytest.mark.slow
def test_torchrun_two_ranks_zero3_lora_saves_an_adapter_that_reloads_to_the_same_outputs(workspace, tmp_path):
    """ZeRO-3 shards every weight across the ranks; the adapter the job saves must hold whole tensors, and the
    folder reloaded from disk (base + adapter, as serving loads it) must give the trained model's logits."""
    settings = SFTSettings(
        method="lora", lora_r=8, lora_alpha=16, lora_modules_to_save=[], learning_rate=1e-2, max_steps=4,
        batch_size=8, logging_steps=1, save_steps=100, bf16=False, warmup_ratio=0.0,
    )  # fmt: skip
    config = write_deepspeed_config(deepspeed_config_for(settings, zero_stage=3), tmp_path / "zero3.json")
    assert deepspeed_config_for(settings, zero_stage=3)["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"]
    request = _request(workspace, "zero3-lora", settings, deepspeed_config_path=str(config))
    spec = TWO_RANKS
    result, returned, logs = _materialize(spec, request)
    assert result.success, "\n".join(logs[-20:])
    assert returned["result"]["global_step"] == 4
    adapter = load_file(Path(request.output_dir) / "adapter" / "adapter_model.safetensors")
    assert adapter and all(t.numel() > 0 for t in adapter.values())  # not the empty ZeRO-3 shards
    lora_b = [t for name, t in adapter.items() if "lora_B" in name]
    assert lora_b and all(t.abs().sum() > 0 for t in lora_b)  # lora_B starts at zero: trained
    check = returned["result"]["save_check"]  # the child reloaded base + adapter from disk and compared
    assert check["passed"] and check["prompts"] == 2 and check["max_abs_diff"] < 1e-3
    metadata = result.asset_materializations_for_node("sft_model")[0].metadata
    assert metadata["save_check"].value["passed"] is True


@pytest.mark.slow
def test_dpo_under_zero3_with_lora_merges_the_gathered_adapter(workspace, tmp_path):
    """DPO through the same launcher: two ranks, ZeRO-3, a LoRA adapter; rank 0 merges the gathered adapter
    into the SFT model and saves one full folder that loads with plain transformers."""
    import pandas as pd
    import torch
    from transformers import AutoModelForCausalLM

    from finetune_platform.training.dpo import DPOSettings
    from finetune_platform.training.launch import DPORequest

    data = examples(24, tasks=("reply",), seed=3)
    pairs = pd.DataFrame({"prompt": data["prompt"], "chosen": "Sorry for the trouble. " + data["completion"],
                          "rejected": data["completion"].str.rstrip(".") + ". Deal with it."})
    pairs.to_parquet(tmp_path / "pairs.parquet")
    settings = DPOSettings(method="lora", lora_target_modules=["q_proj", "v_proj"], max_steps=2, batch_size=4,
                           logging_steps=1, save_steps=100, learning_rate=1e-2, warmup_ratio=0.0)
    config = write_deepspeed_config(deepspeed_config_for(settings, zero_stage=3), tmp_path / "zero3.json")
    request = DPORequest(base_model_path=workspace["base_model_path"], sft_model_path=workspace["base_model_path"],
                         train_path=str(tmp_path / "pairs.parquet"), settings=settings,
                         output_dir=str(tmp_path / "dpo"), deepspeed_config_path=str(config))
    spec = TWO_RANKS
    result, returned, logs = _materialize(spec, request)
    assert result.success, "\n".join(logs[-20:])
    assert returned["result"]["global_step"] == 2 and len(returned["result"]["loss_history"]) == 2
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "dpo" / "model")
    base = AutoModelForCausalLM.from_pretrained(workspace["base_model_path"])
    assert not (tmp_path / "dpo" / "model" / "adapter_config.json").exists()
    changed = [name for name, p in merged.state_dict().items() if not torch.equal(p, base.state_dict()[name])]
    assert changed and all(("q_proj" in n or "v_proj" in n) for n in changed)  # the LoRA targets moved, nothing else


@pytest.mark.slow
def test_dapt_under_zero3_saves_whole_gathered_weights(workspace, tmp_path):
    """Continued pretraining through the same launcher: two ranks, ZeRO-3 (full fine-tuning, every weight
    sharded); the saved model must hold whole tensors (not the empty per-rank shards) that moved from the
    base, load with plain transformers, and the run must continue as a usable base for SFT."""
    import pandas as pd
    import torch
    from transformers import AutoModelForCausalLM

    from finetune_platform.training.dapt import DAPTSettings
    from finetune_platform.training.launch import DAPTRequest

    pd.DataFrame({"text": corpus(40)}).to_parquet(tmp_path / "docs.parquet")
    pd.DataFrame({"text": corpus(8)}).to_parquet(tmp_path / "held_out.parquet")
    settings = DAPTSettings(max_steps=3, batch_size=4, seq_len=32, logging_steps=1, save_steps=100,
                            learning_rate=1e-2, warmup_ratio=0.0)
    config = write_deepspeed_config(deepspeed_config_for(settings, zero_stage=3), tmp_path / "zero3.json")
    request = DAPTRequest(base_model_path=workspace["base_model_path"], train_path=str(tmp_path / "docs.parquet"),
                          validation_path=str(tmp_path / "held_out.parquet"), settings=settings,
                          output_dir=str(tmp_path / "dapt"), deepspeed_config_path=str(config))
    spec = TWO_RANKS
    result, returned, logs = _materialize(spec, request)
    assert result.success, "\n".join(logs[-20:])
    out = returned["result"]
    assert out["global_step"] == 3 and [step for step, _ in out["loss_history"]] == [1, 2, 3]
    assert out["eval_perplexity"] is not None and math.isfinite(out["eval_perplexity"])
    saved = AutoModelForCausalLM.from_pretrained(tmp_path / "dapt" / "model").state_dict()
    base = AutoModelForCausalLM.from_pretrained(workspace["base_model_path"]).state_dict()
    assert saved.keys() == base.keys()
    assert all(saved[name].shape == base[name].shape for name in base)  # gathered, not ZeRO-3's empty shards
    moved = [name for name in base if not torch.equal(saved[name], base[name])]
    assert len(moved) > len(base) // 2  # full fine-tuning: most tensors trained


@pytest.mark.slow
def test_zero3_without_gathered_save_consolidates_the_shards_into_a_loadable_model(workspace, tmp_path):
    """With gather_16bit_weights_on_model_save off, the Trainer writes only DeepSpeed's per-rank shards; rank 0
    rebuilds one safetensors model from them (full fine-tuning SFT, so the save check compares its logits)."""
    settings = SFTSettings(**FULL, max_steps=2)
    config = write_deepspeed_config(
        deepspeed_config_for(settings, zero_stage=3, gather_16bit_weights_on_model_save=False), tmp_path / "zero3.json"
    )
    request = _request(workspace, "zero3-consolidated", settings, deepspeed_config_path=str(config))
    spec = TWO_RANKS
    result, returned, logs = _materialize(spec, request)
    assert result.success, "\n".join(logs[-20:])
    model_dir = Path(request.output_dir) / "model"
    assert (model_dir / "model.safetensors").is_file()
    assert not (model_dir / "latest").exists() and not list(model_dir.glob("global_step*"))  # shards removed
    check = returned["result"]["save_check"]  # rank 0 reloaded the consolidated folder and compared logits
    assert check["passed"] and check["max_abs_diff"] < 1e-3


def test_the_message_reader_waits_for_the_rest_of_a_half_written_line(tmp_path):
    """The child's write of a message can be read half done (a line across a page boundary lands in two steps):
    the reader yields the line only once it is whole, so no message is parsed in parts and lost."""
    from finetune_platform.resources.pipes_training import tail_whole_lines

    path = tmp_path / "messages"
    path.write_text('{"method": "log", "params": {"message": "step 1"}}\n{"method": "report_custom_mes', encoding="utf-8")
    writes = iter(['sage", "params": {"payload": {"kind": "result"}}}\n', '{"last": true}'])

    def should_stop() -> bool:
        # called each time the reader is at the end of the file: append the next part, stop once all are in
        part = next(writes, None)
        if part is None:
            return True
        with path.open("a", encoding="utf-8") as fh:
            fh.write(part)
        return False

    lines = list(tail_whole_lines(path, should_stop))
    assert [json.loads(line) for line in lines] == [
        {"method": "log", "params": {"message": "step 1"}},
        {"method": "report_custom_message", "params": {"payload": {"kind": "result"}}},
        {"last": True},  # a last line without its newline still counts
    ]


def test_training_runs_read_messages_with_the_whole_line_reader(workspace, monkeypatch):
    """run_training_subprocess builds its Pipes client with the whole-line reader (with Dagster's default one, a
    half-read line kills the reader thread and every later message is lost)."""
    from finetune_platform.resources import pipes_training

    readers = []

    def client(*args, **kwargs):
        readers.append(kwargs.get("message_reader"))
        raise RuntimeError("stop before launching")

    monkeypatch.setattr(pipes_training.dg, "PipesSubprocessClient", client)
    with pytest.raises(RuntimeError, match="stop before launching"):
        run_training_subprocess(dg.build_asset_context(), LaunchSpec(), _request(workspace, "reader", SFTSettings(**FULL, max_steps=1)))
    assert len(readers) == 1 and isinstance(readers[0], pipes_training.WholeLineTempFileMessageReader)
