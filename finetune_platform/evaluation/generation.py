"""Loading a fine-tuned causal LM and generating from it in batches.

``load_causal_lm`` accepts what ``train_sft`` writes: a PEFT adapter folder (merged into the base for
fast inference) or a full model folder; ``generate`` is batched greedy decoding with left padding.
"""

from __future__ import annotations

import json
from pathlib import Path

from finetune_platform.training.base_model import ModelFolderError, TOKENIZER_FILE_SETS, validate_model_folder


def _has_tokenizer(folder: Path) -> bool:
    return any(all((folder / name).is_file() for name in names) for names in TOKENIZER_FILE_SETS)


def is_adapter_folder(path: Path | str) -> bool:
    """True when ``path`` holds a PEFT adapter (``adapter_config.json``) rather than a full model."""
    return (Path(path) / "adapter_config.json").is_file()


def load_causal_lm(base_path: Path | str, adapter_path: Path | str | None = None):
    """``(model, tokenizer)`` ready for inference, in evaluation mode on the CPU (or the first GPU).

    - ``adapter_path`` None: the base model itself.
    - a PEFT adapter folder: loaded onto the base and merged (``merge_and_unload``), so inference costs
      the same as the base model's.
    - a full model folder (full fine-tuning output): loaded instead of the base.

    The tokenizer comes from ``adapter_path`` when it holds one (``train_sft`` saves it there), else from
    the base.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base_path = Path(base_path)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if adapter_path is None:
        validate_model_folder(base_path)
        model = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
        tokenizer_path = base_path
    else:
        adapter_path = Path(adapter_path)
        if is_adapter_folder(adapter_path):
            from peft import PeftModel

            validate_model_folder(base_path)
            recorded = json.loads((adapter_path / "adapter_config.json").read_text()).get("base_model_name_or_path")
            base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
            try:
                model = PeftModel.from_pretrained(base, adapter_path).merge_and_unload()
            except (RuntimeError, ValueError) as error:
                raise ModelFolderError(
                    f"adapter {adapter_path} does not fit base model {base_path} (it was trained on "
                    f"{recorded!r}): {error}"
                ) from error
        elif (adapter_path / "config.json").is_file():
            validate_model_folder(adapter_path)
            model = AutoModelForCausalLM.from_pretrained(adapter_path, dtype=torch.float32)
        else:
            raise ModelFolderError(
                f"{adapter_path} is neither a PEFT adapter (adapter_config.json) nor a model folder "
                "(config.json); pass the folder train_sft wrote (SFTResult.model_path)"
            )
        tokenizer_path = adapter_path if _has_tokenizer(adapter_path) else base_path
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device).eval()
    return model, tokenizer


def generate(model, tokenizer, prompts: list[str], max_new_tokens: int = 32, batch_size: int = 32) -> list[str]:
    """Greedy continuations of ``prompts`` (only the new text, special tokens removed), in input order.

    Prompts are batched by length (less padding), left-padded so every continuation starts at the same
    position, and each stops at the tokenizer's end-of-sequence token or after ``max_new_tokens``.
    """
    import torch

    if max_new_tokens < 1 or batch_size < 1:
        raise ValueError(f"max_new_tokens ({max_new_tokens}) and batch_size ({batch_size}) must be at least 1")
    if not prompts:
        return []
    device = next(model.parameters()).device
    lengths = [len(ids) for ids in tokenizer(list(prompts))["input_ids"]]
    order = sorted(range(len(prompts)), key=lambda i: lengths[i])
    outputs: list[str] = [""] * len(prompts)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            indices = order[start : start + batch_size]
            batch = tokenizer(
                [prompts[i] for i in indices], return_tensors="pt", padding=True, padding_side="left"
            ).to(device)
            generated = model.generate(
                **batch,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=pad_id,
            )
            new_tokens = generated[:, batch["input_ids"].shape[1] :]
            for i, text in zip(indices, tokenizer.batch_decode(new_tokens, skip_special_tokens=True), strict=True):
                outputs[i] = text
    return outputs
