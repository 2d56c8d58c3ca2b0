"""Merged export: a plain model folder whose logits match base + adapter."""

from __future__ import annotations

import json

import pytest
import torch

from finetune_platform.training.base_model import ModelFolderError
from finetune_platform.training.export import export_merged
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, corpus

PROMPT = "### Task: classify\n### Ticket:\nmy card payment failed\n### Category:\n"


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    return build_tiny_model(corpus(), TINY.model_copy(update={"pretrain_steps": 0}), tmp_path_factory.mktemp("tiny")).path


def make_adapter(base_model, folder, modules_to_save=None):
    """A LoRA adapter with random (non-zero) weights, so merging visibly changes the model."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(3)
    model = AutoModelForCausalLM.from_pretrained(base_model)
    config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False, modules_to_save=modules_to_save)
    peft_model = get_peft_model(model, config)
    if modules_to_save:  # trained copies differ from the base's
        for name, param in peft_model.named_parameters():
            if "modules_to_save" in name:
                param.data.add_(0.05 * torch.randn_like(param))
    peft_model.save_pretrained(folder)
    return folder


def logits(model, tokenizer):
    with torch.no_grad():
        return model(**tokenizer(PROMPT, return_tensors="pt")).logits[0].float()


@pytest.mark.parametrize("modules_to_save", [None, ["embed_tokens", "lm_head"]], ids=["lora", "lora+modules_to_save"])
def test_merged_model_matches_base_plus_adapter(base_model, tmp_path, modules_to_save):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = make_adapter(base_model, tmp_path / "adapter", modules_to_save)
    out = export_merged(base_model, adapter, tmp_path / "merged")
    assert out == tmp_path / "merged"
    assert (out / "model.safetensors").is_file() and not (out / "adapter_config.json").exists()
    assert json.loads((out / "export.json").read_text())["dtype"] == "float32"

    tokenizer = AutoTokenizer.from_pretrained(out)
    merged = AutoModelForCausalLM.from_pretrained(out).eval()  # plain transformers, no PEFT
    reference = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_model), adapter).eval()
    plain_base = AutoModelForCausalLM.from_pretrained(base_model).eval()
    expected = logits(reference, tokenizer)
    torch.testing.assert_close(logits(merged, tokenizer), expected, atol=1e-4, rtol=1e-4)
    assert (logits(plain_base, tokenizer) - expected).abs().max() > 1e-2  # the adapter did change the model


def test_bfloat16_export_is_close_and_half_the_size(base_model, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = make_adapter(base_model, tmp_path / "adapter")
    full = export_merged(base_model, adapter, tmp_path / "fp32")
    half = export_merged(base_model, adapter, tmp_path / "bf16", dtype="bfloat16")
    assert AutoModelForCausalLM.from_pretrained(half).dtype == torch.bfloat16
    ratio = (half / "model.safetensors").stat().st_size / (full / "model.safetensors").stat().st_size
    assert 0.45 < ratio < 0.55
    tokenizer = AutoTokenizer.from_pretrained(full)
    a = logits(AutoModelForCausalLM.from_pretrained(full, dtype=torch.float32), tokenizer)
    b = logits(AutoModelForCausalLM.from_pretrained(half, dtype=torch.float32), tokenizer)
    assert (a - b).abs().max() < 0.1


def test_export_refuses_a_full_model_folder(base_model, tmp_path):
    with pytest.raises(ModelFolderError, match="is not a PEFT adapter .* needs no merge"):
        export_merged(base_model, base_model, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_export_replaces_an_old_folder_only_when_complete(base_model, tmp_path):
    adapter = make_adapter(base_model, tmp_path / "adapter")
    out = tmp_path / "merged"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    export_merged(base_model, adapter, out)
    assert not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []
