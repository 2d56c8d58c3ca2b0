"""Domain-adaptive (continued) pretraining: causal-LM training on raw domain text, before SFT.

A base model that has read the domain's own text (tickets, manuals, policies) learns its vocabulary and
style, which SFT then builds on. The documents are concatenated (each followed by the end-of-sequence
token) and cut into ``seq_len``-token blocks: TRL's ``SFTTrainer`` does exactly this for a plain ``text``
dataset with ``packing_strategy="wrapped"``, so no hand-written chunking is needed. Every token is a
training target (no prompt masking) and every weight is trained (full fine-tuning).

As in ``sft.py``: checkpoints every ``save_steps`` under ``output_dir/checkpoints``; a second call with the
same ``output_dir`` and the same run (base model, documents, optimisation settings) resumes from the
latest one; progress goes to ``on_log(step, metrics)``. ``to_dapt_config`` is the only place where these
settings become TRL's ``SFTConfig``.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import BaseModel, Field

from finetune_platform.settings import torch_threads
from finetune_platform.training.callbacks import MetricsCallback, OnLog
from finetune_platform.training.precision import resolve_bf16
from finetune_platform.training.sft import FINGERPRINT_FILE

# The resume and multi-rank helpers are shared with SFT on purpose: one definition of "the same run".
from finetune_platform.training.sft import (
    _atomic_write,
    _check_resumable,
    _is_main_process,
    _merged_history,
    _result_from_dict,
    _save_trained,
    _tokens_seen,
    finished_result,
)
from finetune_platform.training.trainer_args import DeepSpeedConfig, common_trainer_args

if TYPE_CHECKING:
    import trl

RESULT_FILE = "dapt_result.json"
MODEL_DIR = "model"


class DAPTSettings(BaseModel):
    """How to continue pretraining: block size, optimisation and checkpointing.

    Defaults suit the platform's tiny model on a CPU; for a real foundation model on a GPU use a learning
    rate around 1e-5 to 5e-5 (continued pretraining forgets general ability quickly at higher rates).
    """

    learning_rate: float = Field(5e-4, gt=0.0, le=1.0, description="Peak learning rate (cosine schedule).")
    num_epochs: float = Field(1.0, gt=0.0, le=1000.0, description="Passes over the documents (when max_steps is -1).")
    max_steps: int = Field(-1, ge=-1, description="Optimizer steps to train; -1 trains num_epochs instead.")
    batch_size: int = Field(8, ge=1, le=4096, description="Blocks per device per forward pass.")
    gradient_accumulation_steps: int = Field(1, ge=1, le=1024, description="Forward passes per optimizer step.")
    seq_len: int = Field(
        128, ge=8, le=131_072, description="Block size: tokens per training sequence cut from the concatenated text."
    )
    bf16: bool | None = Field(
        False,
        description="bfloat16 mixed precision (CPU autocast or GPU); None: on where the hardware computes it "
        "natively (training.precision).",
    )
    gradient_checkpointing: bool = Field(
        False, description="Recompute activations in the backward pass: less memory, about 20% slower."
    )
    warmup_ratio: float = Field(0.05, ge=0.0, lt=1.0, description="Fraction of steps spent warming up the LR.")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="AdamW weight decay.")
    save_steps: int = Field(100, ge=1, description="Write a resumable checkpoint every this many steps.")
    save_total_limit: int = Field(2, ge=1, le=1000, description="Checkpoints kept (older ones are deleted).")
    logging_steps: int = Field(10, ge=1, description="Report the training loss every this many steps.")
    seed: int = Field(0, ge=0, description="Seed for data order and dropout.")
    eval_batch_size: int = Field(16, ge=1, le=4096, description="Blocks per forward pass when computing eval loss.")


@dataclass
class DAPTResult:
    """What a continued-pretraining run produced."""

    model_path: Path
    global_step: int
    loss_history: list[tuple[int, float]] = field(default_factory=list)
    final_train_loss: float | None = None
    eval_loss: float | None = None
    eval_perplexity: float | None = None
    resumed_from_checkpoint: str | None = None
    seconds: float = 0.0
    tokens_per_second: float = 0.0

    def to_dict(self) -> dict:
        """JSON-friendly form (paths as strings)."""
        data = asdict(self)
        data["model_path"] = str(self.model_path)
        return data


def to_dapt_config(settings: DAPTSettings, output_dir: Path, deepspeed: DeepSpeedConfig = None) -> "trl.SFTConfig":
    """Our settings as TRL's ``SFTConfig`` for plain-text language modelling with wrapped packing.

    ``completion_only_loss=False`` and no chat template: every token of the text is a target. The fields
    every stage shares (optimisation, precision, checkpointing, DeepSpeed) come from ``common_trainer_args``.
    """
    from trl import SFTConfig

    return SFTConfig(
        **common_trainer_args(settings, output_dir, learning_rate=settings.learning_rate, deepspeed=deepspeed),
        per_device_eval_batch_size=settings.eval_batch_size,
        dataset_text_field="text",
        packing=True,
        packing_strategy="wrapped",
        max_length=settings.seq_len,
        completion_only_loss=False,
        include_num_input_tokens_seen="non_padding",
    )


def _clean_documents(documents: list[str], name: str) -> list[str]:
    """The non-empty documents, stripped. A missing one (None/NaN, as a parquet null reads back) is empty,
    not the word "None" or "nan"."""
    texts = [str(d).strip() for d in documents if isinstance(d, str) or not pd.isna(d)]
    texts = [t for t in texts if t]
    if not texts:
        raise ValueError(f"{name} holds no non-empty text; continued pretraining needs at least one document")
    return texts


def _to_dataset(texts: list[str]):
    from datasets import Dataset

    return Dataset.from_dict({"text": texts})


def _fingerprint(base_model_path: Path, texts: list[str], settings: DAPTSettings) -> dict:
    """What must stay the same for a checkpoint in ``output_dir`` to be resumable by this call.

    The step budget (max_steps, num_epochs) and reporting cadence may change between calls; the base
    model, the documents and everything that shapes the optimisation may not.
    """
    digest = hashlib.sha256()
    for text in texts:
        encoded = text.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
    resumable_changes = {"max_steps", "num_epochs", "save_steps", "save_total_limit", "logging_steps", "eval_batch_size"}
    return {
        "stage": "dapt",
        "base_model_path": str(Path(base_model_path).resolve()),
        "documents_sha256": digest.hexdigest(),
        "settings": {k: v for k, v in settings.model_dump().items() if k not in resumable_changes},
        "bf16_resolved": resolve_bf16(settings.bf16),  # unset: by hardware; a retry elsewhere must not mix them
    }


def train_dapt(
    base_model_path: Path,
    documents: list[str],
    settings: DAPTSettings,
    output_dir: Path,
    on_log: OnLog | None = None,
    eval_documents: list[str] | None = None,
    deepspeed: DeepSpeedConfig = None,
) -> DAPTResult:
    """Continue pretraining the model at ``base_model_path`` on ``documents`` (raw domain text).

    Writes the whole model with its tokenizer to ``output_dir/model`` (an ordinary model folder, usable
    as the base model of ``train_sft``) and ``dapt_result.json``. When ``output_dir`` already holds
    checkpoints of the same run, training resumes from the latest one. ``eval_perplexity`` is
    ``exp(eval_loss)`` on ``eval_documents`` cut into blocks the same way (None without them).
    ``deepspeed`` trains under DeepSpeed with that config (every rank of the job calls this function).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTTrainer

    from finetune_platform.training.base_model import validate_model_folder

    threads = torch_threads()
    if threads:
        torch.set_num_threads(threads)
    base_model_path = Path(base_model_path)
    output_dir = Path(output_dir)
    texts = _clean_documents(documents, "documents")
    eval_texts = _clean_documents(eval_documents, "eval_documents") if eval_documents else None
    validate_model_folder(base_model_path)

    fingerprint = _fingerprint(base_model_path, texts, settings)
    resume_from = _check_resumable(output_dir, fingerprint)
    done = finished_result(output_dir, resume_from, RESULT_FILE, settings)
    if done is not None:  # the same run finished already: resuming its last step would train one more
        return _result_from_dict(DAPTResult, done)
    output_dir.mkdir(parents=True, exist_ok=True)
    if _is_main_process():  # under torchrun/deepspeed every rank runs this function; one writes
        _atomic_write(output_dir / FINGERPRINT_FILE, json.dumps(fingerprint, indent=2))

    torch.manual_seed(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(base_model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base_model_path, dtype=torch.float32)
    max_positions = getattr(model.config, "max_position_embeddings", None)
    if max_positions is not None and settings.seq_len > max_positions:
        raise ValueError(
            f"seq_len ({settings.seq_len}) exceeds the model's max_position_embeddings ({max_positions}) "
            f"in {base_model_path}; lower seq_len"
        )
    callback = MetricsCallback(on_log)
    trainer = SFTTrainer(
        model=model,
        args=to_dapt_config(settings, output_dir, deepspeed=deepspeed),
        train_dataset=_to_dataset(texts),
        eval_dataset=_to_dataset(eval_texts) if eval_texts else None,
        processing_class=tokenizer,
        callbacks=[callback],
    )
    started = time.perf_counter()
    # Read what the checkpoint holds before training: checkpoint rotation may delete it during this run.
    tokens_before = _tokens_seen(resume_from)
    history_before = _merged_history(resume_from, [])
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    seconds = time.perf_counter() - started

    eval_loss = None
    if eval_texts:
        eval_loss = float(trainer.evaluate()["eval_loss"])  # also reaches on_log through the callback

    model_path = output_dir / MODEL_DIR
    _save_trained(trainer, tokenizer, model_path)

    tokens = trainer.state.num_input_tokens_seen - tokens_before
    first_new = callback.loss_history[0][0] if callback.loss_history else math.inf
    history = [item for item in history_before if item[0] < first_new] + list(callback.loss_history)
    result = DAPTResult(
        model_path=model_path,
        global_step=int(trainer.state.global_step),
        loss_history=history,
        final_train_loss=history[-1][1] if history else None,
        eval_loss=eval_loss,
        eval_perplexity=math.exp(eval_loss) if eval_loss is not None else None,
        resumed_from_checkpoint=str(resume_from) if resume_from else None,
        seconds=seconds,
        tokens_per_second=tokens / seconds if seconds > 0 else 0.0,
    )
    if _is_main_process():
        _atomic_write(output_dir / RESULT_FILE, json.dumps(result.to_dict(), indent=2))
    return result
