"""The tiny base model: settings rules, tokenizer, build, cache reuse and atomic writes."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from finetune_platform.training import tiny_model
from finetune_platform.training.tiny_model import (
    MANIFEST_NAME,
    TinyModelSettings,
    build_tiny_model,
    cache_key,
    train_tokenizer,
)
from finetune_platform_tests.training.tiny_data import TINY, corpus


def test_heads_must_divide_hidden_size():
    with pytest.raises(ValidationError, match=r"hidden_size \(30\) must be divisible by num_heads \(4\)"):
        TinyModelSettings(hidden_size=30, num_heads=4)


def test_window_must_fit_position_embeddings():
    with pytest.raises(ValidationError, match=r"seq_len \(256\) exceeds max_position_embeddings \(128\)"):
        TinyModelSettings(seq_len=256, max_position_embeddings=128)


def test_cache_key_depends_on_corpus_order_and_settings():
    texts = ["alpha ticket", "beta ticket"]
    key = cache_key(texts, TINY)
    assert key == cache_key(list(texts), TINY)
    assert key != cache_key(list(reversed(texts)), TINY)
    assert key != cache_key(texts, TINY.model_copy(update={"seed": 1}))
    # Concatenation must not collide: ["ab", "c"] vs ["a", "bc"].
    assert cache_key(["ab", "c"], TINY) != cache_key(["a", "bc"], TINY)


def test_tokenizer_round_trips_and_adds_bos():
    tokenizer = train_tokenizer(corpus(), vocab_size=320)
    ids = tokenizer("my parcel has not arrived")["input_ids"]
    assert ids[0] == tokenizer.bos_token_id
    assert tokenizer.decode(ids, skip_special_tokens=True) == "my parcel has not arrived"
    # Byte-level: unseen characters still encode without <unk>.
    assert tokenizer.unk_token_id not in tokenizer("Zürich ✓")["input_ids"]
    assert len(tokenizer) <= 320
    assert {tokenizer.pad_token, tokenizer.eos_token, tokenizer.unk_token} == {"<pad>", "</s>", "<unk>"}


@pytest.mark.slow
def test_build_then_reuse(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    first = build_tiny_model(corpus(), TINY, tmp_path)
    assert not first.reused
    assert first.path == tmp_path / first.cache_key
    assert [step for step, _ in first.loss_history] == [10, 20]
    assert first.loss_history[-1][1] < 6.0  # ln(320) = 5.77 is chance; it must have learned something

    tokenizer = AutoTokenizer.from_pretrained(first.path)
    model = AutoModelForCausalLM.from_pretrained(first.path)
    assert sum(p.numel() for p in model.parameters()) == first.n_params
    assert model.config.model_type == "llama"
    assert model.config.eos_token_id == tokenizer.eos_token_id
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "where is my parcel"}], tokenize=False, add_generation_prompt=True
    )
    assert rendered == "<s>### User:\nwhere is my parcel\n### Assistant:\n"
    assert "license: apache-2.0" in (first.path / "README.md").read_text()

    started = time.perf_counter()
    second = build_tiny_model(corpus(), TINY, tmp_path)
    assert time.perf_counter() - started < 1.0
    assert second.reused
    assert (second.path, second.n_params, second.loss_history) == (first.path, first.n_params, first.loss_history)


@pytest.mark.slow
def test_failed_build_leaves_no_cache_entry(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(tiny_model, "_model_card", crash)
    with pytest.raises(KeyboardInterrupt):
        build_tiny_model(corpus(), TINY.model_copy(update={"pretrain_steps": 0}), tmp_path)
    assert list(tmp_path.iterdir()) == []

    monkeypatch.undo()
    result = build_tiny_model(corpus(), TINY.model_copy(update={"pretrain_steps": 0}), tmp_path)
    assert not result.reused
    assert (result.path / MANIFEST_NAME).is_file()
    assert result.loss_history == []


def test_empty_corpus_is_refused(tmp_path):
    with pytest.raises(ValueError, match="non-empty corpus"):
        build_tiny_model(["", "   "], TINY, tmp_path)
