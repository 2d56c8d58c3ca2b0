"""The Trainer arguments every stage shares, in one place.

``sft.to_trl_config``, ``dapt.to_dapt_config`` and ``dpo.to_dpo_config`` each add their stage's own fields
to what ``common_trainer_args`` returns, so optimisation, precision, checkpointing, logging and DeepSpeed
are converted from our settings to the HF/TRL Trainer's the same way for every stage.

Fields TRL defaults differently from what we want are set explicitly: trl 1.16 defaults to bf16 and to
activation checkpointing even on CPU, and transformers 5 renamed gradient to activation checkpointing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from finetune_platform.training.precision import resolve_bf16

#: Sub-folder of a stage's output directory holding its resumable checkpoints.
CHECKPOINTS_DIR = "checkpoints"

#: A DeepSpeed config for the Trainer: a JSON file's path, or the dict itself. None: no DeepSpeed.
DeepSpeedConfig = str | Path | dict[str, Any] | None


def use_cpu() -> bool:
    """Train on the CPU when no CUDA device is visible."""
    import torch

    return not torch.cuda.is_available()


def common_trainer_args(
    settings: Any,
    output_dir: Path,
    *,
    learning_rate: float,
    deepspeed: DeepSpeedConfig = None,
) -> dict[str, Any]:
    """Keyword arguments for a TRL config (``SFTConfig``/``DPOConfig``) shared by every stage.

    ``settings`` is a stage's settings (``SFTSettings``, ``DAPTSettings`` or ``DPOSettings``); each has the
    optimisation, precision and checkpointing fields read here. ``deepspeed`` turns on DeepSpeed with that
    config (the launcher must have started the process group: see ``training.launch``).
    """
    args: dict[str, Any] = dict(
        output_dir=str(Path(output_dir) / CHECKPOINTS_DIR),
        learning_rate=learning_rate,
        num_train_epochs=settings.num_epochs,
        max_steps=settings.max_steps,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        bf16=resolve_bf16(settings.bf16),
        fp16=False,
        use_cpu=use_cpu(),
        activation_checkpointing=settings.gradient_checkpointing,
        lr_scheduler_type="cosine",
        warmup_steps=settings.warmup_ratio,  # a float below 1 is a ratio of the total steps
        weight_decay=getattr(settings, "weight_decay", 0.0),
        seed=settings.seed,
        data_seed=settings.seed,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=settings.save_total_limit,
        logging_strategy="steps",
        logging_steps=settings.logging_steps,
        logging_first_step=True,
        eval_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        dataset_num_proc=None,
    )
    if deepspeed is not None:
        args["deepspeed"] = str(deepspeed) if isinstance(deepspeed, Path) else deepspeed
    return args


@contextmanager
def plain_model_loading() -> Iterator[None]:
    """Within this block ``from_pretrained`` builds an ordinary, whole model even in a ZeRO-3 job.

    While a ZeRO-3 Trainer exists, transformers builds every model under ``deepspeed.zero.Init``, which
    partitions each weight across the ranks with collective calls: a model loaded by rank 0 alone (to check
    or merge what was saved) would wait forever for the other ranks. transformers keeps that switch in a
    module global with no public scope to suspend it (``unset_hf_deepspeed_config`` clears it for good), so
    it is set aside here and restored after.
    """
    from transformers.integrations import deepspeed as hf_deepspeed

    saved = hf_deepspeed._hf_deepspeed_config_weak_ref
    hf_deepspeed._hf_deepspeed_config_weak_ref = None
    try:
        yield
    finally:
        hf_deepspeed._hf_deepspeed_config_weak_ref = saved
