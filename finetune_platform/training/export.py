"""Export a LoRA fine-tune as one ordinary model folder, for serving engines that take a plain model.

``export_merged`` folds the adapter into the base weights (PEFT's ``merge_and_unload``: W + scale * B A)
and writes safetensors, config, generation config and tokenizer: loadable by
``AutoModelForCausalLM.from_pretrained`` alone, hence by vLLM or TGI, with no PEFT at inference time.
The folder is written to a temporary sibling and renamed into place, so a failed export never leaves a
half-written model where a server could pick it up.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Literal

from finetune_platform.evaluation.generation import is_adapter_folder
from finetune_platform.training.base_model import TOKENIZER_FILE_SETS, ModelFolderError, validate_model_folder

EXPORT_MANIFEST = "export.json"


def _has_tokenizer(folder: Path) -> bool:
    return any(all((folder / name).is_file() for name in names) for names in TOKENIZER_FILE_SETS)


def export_merged(
    base_model_path: Path | str,
    adapter_path: Path | str,
    out_dir: Path | str,
    dtype: Literal["float32", "bfloat16"] = "float32",
) -> Path:
    """Merge the LoRA adapter at ``adapter_path`` into ``base_model_path`` and save it to ``out_dir``.

    ``dtype`` is the dtype of the saved weights (the merge itself is done in float32, then cast, so
    bfloat16 exports lose precision once, not twice). An existing ``out_dir`` is replaced. Returns
    ``out_dir``, which also holds ``export.json`` recording where the model came from.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype not in ("float32", "bfloat16"):
        raise ValueError(f"dtype={dtype!r}: export supports 'float32' or 'bfloat16'")
    base_model_path, adapter_path, out_dir = Path(base_model_path), Path(adapter_path), Path(out_dir)
    validate_model_folder(base_model_path)
    if not is_adapter_folder(adapter_path):
        raise ModelFolderError(
            f"{adapter_path} is not a PEFT adapter (no adapter_config.json); a full fine-tune is already a plain "
            "model folder and needs no merge"
        )
    base = AutoModelForCausalLM.from_pretrained(base_model_path, dtype=torch.float32)
    try:
        merged = PeftModel.from_pretrained(base, adapter_path).merge_and_unload()
    except (RuntimeError, ValueError) as error:
        raise ModelFolderError(f"adapter {adapter_path} does not fit base model {base_model_path}: {error}") from error
    merged = merged.to(getattr(torch, dtype))
    tokenizer = AutoTokenizer.from_pretrained(adapter_path if _has_tokenizer(adapter_path) else base_model_path)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{out_dir.name}-", dir=out_dir.parent))
    try:
        merged.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / EXPORT_MANIFEST).write_text(
            json.dumps(
                {"base_model_path": str(base_model_path.resolve()), "adapter_path": str(adapter_path.resolve()), "dtype": dtype},
                indent=2,
            )
        )
        validate_model_folder(tmp)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
