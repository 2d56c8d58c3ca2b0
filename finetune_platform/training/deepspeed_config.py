"""DeepSpeed ZeRO configurations for the HF Trainer, built and checked in one place.

The dict that ``deepspeed_config`` returns is what the Trainer's ``deepspeed=`` argument takes (a dict or
the path of its JSON file). Values the Trainer knows better are left as ``"auto"`` (the total batch size,
gradient clipping, the ZeRO-3 bucket sizes that depend on the model's hidden size); values our own
settings decide (micro batch, accumulation, bf16) are written out, and the Trainer refuses to start when
they disagree with its arguments, so a config cannot silently train something other than what was asked.

No ``optimizer`` or ``scheduler`` section is written without offload: the Trainer then builds its own
torch AdamW and cosine schedule, exactly as in a run without DeepSpeed, and nothing needs DeepSpeed's CUDA
fused Adam (so the same config trains on CPU with the gloo backend). With ``offload=True`` the optimizer
section selects DeepSpeed's CPU Adam, whose C++ op is compiled at first use (set TORCH_EXTENSIONS_DIR).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from finetune_platform.training.precision import resolve_bf16


ZeroStage = Literal[2, 3]


class DeepSpeedConfigError(ValueError):
    """A DeepSpeed configuration that would fail or silently do the wrong thing."""


def deepspeed_config(
    zero_stage: ZeroStage,
    bf16: bool,
    gradient_accumulation_steps: int,
    micro_batch_size: int,
    offload: bool = False,
    gather_16bit_weights_on_model_save: bool = True,
    *,
    lora: bool = False,
) -> dict[str, Any]:
    """A ZeRO-2 or ZeRO-3 config for the HF Trainer's ``deepspeed=`` argument.

    ``lora`` says whether the model is trained with PEFT adapters: under ZeRO-3 every rank holds only a
    shard of each parameter, and without ``gather_16bit_weights_on_model_save`` the adapter the Trainer
    saves is made of empty (0-element) tensors, so that combination is refused rather than written.
    """
    if zero_stage not in (2, 3):
        raise DeepSpeedConfigError(f"zero_stage={zero_stage!r}: only ZeRO stages 2 and 3 are supported; use 2 or 3")
    for name, value in (("gradient_accumulation_steps", gradient_accumulation_steps), ("micro_batch_size", micro_batch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise DeepSpeedConfigError(f"{name}={value!r}: must be a positive integer")
    if zero_stage == 3 and lora and not gather_16bit_weights_on_model_save:
        raise DeepSpeedConfigError(
            "ZeRO-3 with LoRA and gather_16bit_weights_on_model_save=False saves adapters with empty tensors "
            "(each rank holds only a shard); set gather_16bit_weights_on_model_save=True or use zero_stage=2"
        )
    if zero_stage == 2 and not gather_16bit_weights_on_model_save:
        raise DeepSpeedConfigError(
            "gather_16bit_weights_on_model_save only applies to ZeRO-3 (ZeRO-2 keeps whole weights on every "
            "rank); leave it True for zero_stage=2"
        )

    zero: dict[str, Any] = {
        "stage": zero_stage,
        "overlap_comm": False,  # overlapping needs CUDA streams; harmless to disable on GPU for small models
        "contiguous_gradients": True,
    }
    if zero_stage == 2:
        zero.update(allgather_partitions=True, reduce_scatter=True, allgather_bucket_size=2e8, reduce_bucket_size=2e8)
    else:
        zero.update(
            reduce_bucket_size="auto",
            stage3_prefetch_bucket_size="auto",
            stage3_param_persistence_threshold="auto",
            stage3_gather_16bit_weights_on_model_save=gather_16bit_weights_on_model_save,
        )
    config: dict[str, Any] = {
        "train_micro_batch_size_per_gpu": micro_batch_size,
        "gradient_accumulation_steps": gradient_accumulation_steps,
        "train_batch_size": "auto",  # micro batch x accumulation x world size, filled in by the Trainer
        "gradient_clipping": "auto",
        "bf16": {"enabled": bf16},
        "fp16": {"enabled": False},
        "zero_optimization": zero,
        "steps_per_print": 1_000_000,  # progress goes through the Trainer's logging, not DeepSpeed's
        "wall_clock_breakdown": False,
    }
    if offload:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": False}
        if zero_stage == 3:
            zero["offload_param"] = {"device": "cpu", "pin_memory": False}
        config["optimizer"] = {
            "type": "AdamW",
            "params": {"lr": "auto", "betas": "auto", "eps": "auto", "weight_decay": "auto"},
        }
    return config


def deepspeed_config_for(
    settings: Any,
    zero_stage: ZeroStage,
    offload: bool = False,
    gather_16bit_weights_on_model_save: bool = True,
) -> dict[str, Any]:
    """``deepspeed_config`` with batch size, accumulation, bf16 and LoRA taken from ``settings``.

    The way to build a config for a platform run: the values the Trainer cross-checks cannot disagree.
    """
    return deepspeed_config(
        zero_stage=zero_stage,
        bf16=resolve_bf16(settings.bf16),
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        micro_batch_size=settings.batch_size,
        offload=offload,
        gather_16bit_weights_on_model_save=gather_16bit_weights_on_model_save,
        lora=getattr(settings, "method", "full") == "lora",
    )


def check_compatible(config: dict[str, Any], settings: Any) -> None:
    """Raise ``DeepSpeedConfigError`` when ``config`` (possibly hand-written) cannot train ``settings``.

    Checked before a training process is launched, so the error comes from the caller's process with a
    message instead of from every rank of a distributed job.
    """
    zero = config.get("zero_optimization", {})
    stage = zero.get("stage", 0)
    if stage == 3 and getattr(settings, "method", "full") == "lora" and not zero.get("stage3_gather_16bit_weights_on_model_save", False):
        raise DeepSpeedConfigError(
            "this ZeRO-3 config has stage3_gather_16bit_weights_on_model_save off, so a LoRA run would save empty "
            "adapters; set it to true (deepspeed_config(..., gather_16bit_weights_on_model_save=True))"
        )
    expected = {
        "train_micro_batch_size_per_gpu": settings.batch_size,
        "gradient_accumulation_steps": settings.gradient_accumulation_steps,
    }
    for key, want in expected.items():
        have = config.get(key, "auto")
        if have != "auto" and have != want:
            raise DeepSpeedConfigError(f"DeepSpeed config {key}={have} but the {type(settings).__name__} give {want}; make them equal or use 'auto'")
    bf16 = config.get("bf16", {}).get("enabled", "auto")
    wanted = resolve_bf16(settings.bf16)
    if bf16 != "auto" and bool(bf16) != wanted:
        shown = settings.bf16 if settings.bf16 is not None else f"None (auto: {wanted} on this machine)"
        raise DeepSpeedConfigError(f"DeepSpeed config bf16.enabled={bf16} but {type(settings).__name__}.bf16={shown}; make them equal")


def write_deepspeed_config(config: dict[str, Any], path: Path) -> Path:
    """Write ``config`` as JSON to ``path`` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2))
    return path
