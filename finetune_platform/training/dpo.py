"""Preference alignment with DPO (Direct Preference Optimization), after SFT, with TRL's ``DPOTrainer``.

DPO raises the likelihood of the ``chosen`` answer over the ``rejected`` one for each ``prompt``,
relative to a frozen reference model (the SFT model), without a separate reward model; ``beta`` sets how
far the policy may move from the reference.

Starting point: the SFT result, either a LoRA adapter folder (merged into the base first) or a full model
folder, exactly as ``evaluation.generation.load_causal_lm`` loads it. Then:

- ``method='lora'``: a fresh LoRA adapter is trained on the SFT model; the reference is the same model
  with the adapter switched off (no second copy in memory).
- ``method='full'``: every weight is trained; the reference is a frozen copy of the SFT model.

Either way the result is saved as one full model folder (``output_dir/model``, adapter merged in) with
its tokenizer: the DPO adapter sits on the merged SFT model, not on the original base, so an adapter
folder alone would not be loadable against the base; a full folder loads with ``load_causal_lm(base,
model_path)``, ``AutoModelForCausalLM.from_pretrained`` and vLLM. Checkpoints are written every
``save_steps`` (``output_dir/checkpoints``); a second call with the same ``output_dir`` and the same run
(base and SFT model, pairs, optimisation settings) resumes from the latest one, as SFT does.

``to_dpo_config`` is the only place where these settings become TRL's ``DPOConfig``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import BaseModel, Field, model_validator

from finetune_platform.settings import torch_threads
from finetune_platform.training.callbacks import MetricsCallback, OnLog
from finetune_platform.training.precision import resolve_bf16
from finetune_platform.training.sft import (
    ALL_LINEAR,
    FINGERPRINT_FILE,
    _atomic_write,
    _check_resumable,
    _is_main_process,
    _refuse_missing,
    _result_from_dict,
    check_max_length,
    finished_result,
)
from finetune_platform.training.trainer_args import DeepSpeedConfig, common_trainer_args

if TYPE_CHECKING:
    import trl

logger = logging.getLogger(__name__)

PAIR_COLUMNS = ("prompt", "chosen", "rejected")
RESULT_FILE = "dpo_result.json"
MODEL_DIR = "model"

#: Peak learning rates that move the tiny model within a few dozen steps; real models want ~5e-6 (full)
#: to ~5e-5 (LoRA).
DEFAULT_LEARNING_RATES: dict[str, float] = {"lora": 2e-3, "full": 5e-4}


class DPOSettings(BaseModel):
    """How to align: DPO strength, method, LoRA shape, optimisation and checkpointing."""

    method: Literal["lora", "full"] = Field("lora", description="A new LoRA adapter on the SFT model, or all weights.")
    beta: float = Field(
        0.1, gt=0.0, le=10.0, description="DPO temperature: higher keeps the policy closer to the SFT reference."
    )
    loss_type: Literal["sigmoid", "ipo", "hinge", "robust"] = Field(
        "sigmoid", description="Preference loss: sigmoid (original DPO), ipo, hinge (SLiC) or robust (noisy labels)."
    )
    label_smoothing: float = Field(
        0.0, ge=0.0, lt=0.5, description="Assumed probability that a pair's labels are flipped (loss_type='robust')."
    )
    learning_rate: float | None = Field(
        None, gt=0.0, le=1.0, description="Peak learning rate (cosine); None: 2e-3 for LoRA, 5e-4 for full (tiny model)."
    )
    num_epochs: float = Field(1.0, gt=0.0, le=1000.0, description="Passes over the pairs (when max_steps is -1).")
    max_steps: int = Field(-1, ge=-1, description="Optimizer steps to train; -1 trains num_epochs instead.")
    batch_size: int = Field(8, ge=1, le=4096, description="Preference pairs per device per forward pass.")
    gradient_accumulation_steps: int = Field(1, ge=1, le=1024, description="Forward passes per optimizer step.")
    max_length: int | None = Field(
        256, ge=8, le=131_072, description="Tokens of prompt + answer kept (longer ones are cut); None: no limit."
    )
    lora_r: int = Field(16, ge=1, le=1024, description="LoRA rank (method='lora').")
    lora_alpha: int = Field(32, ge=1, le=4096, description="LoRA scaling numerator (scale = alpha / r).")
    lora_dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on the LoRA input.")
    lora_target_modules: list[str] = Field(
        default_factory=lambda: [ALL_LINEAR],
        description="Module names to adapt; ['all-linear'] adapts every linear projection except the output head.",
    )
    bf16: bool | None = Field(
        False,
        description="bfloat16 mixed precision; off by default (TRL's default is on, even on CPU); None: on where "
        "the hardware computes it natively (training.precision).",
    )
    gradient_checkpointing: bool = Field(
        False, description="Recompute activations in the backward pass: less memory, about 20% slower."
    )
    warmup_ratio: float = Field(0.1, ge=0.0, lt=1.0, description="Fraction of steps spent warming up the LR.")
    save_steps: int = Field(100, ge=1, description="Write a checkpoint every this many steps.")
    save_total_limit: int = Field(1, ge=1, le=1000, description="Checkpoints kept (older ones are deleted).")
    logging_steps: int = Field(10, ge=1, description="Report loss and reward accuracy every this many steps.")
    seed: int = Field(0, ge=0, description="Seed for LoRA weights and data order.")

    @property
    def effective_learning_rate(self) -> float:
        """``learning_rate``, or the method's default when it is None."""
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LEARNING_RATES[self.method]

    @model_validator(mode="after")
    def _consistent(self) -> "DPOSettings":
        if self.method == "lora" and not self.lora_target_modules:
            raise ValueError("method='lora' needs lora_target_modules (e.g. ['all-linear'])")
        if ALL_LINEAR in self.lora_target_modules and len(self.lora_target_modules) > 1:
            raise ValueError(
                f"lora_target_modules {self.lora_target_modules}: 'all-linear' already selects every linear "
                "layer; give either ['all-linear'] or explicit module names"
            )
        if self.label_smoothing > 0 and self.loss_type != "robust":
            raise ValueError(
                f"label_smoothing ({self.label_smoothing}) only applies to loss_type='robust' (now "
                f"'{self.loss_type}'); set it to 0 or use loss_type='robust'"
            )
        return self


@dataclass
class DPOResult:
    """What a DPO run produced. Reward accuracy is the share of pairs whose implicit reward ranks
    ``chosen`` above ``rejected`` (TRL's ``rewards/accuracies``), per logged step."""

    model_path: Path
    method: str
    global_step: int
    loss_history: list[tuple[int, float]] = field(default_factory=list)
    reward_accuracy_history: list[tuple[int, float]] = field(default_factory=list)
    reward_margin_history: list[tuple[int, float]] = field(default_factory=list)
    final_loss: float | None = None
    final_reward_accuracy: float | None = None
    seconds: float = 0.0
    resumed_from_checkpoint: str | None = None

    def to_dict(self) -> dict:
        """JSON-friendly form (paths as strings)."""
        data = asdict(self)
        data["model_path"] = str(self.model_path)
        return data


def to_dpo_config(settings: DPOSettings, output_dir: Path, deepspeed: DeepSpeedConfig = None) -> "trl.DPOConfig":
    """Our settings as TRL's ``DPOConfig``; checkpoints go to ``output_dir/checkpoints``.

    The fields every stage shares (optimisation, precision, checkpointing, DeepSpeed) come from
    ``common_trainer_args``; this adds DPO's own: beta, loss type, label smoothing, length.
    """
    from trl import DPOConfig

    return DPOConfig(
        **common_trainer_args(settings, output_dir, learning_rate=settings.effective_learning_rate, deepspeed=deepspeed),
        beta=settings.beta,
        loss_type=[settings.loss_type],
        label_smoothing=settings.label_smoothing,
        max_length=settings.max_length,
    )


def _lora_config(settings: DPOSettings):
    from peft import LoraConfig

    targets = ALL_LINEAR if settings.lora_target_modules == [ALL_LINEAR] else list(settings.lora_target_modules)
    return LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=targets,
        bias="none",
        task_type="CAUSAL_LM",
    )


def _check_pairs(pairs_df: pd.DataFrame, name: str = "pairs_df") -> pd.DataFrame:
    """The ``prompt``/``chosen``/``rejected`` columns as strings, after checking they make sense."""
    missing = [c for c in PAIR_COLUMNS if c not in pairs_df.columns]
    if missing:
        raise ValueError(f"{name} is missing columns {missing}; DPO needs {list(PAIR_COLUMNS)}")
    if pairs_df.empty:
        raise ValueError(f"{name} has no rows; DPO needs at least one preference pair")
    _refuse_missing(pairs_df, list(PAIR_COLUMNS), name, "pairs")
    pairs = pairs_df[list(PAIR_COLUMNS)].astype(str).reset_index(drop=True)
    for column in ("chosen", "rejected"):
        empty = pairs[column].str.strip() == ""
        if empty.any():
            raise ValueError(f"{name} has {int(empty.sum())} pairs with an empty '{column}' answer; drop them first")
    same = pairs["chosen"] == pairs["rejected"]
    if same.any():
        raise ValueError(
            f"{name} has {int(same.sum())} pairs whose chosen and rejected answers are identical (first at row "
            f"{int(same.idxmax())}); they carry no preference, drop them first"
        )
    return pairs


def fit_to_length(pairs: pd.DataFrame, tokenizer, max_length: int | None) -> tuple[pd.DataFrame, dict[str, int]]:
    """The pairs DPO can learn from at ``max_length`` tokens (prompt + answer + EOS), and what that costs.

    TRL keeps the start of a longer sequence, so it cuts the answers, and drops (without a word) a pair
    whose prompt alone fills ``max_length``: no answer token would be left. Here such pairs are dropped and
    counted (``prompt_too_long``), and the pairs whose longer answer is cut are counted (``answers_cut``),
    with the longest pair's length (``longest_pair_tokens``), so that the run says what it trained on. A
    chat answered with retrieved passages carries them in its prompt (the server's ``rag_max_context_chars``
    of 1,500 are about 400 tokens with a typical BPE tokenizer, nearly 1,000 with the tiny model's): raise
    ``max_length`` for those. Lengths are the tokenizer's
    token counts of prompt and prompt + answer, as TRL tokenizes them.
    """
    if max_length is None or pairs.empty:
        return pairs, {"prompt_too_long": 0, "answers_cut": 0, "longest_pair_tokens": 0}
    _check_pairs(pairs)
    prompts = pairs["prompt"].astype(str).tolist()
    prompt_tokens = [len(ids) for ids in tokenizer(prompts)["input_ids"]]
    pair_tokens = [
        max(len(c), len(r)) + 1  # the longer answer, in tokens, and the EOS TRL appends
        for c, r in zip(
            tokenizer([p + a for p, a in zip(prompts, pairs["chosen"].astype(str))])["input_ids"],
            tokenizer([p + a for p, a in zip(prompts, pairs["rejected"].astype(str))])["input_ids"],
            strict=True,
        )
    ]
    fits = [n < max_length for n in prompt_tokens]
    stats = {
        "prompt_too_long": int(len(fits) - sum(fits)),
        "answers_cut": int(sum(ok and n > max_length for ok, n in zip(fits, pair_tokens))),
        "longest_pair_tokens": int(max(pair_tokens)),
    }
    return pairs.loc[fits].reset_index(drop=True), stats


def _fingerprint(base_model_path: Path, sft_model_path: Path, pairs: pd.DataFrame, settings: DPOSettings) -> dict:
    """What must stay the same for a checkpoint in ``output_dir`` to be resumable (as ``sft._fingerprint``)."""
    digest = hashlib.sha256()
    for row in pairs.itertuples(index=False):
        for text in row:
            digest.update(str(text).encode())
            digest.update(b"\x00")
        digest.update(b"\x01")
    resumable_changes = {"max_steps", "num_epochs", "save_steps", "save_total_limit", "logging_steps"}
    return {
        "base_model_path": str(Path(base_model_path).resolve()),
        "sft_model_path": str(Path(sft_model_path).resolve()),
        # the SFT model retrained in the same folder is another reference: its checkpoint must not resume
        "sft_model_sha256": folder_signature(Path(sft_model_path)),
        "pairs_sha256": digest.hexdigest(),
        "settings": {k: v for k, v in settings.model_dump().items() if k not in resumable_changes},
        "bf16_resolved": resolve_bf16(settings.bf16),  # unset: by hardware; a retry elsewhere must not mix them
    }


#: Files up to this size are hashed whole; larger weight files by their size and first and last MiB.
_WHOLE_FILE_BYTES = 64 * 1024 * 1024


def folder_signature(folder: Path) -> str:
    """A hash of the model files in ``folder`` (names, sizes and content: whole up to 64 MiB, else the first
    and last MiB, which hold embeddings and head weights a retrain changes), cheap for a large model."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(folder).as_posix()}\x00{size}\x00".encode())
        with path.open("rb") as fh:
            if size <= _WHOLE_FILE_BYTES:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            else:
                digest.update(fh.read(1 << 20))
                fh.seek(size - (1 << 20))
                digest.update(fh.read(1 << 20))
    return digest.hexdigest()


def _history_of(resume_from: Path | None, key: str) -> list[tuple[int, float]]:
    """``(step, value)`` of ``key`` logged in a checkpoint's trainer state (empty without a checkpoint)."""
    if resume_from is None:
        return []
    state = json.loads((resume_from / "trainer_state.json").read_text())
    return [(int(e["step"]), float(e[key])) for e in state.get("log_history", []) if key in e]


def _continue(before: list[tuple[int, float]], new: list[tuple[int, float]]) -> list[tuple[int, float]]:
    first_new = new[0][0] if new else math.inf
    return [item for item in before if item[0] < first_new] + list(new)


def train_dpo(
    base_model_path: Path,
    sft_model_path: Path,
    pairs_df: pd.DataFrame,
    settings: DPOSettings,
    output_dir: Path,
    on_log: OnLog | None = None,
    deepspeed: DeepSpeedConfig = None,
) -> DPOResult:
    """Align the SFT model (``sft_model_path``: adapter or full folder on ``base_model_path``) on preference pairs.

    Writes the aligned model (adapter merged in) with its tokenizer to ``output_dir/model`` and
    ``dpo_result.json``. ``on_log(step, metrics)`` receives TRL's metrics (``loss``,
    ``rewards/accuracies``, ``rewards/margins``, ...) at every logging step. When ``output_dir`` already
    holds checkpoints of the same run, training resumes from the latest one (a different run is refused).
    ``deepspeed`` trains under DeepSpeed with that config (every rank of the job calls this function).
    """
    import torch
    from datasets import Dataset
    from trl import DPOTrainer

    from finetune_platform.evaluation.generation import load_causal_lm

    threads = torch_threads()
    if threads:
        torch.set_num_threads(threads)
    output_dir = Path(output_dir)
    pairs = _check_pairs(pairs_df)
    fingerprint = _fingerprint(base_model_path, sft_model_path, pairs, settings)
    resume_from = _check_resumable(output_dir, fingerprint)
    done = finished_result(output_dir, resume_from, RESULT_FILE, settings)
    if done is not None:  # the same run finished already: resuming its last step would train one more
        return _result_from_dict(DPOResult, done)
    output_dir.mkdir(parents=True, exist_ok=True)
    if _is_main_process():
        _atomic_write(output_dir / FINGERPRINT_FILE, json.dumps(fingerprint, indent=2))

    torch.manual_seed(settings.seed)
    policy, tokenizer = load_causal_lm(base_model_path, sft_model_path)
    policy.to("cpu")  # the Trainer places it; load_causal_lm may have moved it to a GPU already
    # TRL drops, without a word, a pair whose prompt fills max_length; with none left it fails deep in a
    # sampler. Callers (the aligned_adapter asset) fit the pairs first to report the counts; this holds for
    # any other caller too.
    fitted, fit = fit_to_length(pairs, tokenizer, settings.max_length)
    if fitted.empty:
        raise ValueError(
            f"train_dpo: none of the {len(pairs)} preference pairs fits max_length={settings.max_length} tokens: "
            f"{fit['prompt_too_long']} have a prompt of max_length tokens or more, leaving no room for an answer. "
            "Raise max_length or shorten the prompts."
        )
    if len(fitted) < len(pairs):
        logger.warning("train_dpo: %d of %d pairs dropped, their prompt fills max_length=%s", fit["prompt_too_long"],
                       len(pairs), settings.max_length)
    pairs = fitted
    check_max_length(settings.max_length, policy, sft_model_path, fit["longest_pair_tokens"])
    ref_model = None
    if settings.method == "full":
        ref_model = copy.deepcopy(policy).eval()
        for parameter in ref_model.parameters():
            parameter.requires_grad_(False)
        # An SFT adapter merged into its base keeps PEFT's frozen flags (every weight requires_grad False):
        # full DPO trains every weight of the policy.
        policy.requires_grad_(True)

    accuracies: list[tuple[int, float]] = []
    margins: list[tuple[int, float]] = []

    def record(step: int, metrics: dict[str, float]) -> None:
        if "rewards/accuracies" in metrics:
            accuracies.append((step, metrics["rewards/accuracies"]))
        if "rewards/margins" in metrics:
            margins.append((step, metrics["rewards/margins"]))
        if on_log is not None:
            on_log(step, metrics)

    callback = MetricsCallback(record)
    trainer = DPOTrainer(
        model=policy,
        ref_model=ref_model,
        args=to_dpo_config(settings, output_dir, deepspeed=deepspeed),
        train_dataset=Dataset.from_pandas(pairs, preserve_index=False),
        processing_class=tokenizer,
        peft_config=_lora_config(settings) if settings.method == "lora" else None,
        callbacks=[callback],
    )
    # Read what the checkpoint holds before training: checkpoint rotation may delete it during this run.
    before = {key: _history_of(resume_from, key) for key in ("loss", "rewards/accuracies", "rewards/margins")}
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    seconds = time.perf_counter() - started

    model_path = output_dir / MODEL_DIR
    _save_aligned(trainer, tokenizer, settings, model_path, base_model_path, sft_model_path, deepspeed is not None)

    history = _continue(before["loss"], callback.loss_history)
    accuracies = _continue(before["rewards/accuracies"], accuracies)
    margins = _continue(before["rewards/margins"], margins)
    result = DPOResult(
        model_path=model_path,
        method=settings.method,
        global_step=int(trainer.state.global_step),
        loss_history=history,
        reward_accuracy_history=accuracies,
        reward_margin_history=margins,
        final_loss=history[-1][1] if history else None,
        final_reward_accuracy=accuracies[-1][1] if accuracies else None,
        seconds=seconds,
        resumed_from_checkpoint=str(resume_from) if resume_from else None,
    )
    if _is_main_process():
        _atomic_write(output_dir / RESULT_FILE, json.dumps(result.to_dict(), indent=2))
    return result


def _save_aligned(trainer, tokenizer, settings: DPOSettings, model_path: Path, base_model_path: Path,
                  sft_model_path: Path, sharded: bool) -> None:
    """Save the aligned model as one full folder (a LoRA adapter merged into the SFT model).

    In one process the trained model is merged in memory. Under DeepSpeed the weights may be sharded across
    ranks (ZeRO-3), so every rank first takes part in the Trainer's gathered save, and rank 0 then merges the
    saved adapter into a fresh copy of the SFT model read from disk.
    """
    if not sharded:
        model = trainer.accelerator.unwrap_model(trainer.model)
        if settings.method == "lora":
            model = model.merge_and_unload()
        if model_path.exists():
            shutil.rmtree(model_path)
        model.save_pretrained(model_path)
        tokenizer.save_pretrained(model_path)
        return
    from finetune_platform.training.sft import _save_trained

    if settings.method == "full":
        _save_trained(trainer, tokenizer, model_path)
        return
    adapter_path = model_path.parent / "dpo_adapter"
    _save_trained(trainer, tokenizer, adapter_path)
    if trainer.is_world_process_zero():
        from peft import PeftModel

        from finetune_platform.evaluation.generation import load_causal_lm

        from finetune_platform.training.trainer_args import plain_model_loading

        with plain_model_loading():
            sft_model, _ = load_causal_lm(base_model_path, sft_model_path)
            merged = PeftModel.from_pretrained(sft_model.to("cpu"), str(adapter_path)).merge_and_unload()
        if model_path.exists():
            shutil.rmtree(model_path)
        merged.save_pretrained(model_path)
        tokenizer.save_pretrained(model_path)
    trainer.accelerator.wait_for_everyone()


def preference_scores(model, tokenizer, pairs_df: pd.DataFrame, batch_size: int = 32) -> pd.DataFrame:
    """Per pair: summed log-likelihood of ``chosen`` and ``rejected`` given ``prompt``, their margin, and
    whether the model prefers ``chosen`` (margin > 0).

    The answer tokens are those after the longest common prefix of ``prompt`` and ``prompt + answer``
    tokenised, as TRL's ``DPOTrainer`` splits them, so these scores are the quantities DPO moves. Useful to
    compare the SFT and DPO models on held-out pairs.
    """
    import torch

    pairs = _check_pairs(pairs_df)
    device = next(model.parameters()).device

    def answer_logps(prompts: list[str], answers: list[str]) -> list[float]:
        scores: list[float] = []
        for start in range(0, len(prompts), batch_size):
            chunk_p, chunk_a = prompts[start : start + batch_size], answers[start : start + batch_size]
            prompt_ids = tokenizer(chunk_p)["input_ids"]
            full_ids = tokenizer([p + a for p, a in zip(chunk_p, chunk_a, strict=True)])["input_ids"]
            width = max(len(ids) for ids in full_ids)
            pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
            input_ids = torch.full((len(full_ids), width), pad, dtype=torch.long)
            mask = torch.zeros_like(input_ids)
            starts = []
            for row, (p_ids, f_ids) in enumerate(zip(prompt_ids, full_ids, strict=True)):
                input_ids[row, : len(f_ids)] = torch.tensor(f_ids)
                mask[row, : len(f_ids)] = 1
                common = next((i for i, (a, b) in enumerate(zip(p_ids, f_ids)) if a != b), min(len(p_ids), len(f_ids)))
                starts.append(common)
            with torch.inference_mode():
                logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits.float()
            logps = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, input_ids[:, 1:, None].to(device))[..., 0]
            for row, (start_at, f_ids) in enumerate(zip(starts, full_ids, strict=True)):
                scores.append(float(logps[row, max(start_at, 1) - 1 : len(f_ids) - 1].sum()))
        return scores

    prompts = pairs["prompt"].tolist()
    out = pairs.copy()
    out["chosen_logp"] = answer_logps(prompts, pairs["chosen"].tolist())
    out["rejected_logp"] = answer_logps(prompts, pairs["rejected"].tolist())
    out["margin"] = out["chosen_logp"] - out["rejected_logp"]
    out["prefers_chosen"] = out["margin"] > 0
    return out
