"""Continued pretraining: block chunking through TRL, domain perplexity falls, weights saved, resume."""

from __future__ import annotations

import math
import random

import pytest
import torch
from safetensors.torch import load_file

from finetune_platform.training.base_model import validate_model_folder
from finetune_platform.training.dapt import DAPTSettings, to_dapt_config, train_dapt
from finetune_platform.training.sft import latest_checkpoint
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, corpus

FAST = dict(batch_size=4, seq_len=32, logging_steps=1, save_steps=100, warmup_ratio=0.0, learning_rate=3e-3)


def domain_documents(n: int, seed: int) -> list[str]:
    """A domain the ticket-trained base model has never read: pump maintenance notes."""
    rng = random.Random(seed)
    parts = ["pump", "valve", "pressure", "seal", "impeller", "bearing"]
    verbs = ["check the", "replace the", "inspect the", "tighten the"]
    return [
        f"Maintenance note {i}: {rng.choice(verbs)} {rng.choice(parts)} and {rng.choice(verbs)} {rng.choice(parts)}."
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    return build_tiny_model(corpus(), TINY, tmp_path_factory.mktemp("tiny")).path


def block_perplexity(model_path, documents: list[str], seq_len: int) -> float:
    """exp(mean token loss) over the documents joined with EOS and cut into seq_len blocks."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path).eval()
    stream = [t for ids in tokenizer(documents)["input_ids"] for t in [*ids, tokenizer.eos_token_id]]
    blocks = [stream[i : i + seq_len] for i in range(0, len(stream) - seq_len + 1, seq_len)]
    with torch.no_grad():
        batch = torch.tensor(blocks)
        return math.exp(float(model(input_ids=batch, labels=batch).loss))


def test_config_is_plain_language_modelling(tmp_path):
    config = to_dapt_config(DAPTSettings(seq_len=64, max_steps=5, bf16=False), tmp_path)
    assert (config.packing, config.packing_strategy, config.max_length) == (True, "wrapped", 64)
    assert config.completion_only_loss is False
    assert config.bf16 is False and config.activation_checkpointing is False  # trl defaults both to True
    assert config.dataset_text_field == "text"
    assert config.output_dir == str(tmp_path / "checkpoints")


def test_empty_documents_are_refused(tmp_path):
    with pytest.raises(ValueError, match="documents holds no non-empty text"):
        train_dapt(tmp_path, ["  ", ""], DAPTSettings(), tmp_path / "out")
    with pytest.raises(ValueError, match="documents holds no non-empty text"):
        train_dapt(tmp_path, [None, float("nan"), " "], DAPTSettings(), tmp_path / "out")


def test_a_missing_document_is_left_out_not_trained_as_the_word_none():
    from finetune_platform.training.dapt import _clean_documents

    assert _clean_documents([" Reset the router. ", None, float("nan"), "", "None"], "documents") == [
        "Reset the router.", "None"  # the text "None" is a document; a missing value is not
    ]


@pytest.mark.slow
def test_dapt_lowers_domain_perplexity(base_model, tmp_path):
    train_docs, eval_docs = domain_documents(80, seed=0), domain_documents(20, seed=1)
    before = block_perplexity(base_model, eval_docs, 32)
    logged: list[int] = []
    result = train_dapt(
        base_model,
        train_docs,
        DAPTSettings(max_steps=25, **FAST),
        tmp_path,
        on_log=lambda step, metrics: logged.append(step) if "loss" in metrics else None,
        eval_documents=eval_docs,
    )
    after = block_perplexity(result.model_path, eval_docs, 32)
    assert result.global_step == 25
    assert logged == list(range(1, 26))
    assert [s for s, _ in result.loss_history] == list(range(1, 26))
    assert result.loss_history[-1][1] < result.loss_history[0][1] * 0.8
    assert after < before / 2.5, (before, after)
    assert result.eval_perplexity == pytest.approx(math.exp(result.eval_loss))
    assert result.eval_perplexity < before / 2.5
    assert result.tokens_per_second > 0
    validate_model_folder(result.model_path)
    weights_before, weights_after = load_file(base_model / "model.safetensors"), load_file(result.model_path / "model.safetensors")
    assert all(not torch.equal(weights_before[k], weights_after[k]) for k in weights_before)


@pytest.mark.slow
def test_resume_and_refusal(base_model, tmp_path):
    docs = domain_documents(40, seed=0)
    settings = DAPTSettings(**{**FAST, "save_steps": 2})
    first = train_dapt(base_model, docs, settings.model_copy(update={"max_steps": 2}), tmp_path)
    assert latest_checkpoint(tmp_path).name == "checkpoint-2"
    again = train_dapt(base_model, docs, settings.model_copy(update={"max_steps": 2}), tmp_path)
    assert again.global_step == 2 and again.loss_history == first.loss_history  # finished: nothing more trained
    assert latest_checkpoint(tmp_path).name == "checkpoint-2"
    second = train_dapt(base_model, docs, settings.model_copy(update={"max_steps": 4}), tmp_path)
    assert second.resumed_from_checkpoint == str(tmp_path / "checkpoints" / "checkpoint-2")
    assert [s for s, _ in second.loss_history] == [1, 2, 3, 4]
    assert second.loss_history[:2] == first.loss_history
    with pytest.raises(RuntimeError, match=r"changed: \['documents_sha256'\]"):
        train_dapt(base_model, docs[:-1], settings.model_copy(update={"max_steps": 6}), tmp_path)
