"""Loading adapters and full models, batched generation, and perplexity before/after training."""

from __future__ import annotations

import math

import pytest

from finetune_platform.evaluation.generation import generate, is_adapter_folder, load_causal_lm
from finetune_platform.evaluation.metrics import evaluate_classification, perplexity
from finetune_platform.training.base_model import ModelFolderError
from finetune_platform.training.sft import SFTSettings, train_sft
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, corpus, examples

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny base model, plus a LoRA adapter and a fully fine-tuned model trained on the test tickets."""
    root = tmp_path_factory.mktemp("eval")
    base = build_tiny_model(corpus(), TINY, root / "tiny").path
    common = dict(batch_size=8, max_steps=20, logging_steps=10, save_steps=1000, bf16=False, learning_rate=1e-2, max_length=96)
    lora = train_sft(base, examples(), None, SFTSettings(method="lora", **common), root / "lora")
    full = train_sft(base, examples(), None, SFTSettings(method="full", **common), root / "full")
    return base, lora.model_path, full.model_path


def test_load_detects_adapter_and_full_model(trained):
    base, adapter, full = trained
    assert is_adapter_folder(adapter) and not is_adapter_folder(full)
    merged, tokenizer = load_causal_lm(base, adapter)
    assert type(merged).__name__ == "LlamaForCausalLM"  # merged: no PEFT wrapper left at inference
    assert not any("lora" in name for name, _ in merged.named_parameters())
    full_model, _ = load_causal_lm(base, full)
    assert tokenizer.eos_token == "</s>"
    assert not merged.training and not full_model.training


def test_load_refuses_an_unknown_folder(trained, tmp_path):
    base, _, _ = trained
    with pytest.raises(ModelFolderError, match="neither a PEFT adapter .* nor a model folder"):
        load_causal_lm(base, tmp_path)


def test_batched_generation_matches_one_by_one(trained):
    base, adapter, _ = trained
    model, tokenizer = load_causal_lm(base, adapter)
    prompts = examples(5, tasks=("classify", "reply"))["prompt"].tolist()  # mixed lengths: left padding matters
    batched = generate(model, tokenizer, prompts, max_new_tokens=6, batch_size=4)
    single = [generate(model, tokenizer, [p], max_new_tokens=6, batch_size=1)[0] for p in prompts]
    assert len(batched) == len(prompts) and all(isinstance(text, str) for text in batched)
    assert batched == single
    assert not any("</s>" in text or "<pad>" in text for text in batched)


def test_fine_tuning_lowers_perplexity(trained):
    base, adapter, full = trained
    data = examples(30, seed=3)
    prompts, completions = data["prompt"].tolist(), data["completion"].tolist()
    scores = {}
    for name, path in (("base", None), ("lora", adapter), ("full", full)):
        model, tokenizer = load_causal_lm(base, path)
        scores[name] = perplexity(model, tokenizer, prompts, completions, batch_size=8)
    assert all(math.isfinite(value) and value > 1.0 for value in scores.values())
    assert scores["lora"] < scores["base"] / 2
    assert scores["full"] < scores["base"] / 2


def test_evaluate_classification_on_a_real_model(trained):
    """End to end through real generation (accuracy itself is checked with a stub in test_metrics)."""
    base, _, full = trained
    data = examples(12, seed=3)
    model, tokenizer = load_causal_lm(base, full)
    accuracy, predictions = evaluate_classification(model, tokenizer, data, batch_size=5)
    assert len(predictions) == 12
    assert accuracy == predictions["correct"].mean()
    assert all("\n" not in prediction for prediction in predictions["prediction"])
