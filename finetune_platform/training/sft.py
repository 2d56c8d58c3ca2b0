"""Supervised fine-tuning (SFT) of a causal LM on prompt/completion pairs, with TRL.

- LoRA (PEFT) or full fine-tuning, chosen by ``SFTSettings.method``.
- Completion-only loss: TRL masks the prompt tokens of ``prompt``/``completion`` datasets.
- Checkpoints every ``save_steps`` under ``output_dir/checkpoints``; a second call with the same
  ``output_dir`` resumes from the latest one automatically (the global step continues).
- Progress goes to an ``on_log(step, metrics)`` function, so callers can stream it to MLflow or Dagster
  without this module importing either.

``to_trl_config`` is the only place where our settings become TRL's ``SFTConfig``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, Field, model_validator

from finetune_platform.settings import torch_threads
from finetune_platform.training.callbacks import MetricsCallback, OnLog
from finetune_platform.training.precision import resolve_bf16
from finetune_platform.training.trainer_args import (
    CHECKPOINTS_DIR,
    DeepSpeedConfig,
    common_trainer_args,
    plain_model_loading,
)

if TYPE_CHECKING:
    import trl

logger = logging.getLogger(__name__)

#: Every linear projection of the model (PEFT resolves it per architecture: Llama q/k/v/o/gate/up/down,
#: GPT-2 c_attn/c_proj/c_fc), excluding the output head.
ALL_LINEAR = "all-linear"

#: Peak learning rates measured on the tiny model (1.4M parameters, batch 16): LoRA needs the larger one.
DEFAULT_LEARNING_RATES: dict[str, float] = {"lora": 2e-3, "full": 1e-3}

FINGERPRINT_FILE = "run_fingerprint.json"
RESULT_FILE = "sft_result.json"


class SFTSettings(BaseModel):
    """How to fine-tune: method, LoRA shape, optimisation and checkpointing.

    Defaults were measured on the platform's tiny model (1.4M parameters) on a shared 2-core CPU: 2,500
    examples x 3 epochs at batch 16 (471 steps) train in about 100 s and classify ~94% of held-out tickets.
    Fewer steps (2 epochs, or batch 32/64) fell to 0.43-0.78 (LoRA) and 0.78-0.92 (full), and LoRA without
    ``lora_modules_to_save`` reached 0.90 at best. For a real foundation model on a GPU lower the
    learning rate (LoRA ~2e-4, full ~2e-5) and clear ``lora_modules_to_save``.
    """

    method: Literal["lora", "full"] = Field("lora", description="LoRA adapters (PEFT) or full fine-tuning.")
    lora_r: int = Field(32, ge=1, le=1024, description="LoRA rank.")
    lora_alpha: int = Field(64, ge=1, le=4096, description="LoRA scaling numerator (scale = alpha / r).")
    lora_dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on the LoRA input.")
    lora_target_modules: list[str] = Field(
        default_factory=lambda: [ALL_LINEAR],
        description="Module names to adapt; ['all-linear'] adapts every linear projection except the output head.",
    )
    lora_modules_to_save: list[str] = Field(
        default_factory=lambda: ["embed_tokens", "lm_head"],
        description=(
            "LoRA: modules trained fully beside the adapters and saved with them (full fine-tuning trains every "
            "module anyway). The default (Llama's embeddings and output head) is what lets LoRA learn the task "
            "format on the tiny model; clear it for large models, whose embeddings are huge."
        ),
    )
    learning_rate: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="Peak learning rate (cosine schedule); None: 2e-3 for LoRA, 1e-3 for full (tiny-model defaults).",
    )
    num_epochs: float = Field(3.0, gt=0.0, le=1000.0, description="Passes over the training set (when max_steps is -1).")
    max_steps: int = Field(-1, ge=-1, description="Optimizer steps to train; -1 trains num_epochs instead.")
    batch_size: int = Field(16, ge=1, le=4096, description="Examples per device per forward pass.")
    gradient_accumulation_steps: int = Field(1, ge=1, le=1024, description="Forward passes per optimizer step.")
    max_length: int | None = Field(
        256, ge=8, le=131_072, description="Tokens per example (longer ones are cut); None: no limit."
    )
    bf16: bool | None = Field(
        None,
        description="bfloat16 mixed precision (CPU autocast or GPU); None (default): on where the hardware computes bfloat16 natively (a CUDA GPU that supports it, a CPU with AVX512-BF16 or AMX), off elsewhere, where it is emulated and far slower (training.precision).",
    )
    gradient_checkpointing: bool = Field(
        False, description="Recompute activations in the backward pass: less memory, about 20% slower."
    )
    packing: bool = Field(False, description="Pack several examples into each max_length sequence.")
    padding_free: bool = Field(
        False,
        description=(
            "With packing: concatenate the whole batch into one row (TRL's padding-free layout; fastest with "
            "FlashAttention's variable-length kernels on a GPU). Off: one row of max_length per packed sequence, "
            "examples kept apart by position ids (best with SDPA/eager attention, e.g. on a CPU, whose cost "
            "grows with the square of the row length)."
        ),
    )
    save_steps: int = Field(100, ge=1, description="Write a resumable checkpoint every this many steps.")
    save_total_limit: int = Field(2, ge=1, le=1000, description="Checkpoints kept (older ones are deleted).")
    logging_steps: int = Field(10, ge=1, description="Report the training loss every this many steps.")
    seed: int = Field(0, ge=0, description="Seed for initialisation, LoRA weights and data order.")
    warmup_ratio: float = Field(0.05, ge=0.0, lt=1.0, description="Fraction of steps spent warming up the LR.")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="AdamW weight decay.")
    group_by_length: bool = Field(
        True, description="Batch examples of similar length together (less padding; faster on CPU)."
    )
    eval_batch_size: int = Field(32, ge=1, le=4096, description="Examples per forward pass when computing eval loss.")
    verify_saved_model: bool = Field(
        True,
        description=(
            "After saving, reload the model from disk and check it gives the trained model's logits on a few "
            "training prompts (catches empty or partial saves, e.g. ZeRO-3 LoRA adapters)."
        ),
    )

    @property
    def effective_learning_rate(self) -> float:
        """``learning_rate``, or the method's default when it is None."""
        if self.learning_rate is not None:
            return self.learning_rate
        return DEFAULT_LEARNING_RATES[self.method]

    @model_validator(mode="after")
    def _consistent(self) -> "SFTSettings":
        if self.packing and self.max_length is None:
            raise ValueError("packing=True needs max_length (the packed sequence length); set max_length")
        if self.padding_free and not self.packing:
            raise ValueError("padding_free=True only applies with packing=True (it is the packed batch layout)")
        if self.method == "lora" and not self.lora_target_modules:
            raise ValueError("method='lora' needs lora_target_modules (e.g. ['all-linear'])")
        if ALL_LINEAR in self.lora_target_modules and len(self.lora_target_modules) > 1:
            raise ValueError(
                f"lora_target_modules {self.lora_target_modules}: 'all-linear' already selects every linear "
                "layer; give either ['all-linear'] or explicit module names"
            )
        return self


@dataclass
class SFTResult:
    """What a fine-tuning run produced."""

    model_path: Path
    method: str
    global_step: int
    loss_history: list[tuple[int, float]] = field(default_factory=list)
    final_train_loss: float | None = None
    eval_loss: float | None = None
    resumed_from_checkpoint: str | None = None
    train_seconds: float = 0.0
    train_tokens_per_second: float = 0.0
    save_check: dict | None = None
    #: examples left out because their prompt alone fills max_length (no completion token to learn), by
    #: split ("train", "eval"); TRL would drop them without a word
    prompts_too_long: dict[str, int] = field(default_factory=dict)
    #: examples kept whose prompt and completion together pass max_length, by split: TRL keeps their first
    #: max_length tokens, so the end of the completion (and its end-of-sequence token) is not trained on
    completions_cut: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-friendly form (paths as strings)."""
        data = asdict(self)
        data["model_path"] = str(self.model_path)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "SFTResult":
        """The result :meth:`to_dict` wrote (fields it lacks keep their defaults)."""
        return _result_from_dict(cls, data)


def _result_from_dict(cls: type, data: dict) -> Any:
    """A result dataclass from its JSON form: the path a Path, histories as (step, value) tuples."""
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in known}
    values["model_path"] = Path(values["model_path"])
    for key, value in list(values.items()):
        if key.endswith("history") and isinstance(value, list):
            values[key] = [tuple(item) for item in value]
    return cls(**values)


def drop_prompts_filling(df: pd.DataFrame, tokenizer, max_length: int | None) -> tuple[pd.DataFrame, int]:
    """``df`` without the examples whose prompt alone is ``max_length`` tokens or more (as TRL tokenizes a
    prompt: with the tokenizer's special tokens), and how many those were: truncated to ``max_length``, such
    an example keeps no completion token, and completion-only loss has nothing to learn from it."""
    if max_length is None or df.empty:
        return df, 0
    lengths = [len(ids) for ids in tokenizer(df["prompt"].astype(str).tolist())["input_ids"]]
    fits = pd.Series([n < max_length for n in lengths], index=df.index, dtype=bool)
    return df.loc[fits], int((~fits).sum())


def count_completions_cut(df: pd.DataFrame, tokenizer, max_length: int | None) -> int:
    """How many examples of ``df`` are longer than ``max_length`` tokens as TRL builds them (the prompt
    with the tokenizer's special tokens, the completion, an end-of-sequence token): cut there, such an
    example trains on the start of its completion only and never on where it ends."""
    if max_length is None or df.empty:
        return 0
    return sum(n > max_length for n in example_lengths(df, tokenizer))


def example_lengths(df: pd.DataFrame, tokenizer) -> list[int]:
    """Each example's length in tokens as TRL builds it: the prompt with the tokenizer's special tokens,
    the completion, an end-of-sequence token."""
    prompts = tokenizer(df["prompt"].astype(str).tolist())["input_ids"]
    completions = tokenizer(df["completion"].astype(str).tolist(), add_special_tokens=False)["input_ids"]
    return [len(p) + len(c) + 1 for p, c in zip(prompts, completions, strict=True)]


def to_trl_config(settings: SFTSettings, output_dir: Path, deepspeed: DeepSpeedConfig = None) -> "trl.SFTConfig":
    """Our settings as TRL's ``SFTConfig``; checkpoints go to ``output_dir/checkpoints``.

    The fields every stage shares come from ``trainer_args.common_trainer_args`` (DeepSpeed included);
    this adds SFT's own: length, packing, completion-only loss, eval batch and length-grouped batches.
    """
    from trl import SFTConfig

    return SFTConfig(
        **common_trainer_args(settings, output_dir, learning_rate=settings.effective_learning_rate, deepspeed=deepspeed),
        per_device_eval_batch_size=settings.eval_batch_size,
        max_length=settings.max_length,
        packing=settings.packing,
        completion_only_loss=True,
        train_sampling_strategy="group_by_length" if settings.group_by_length else "random",
        include_num_input_tokens_seen="non_padding",
    )


class RowPackedCollator:
    """Packed sequences as one row each, kept apart by position ids (``SFTSettings.padding_free=False``).

    TRL's best-fit-decreasing packing always collates padding-free: the whole batch becomes one row of up to
    ``batch_size * max_length`` tokens. With FlashAttention's variable-length kernels that costs nothing, but
    SDPA/eager attention (CPU, most non-FlashAttention GPUs) then computes a score matrix over the whole row,
    quadratic in its length, which made packed training 4x *slower* on the CPU (bench/training_packing.py).
    This collator keeps TRL's packed rows (``seq_lengths``) and position ids (restarting at 0 for each
    example), pads the rows to the longest, and sends no attention mask, so transformers builds a
    block-diagonal causal mask from the position ids per row: no example attends to another. The first
    token of each example is not a target (it would be predicted from the previous example).
    """

    def __init__(self, pad_token_id: int) -> None:
        from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

        self._inner = DataCollatorForLanguageModeling(
            pad_token_id=pad_token_id, padding_free=False, return_position_ids=True
        )

    def __call__(self, examples: list[dict]) -> dict:
        batch = self._inner(examples)
        batch.pop("attention_mask", None)  # with a mask, transformers would ignore the position-id boundaries
        batch["labels"][batch["position_ids"] == 0] = -100
        return batch


def build_trainer(model, tokenizer, train_dataset, eval_dataset, settings: SFTSettings, output_dir: Path,
                  deepspeed: DeepSpeedConfig = None, callbacks: list | None = None) -> "trl.SFTTrainer":
    """TRL's ``SFTTrainer`` for ``settings`` (LoRA config, packing layout included); what ``train_sft`` trains with."""
    from trl import SFTTrainer

    trainer = SFTTrainer(
        model=model,
        args=to_trl_config(settings, output_dir, deepspeed=deepspeed),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=_lora_config(settings) if settings.method == "lora" else None,
        callbacks=callbacks or [],
    )
    if settings.packing and not settings.padding_free:
        # TRL refuses a custom collator with its padding-free packing; the dataloader is built in train() from
        # this attribute, so replacing it here is what makes the per-row layout take effect.
        trainer.data_collator = RowPackedCollator(trainer.processing_class.pad_token_id)
    return trainer


def _lora_config(settings: SFTSettings):
    from peft import LoraConfig

    targets = ALL_LINEAR if settings.lora_target_modules == [ALL_LINEAR] else list(settings.lora_target_modules)
    return LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=targets,
        modules_to_save=list(settings.lora_modules_to_save) or None,
        bias="none",
        task_type="CAUSAL_LM",
    )


def _check_modules_to_save(model, names: list[str]) -> None:
    """Fail when a ``lora_modules_to_save`` name matches no module of the model (PEFT would ignore it)."""
    module_names = [name for name, _ in model.named_modules()]
    unknown = [n for n in names if not any(m == n or m.endswith(f".{n}") for m in module_names)]
    if unknown:
        embeddings = [m for m, module in model.named_modules() if type(module).__name__ == "Embedding"]
        raise ValueError(
            f"lora_modules_to_save {unknown} match no module of {type(model).__name__} (its embeddings are "
            f"{embeddings}); use this architecture's names, or [] to train the adapters only"
        )


def _to_dataset(df: pd.DataFrame, name: str):
    """The ``prompt``/``completion`` columns as a ``datasets.Dataset`` (other columns dropped)."""
    from datasets import Dataset

    missing = [c for c in ("prompt", "completion") if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing columns {missing}; SFT needs 'prompt' and 'completion'")
    if df.empty:
        raise ValueError(f"{name} has no rows; SFT needs at least one example")
    _refuse_missing(df, ["prompt", "completion"], name, "examples")
    pairs = df[["prompt", "completion"]].astype(str)
    empty = pairs["completion"].str.strip() == ""
    if empty.any():
        raise ValueError(f"{name} has {int(empty.sum())} examples with an empty completion; drop them first")
    return Dataset.from_pandas(pairs.reset_index(drop=True), preserve_index=False)


def _refuse_missing(df: pd.DataFrame, columns: list[str], name: str, what: str) -> None:
    """Raise when a value of ``columns`` is missing (None/NaN, as a parquet null reads back): turned into
    text it would be trained on as the word "None" or "nan"."""
    missing = df[columns].isna()
    if missing.to_numpy().any():
        rows = missing.any(axis=1)
        first = rows.idxmax()
        where = ", ".join(c for c in columns if missing.loc[first, c])
        raise ValueError(
            f"{name} has {int(rows.sum())} {what} with a missing value (None/NaN; first at row {first!r}, in "
            f"{where}); drop or fill them first, as text they would be trained on as 'None' or 'nan'"
        )


def _is_main_process() -> bool:
    """Rank 0 (or the only process): torch.distributed's rank when a process group is up, else the
    launcher's RANK (set by torchrun / the deepspeed launcher before the group exists)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    from accelerate.utils import get_int_from_env

    return get_int_from_env(["RANK"], 0) == 0


def _save_trained(trainer, tokenizer, model_path: Path) -> None:
    """Save the trained model (adapter or whole) and tokenizer to ``model_path``, replacing what was there.

    Every rank calls ``save_model`` (under ZeRO-3 it gathers the sharded weights, a collective); only rank 0
    clears the folder first and writes the tokenizer.
    """
    if trainer.is_world_process_zero() and model_path.exists():
        shutil.rmtree(model_path)
    trainer.accelerator.wait_for_everyone()  # no rank saves while rank 0 is still clearing the folder
    trainer.save_model(str(model_path))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(model_path)
        if (model_path / ZERO_CHECKPOINT_MARKER).is_file():
            consolidate_zero_checkpoint(model_path)
    trainer.accelerator.wait_for_everyone()  # the folder is final before any rank reads it


#: The file DeepSpeed writes beside a sharded ZeRO checkpoint (it names the newest tag).
ZERO_CHECKPOINT_MARKER = "latest"


def consolidate_zero_checkpoint(model_path: Path) -> None:
    """Turn the ZeRO-3 shards that ``save_model`` wrote into ``model_path`` into one loadable model.

    Under ZeRO-3 with ``gather_16bit_weights_on_model_save`` off (for models too big to gather into one
    device's memory), the Trainer writes no weights, only DeepSpeed's per-rank checkpoint. No later stage
    and no server can load that, so rank 0 rebuilds the full-precision weights on the CPU from the shards
    (DeepSpeed's own ``zero_to_fp32``; it needs the whole model in host memory) and writes them as
    safetensors, then removes the shards. LoRA runs never get here: that combination is refused up front.
    """
    import torch
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint
    from transformers import AutoConfig, AutoModelForCausalLM

    model_path = Path(model_path)
    tag = (model_path / ZERO_CHECKPOINT_MARKER).read_text().strip()
    if not tag or not (model_path / tag).is_dir():
        raise RuntimeError(
            f"{model_path} names the ZeRO checkpoint {tag!r} in its {ZERO_CHECKPOINT_MARKER!r} file, but that folder "
            "is missing; the save was interrupted: train again"
        )
    state_dict = get_fp32_state_dict_from_zero_checkpoint(str(model_path), tag=tag)
    # The model's own save_pretrained (on meta-device weights replaced by the rebuilt ones, so no second
    # copy in memory) knows which tensors are tied (lm_head = embed_tokens) and writes each once.
    config = AutoConfig.from_pretrained(model_path)
    with plain_model_loading(), torch.device("meta"):  # rank 0 alone: no zero.Init (it would wait for the others)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(state_dict, strict=True, assign=True)
    model.tie_weights()
    model.save_pretrained(model_path, safe_serialization=True)
    shutil.rmtree(model_path / tag)
    for leftover in (ZERO_CHECKPOINT_MARKER, "zero_to_fp32.py"):
        (model_path / leftover).unlink(missing_ok=True)


#: Training prompts whose logits ``verify_saved_model`` compares.
VERIFY_PROMPTS = 2

#: Largest |logit difference| accepted between the trained model in memory and the saved one reloaded:
#: float32 round-off is ~1e-5; bf16 weights (DeepSpeed bf16 keeps 16-bit copies) differ by up to ~5e-2.
VERIFY_TOLERANCE = {"float32": 1e-3, "bfloat16": 0.25, "float16": 0.1}


class SavedModelMismatch(RuntimeError):
    """The model written to disk does not reproduce the trained model's outputs."""


def verify_saved_model(trainer, tokenizer, base_model_path: Path, model_path: Path, prompts: list[str]) -> dict:
    """Reload what was saved at ``model_path`` and compare its logits with the trained model in memory.

    Every rank runs the in-memory forward pass (under ZeRO-3 each layer's weights are gathered from all
    ranks for it); rank 0 then loads base + adapter (or the full folder) from disk, as serving and
    evaluation will, and compares. Raises ``SavedModelMismatch`` when they differ by more than the
    precision allows: an empty or partial adapter (the classic ZeRO-3 + LoRA failure) fails here instead
    of reaching the registry. Returns ``{"prompts", "max_abs_diff", "tolerance", "dtype", "passed"}``
    (on ranks other than 0, without the comparison).
    """
    import torch

    from finetune_platform.evaluation.generation import load_causal_lm

    model = trainer.model
    was_training = model.training
    model.eval()
    dtype = next(p.dtype for p in model.parameters())
    encoded = [tokenizer(p, return_tensors="pt") for p in prompts]
    # With bf16/fp16 mixed precision accelerate wraps the model's forward in autocast and keeps the plain one
    # as `_original_forward`; the saved weights are float32, so compare float32 forwards with each other.
    forward = model.__dict__.get("_original_forward", model)
    trained = []
    with torch.no_grad():
        for batch in encoded:
            inputs = {k: v.to(trainer.args.device) for k, v in batch.items()}
            trained.append(forward(**inputs).logits.float().cpu())
    model.train(was_training)
    if not trainer.is_world_process_zero():
        return {"prompts": len(prompts), "dtype": str(dtype).removeprefix("torch.")}
    with plain_model_loading():
        reloaded_model, _ = load_causal_lm(base_model_path, model_path)
    reloaded_model.to("cpu")
    diff = 0.0
    with torch.no_grad():
        for batch, expected in zip(encoded, trained, strict=True):
            got = reloaded_model(**batch).logits.float()
            diff = max(diff, float((got - expected).abs().max()))
    dtype_name = str(dtype).removeprefix("torch.")
    tolerance = VERIFY_TOLERANCE.get(dtype_name, 1e-3)
    check = {"prompts": len(prompts), "max_abs_diff": diff, "tolerance": tolerance, "dtype": dtype_name,
             "passed": diff <= tolerance}
    if not check["passed"]:
        raise SavedModelMismatch(
            f"the model saved at {model_path} does not reproduce the trained model: logits differ by up to "
            f"{diff:.4g} (tolerance {tolerance} for {dtype_name}) on {len(prompts)} training prompts. Under "
            "ZeRO-3 this means the weights were not gathered on save (set "
            "stage3_gather_16bit_weights_on_model_save=true); the checkpoints under "
            f"{Path(model_path).parent / CHECKPOINTS_DIR} are intact"
        )
    return check


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _fingerprint(base_model_path: Path, train_df: pd.DataFrame, settings: SFTSettings) -> dict:
    """What must stay the same for a checkpoint in ``output_dir`` to be resumable by this call.

    The step budget (max_steps, num_epochs) and reporting cadence may change between calls; the base
    model, the data and everything that shapes the optimisation may not.
    """
    data_hash = hashlib.sha256()
    for prompt, completion in zip(train_df["prompt"].astype(str), train_df["completion"].astype(str), strict=True):
        data_hash.update(prompt.encode())
        data_hash.update(b"\x00")
        data_hash.update(completion.encode())
        data_hash.update(b"\x01")
    resumable_changes = {
        "max_steps", "num_epochs", "save_steps", "save_total_limit", "logging_steps", "eval_batch_size",
        "verify_saved_model",
    }  # fmt: skip
    return {
        "base_model_path": str(Path(base_model_path).resolve()),
        "train_data_sha256": data_hash.hexdigest(),
        "settings": {k: v for k, v in settings.model_dump().items() if k not in resumable_changes},
        "bf16_resolved": resolve_bf16(settings.bf16),
    }


#: Fingerprint keys added after fingerprints were first written: a checkpoint whose fingerprint lacks one
#: was written before it counted, and is judged without it (an upgrade does not strand a half-trained run).
#: ``bf16_resolved``: ``bf16`` unset trains in bfloat16 or float32 by hardware, so a retry on other hardware
#: must not resume the checkpoint at the other precision.
#: ``sft_model_sha256`` (DPO): the SFT model's files, not only its folder's path.
LATER_FINGERPRINT_KEYS = frozenset({"bf16_resolved", "sft_model_sha256"})


def latest_checkpoint(output_dir: Path) -> Path | None:
    """The newest ``checkpoint-<step>`` folder under ``output_dir/checkpoints`` (None when there is none)."""
    from transformers.trainer_utils import get_last_checkpoint

    folder = Path(output_dir) / CHECKPOINTS_DIR
    if not folder.is_dir():
        return None
    last = get_last_checkpoint(str(folder))
    return Path(last) if last else None


def _check_resumable(output_dir: Path, fingerprint: dict) -> Path | None:
    """The checkpoint to resume from, after checking it belongs to the same run."""
    checkpoint = latest_checkpoint(output_dir)
    fingerprint_path = Path(output_dir) / FINGERPRINT_FILE
    if checkpoint is None:
        return None
    if not fingerprint_path.is_file():
        raise RuntimeError(
            f"{output_dir} holds checkpoint {checkpoint.name} but no {FINGERPRINT_FILE}, so it cannot be "
            "checked to come from this run; delete the folder or choose another output_dir"
        )
    previous = json.loads(fingerprint_path.read_text())
    fingerprint = {k: v for k, v in fingerprint.items() if k in previous or k not in LATER_FINGERPRINT_KEYS}
    if previous != fingerprint:
        changed = sorted(
            k for k in {**previous, **fingerprint} if previous.get(k) != fingerprint.get(k) and k != "settings"
        )
        old_settings, new_settings = previous.get("settings", {}), fingerprint["settings"]
        changed += sorted(f"settings.{k}" for k in new_settings if old_settings.get(k) != new_settings[k])
        raise RuntimeError(
            f"{output_dir} holds checkpoint {checkpoint.name} from a different run (changed: {changed}); "
            "resuming would mix two trainings. Delete the folder or choose another output_dir"
        )
    return checkpoint


def check_max_length(max_length: int | None, model: Any, where: Path | str, longest: int) -> None:
    """Refuse to train sequences longer than a model with learned position embeddings has (GPT-2's
    ``n_positions``, OPT's ``max_position_embeddings``): ``longest`` (tokens of the longest sequence) cut to
    ``max_length``. The first such sequence would fail deep in the embedding lookup ("index out of
    range"). Rotary models (Llama, Mistral, Qwen: ``rope_*`` in their config) compute positions instead,
    and run past ``max_position_embeddings``: not refused."""
    config = getattr(model, "config", None)
    if any(getattr(config, name, None) is not None for name in ("rope_parameters", "rope_scaling", "rope_theta")):
        return
    positions = getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None)
    trained = longest if max_length is None else min(longest, max_length)
    if positions is not None and trained > positions:
        setting = f"max_length ({max_length})" if max_length is not None else "max_length (None: no cut)"
        raise ValueError(
            f"{setting} lets sequences of {trained} tokens through, past the model's {positions} positions "
            f"(max_position_embeddings) in {where}; set max_length to {positions} or less"
        )


def finished_result(output_dir: Path, checkpoint: Path | None, result_file: str, settings: Any) -> dict | None:
    """The result a finished run left in ``output_dir`` (its ``result_file``), when ``checkpoint`` (the one
    :func:`_check_resumable` would resume, of the same run) is the last step ``settings`` ask for (their
    ``max_steps``, else their ``num_epochs`` as the checkpoint planned them); else None.

    A finished run's last checkpoint is its final step: resuming it, the Trainer takes one step more (past
    the end of the schedule) and changes the model. The same run asked again trains nothing and answers
    with what it produced; asked for more steps or epochs, it resumes."""
    if checkpoint is None:
        return None
    try:
        state = json.loads((checkpoint / "trainer_state.json").read_text())
        stored = json.loads((Path(output_dir) / result_file).read_text())
    except (OSError, ValueError):
        return None
    done = int(state.get("global_step") or 0)
    max_steps = getattr(settings, "max_steps", None)
    if max_steps is not None and max_steps > 0:
        finished = done >= max_steps
    else:  # by epochs: the plan the checkpoint was made under, if the epochs asked for are the same
        epochs = getattr(settings, "num_epochs", None)
        planned = int(state.get("max_steps") or 0)
        finished = (
            epochs is not None and planned > 0 and done >= planned
            and math.isclose(float(state.get("num_train_epochs") or 0), float(epochs))
        )
    if not finished or int(stored.get("global_step", -1)) != done:
        return None
    if not Path(stored.get("model_path", "")).exists():
        return None
    return stored


def _tokens_seen(checkpoint: Path | None) -> int:
    if checkpoint is None:
        return 0
    state = json.loads((checkpoint / "trainer_state.json").read_text())
    return int(state.get("num_input_tokens_seen", 0) or 0)


def train_sft(
    base_model_path: Path,
    train_df: pd.DataFrame,
    eval_df: pd.DataFrame | None,
    settings: SFTSettings,
    output_dir: Path,
    on_log: OnLog | None = None,
    deepspeed: DeepSpeedConfig = None,
) -> SFTResult:
    """Fine-tune the model at ``base_model_path`` on ``train_df`` (prompt/completion pairs).

    Writes the adapter (LoRA) to ``output_dir/adapter`` or the whole model (full) to
    ``output_dir/model``, with the tokenizer beside it, plus ``sft_result.json``. When ``output_dir``
    already holds checkpoints of the same run, training resumes from the latest one. ``eval_loss`` is
    the mean completion-token loss on ``eval_df`` after training (None when no eval_df is given).
    ``deepspeed`` trains under DeepSpeed with that config (every rank of the job calls this function).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from finetune_platform.training.base_model import validate_model_folder

    threads = torch_threads()
    if threads:
        torch.set_num_threads(threads)
    base_model_path = Path(base_model_path)
    output_dir = Path(output_dir)
    _to_dataset(train_df, "train_df")  # their checks, before anything is loaded or written
    if eval_df is not None and len(eval_df):
        _to_dataset(eval_df, "eval_df")
    validate_model_folder(base_model_path)

    fingerprint = _fingerprint(base_model_path, train_df, settings)
    resume_from = _check_resumable(output_dir, fingerprint)
    done = finished_result(output_dir, resume_from, RESULT_FILE, settings)
    if done is not None:
        logger.info("train_sft: %s finished this run already (step %s): nothing to train", output_dir, done["global_step"])
        return SFTResult.from_dict(done)
    output_dir.mkdir(parents=True, exist_ok=True)
    if _is_main_process():  # under torchrun/deepspeed every rank runs this function; one writes
        _atomic_write(output_dir / FINGERPRINT_FILE, json.dumps(fingerprint, indent=2))

    torch.manual_seed(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(base_model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    fitted, too_long = drop_prompts_filling(train_df, tokenizer, settings.max_length)
    if fitted.empty:
        raise ValueError(
            f"train_sft: every one of the {len(train_df)} training examples has a prompt of max_length="
            f"{settings.max_length} tokens or more, so no completion token is left to learn from; raise max_length "
            "or shorten the prompts"
        )
    prompts_too_long = {"train": too_long}
    completions_cut = {"train": count_completions_cut(fitted, tokenizer, settings.max_length)}
    train_dataset = _to_dataset(fitted, "train_df")
    eval_dataset = None
    if eval_df is not None and len(eval_df):
        fitted_eval, prompts_too_long["eval"] = drop_prompts_filling(eval_df, tokenizer, settings.max_length)
        completions_cut["eval"] = count_completions_cut(fitted_eval, tokenizer, settings.max_length)
        # with none left there is no eval loss to report: train anyway, saying so, rather than fail after training
        eval_dataset = _to_dataset(fitted_eval, "eval_df") if len(fitted_eval) else None
    if any(prompts_too_long.values()):
        logger.warning(
            "train_sft: left out examples whose prompt fills max_length=%s tokens (no completion token): %s",
            settings.max_length, prompts_too_long,
        )
    if any(completions_cut.values()):
        logger.warning(
            "train_sft: examples longer than max_length=%s tokens are cut there, so the end of their completion "
            "is not trained on (raise max_length to train on it): %s", settings.max_length, completions_cut,
        )
    model = AutoModelForCausalLM.from_pretrained(base_model_path, dtype=torch.float32)
    check_max_length(settings.max_length, model, base_model_path, max(example_lengths(fitted, tokenizer)))
    if settings.method == "lora":
        _check_modules_to_save(model, settings.lora_modules_to_save)
    callback = MetricsCallback(on_log)
    trainer = build_trainer(
        model, tokenizer, train_dataset, eval_dataset, settings, output_dir, deepspeed=deepspeed, callbacks=[callback]
    )
    started = time.perf_counter()
    # Read what the checkpoint holds before training: checkpoint rotation may delete it during this run.
    tokens_before = _tokens_seen(resume_from)
    history_before = _merged_history(resume_from, [])
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    train_seconds = time.perf_counter() - started

    eval_loss = None
    if eval_dataset is not None:
        eval_loss = float(trainer.evaluate()["eval_loss"])  # also reaches on_log through the callback

    model_path = output_dir / ("adapter" if settings.method == "lora" else "model")
    _save_trained(trainer, tokenizer, model_path)
    save_check = None
    if settings.verify_saved_model:
        prompts = fitted["prompt"].astype(str).head(VERIFY_PROMPTS).tolist()
        save_check = verify_saved_model(trainer, tokenizer, base_model_path, model_path, prompts)

    tokens = trainer.state.num_input_tokens_seen - tokens_before
    first_new = callback.loss_history[0][0] if callback.loss_history else math.inf
    history = [item for item in history_before if item[0] < first_new] + list(callback.loss_history)
    result = SFTResult(
        model_path=model_path,
        method=settings.method,
        global_step=int(trainer.state.global_step),
        loss_history=history,
        final_train_loss=history[-1][1] if history else None,
        eval_loss=eval_loss,
        resumed_from_checkpoint=str(resume_from) if resume_from else None,
        prompts_too_long=prompts_too_long,
        completions_cut=completions_cut,
        train_seconds=train_seconds,
        train_tokens_per_second=tokens / train_seconds if train_seconds > 0 else 0.0,
        save_check=save_check,
    )
    if trainer.is_world_process_zero():
        _atomic_write(output_dir / RESULT_FILE, json.dumps(result.to_dict(), indent=2))
    return result


def _merged_history(resume_from: Path | None, new: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Loss history of the whole run: the checkpoint's logged losses, then this call's."""
    if resume_from is None:
        return list(new)
    state = json.loads((resume_from / "trainer_state.json").read_text())
    old = [(int(e["step"]), float(e["loss"])) for e in state.get("log_history", []) if "loss" in e]
    first_new = new[0][0] if new else math.inf
    return [item for item in old if item[0] < first_new] + list(new)
