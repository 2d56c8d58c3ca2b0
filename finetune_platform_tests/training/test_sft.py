"""SFT settings rules, the TRL config conversion, LoRA and full training, and automatic resume."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import torch
from pydantic import ValidationError
from safetensors.torch import load_file

from finetune_platform.evaluation.generation import load_causal_lm
from finetune_platform.formats.conversations import conversation_sft_pairs
from finetune_platform.training.sft import (
    SavedModelMismatch,
    SFTSettings,
    _to_dataset,
    build_trainer,
    latest_checkpoint,
    to_trl_config,
    train_sft,
    verify_saved_model,
)
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, conversations, corpus, examples

FAST = dict(batch_size=8, logging_steps=1, save_steps=100, bf16=False, warmup_ratio=0.0)


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    return build_tiny_model(corpus(), TINY, tmp_path_factory.mktemp("tiny")).path


def test_packing_needs_max_length():
    with pytest.raises(ValidationError, match="packing=True needs max_length"):
        SFTSettings(packing=True, max_length=None)


def test_lora_needs_target_modules():
    with pytest.raises(ValidationError, match="method='lora' needs lora_target_modules"):
        SFTSettings(method="lora", lora_target_modules=[])
    assert SFTSettings(method="full", lora_target_modules=[]).method == "full"


def test_all_linear_is_exclusive():
    with pytest.raises(ValidationError, match="'all-linear' already selects every linear layer"):
        SFTSettings(lora_target_modules=["all-linear", "q_proj"])


def test_trl_config_sets_what_trl_defaults_wrongly(tmp_path):
    settings = SFTSettings(bf16=False, gradient_checkpointing=False, warmup_ratio=0.1, max_steps=7, save_steps=3)
    config = to_trl_config(settings, tmp_path)
    assert config.output_dir == str(tmp_path / "checkpoints")
    assert config.bf16 is False  # trl defaults to True
    assert config.activation_checkpointing is False  # trl defaults gradient_checkpointing to True
    assert config.completion_only_loss is True
    assert config.report_to == []
    assert (config.max_steps, config.save_steps, config.warmup_steps) == (7, 3, 0.1)
    assert config.learning_rate == 2e-3  # LoRA's default when learning_rate is None
    assert to_trl_config(SFTSettings(method="full"), tmp_path).learning_rate == 1e-3
    assert to_trl_config(SFTSettings(method="full", learning_rate=5e-4), tmp_path).learning_rate == 5e-4
    assert config.train_sampling_strategy == "group_by_length"


@pytest.mark.slow
def test_lora_trains_adapter_only(base_model, tmp_path):
    logged: list[tuple[int, dict]] = []
    result = train_sft(
        base_model,
        examples(),
        examples(12, seed=1),
        SFTSettings(method="lora", max_steps=6, **FAST),
        tmp_path,
        on_log=lambda step, metrics: logged.append((step, metrics)),
    )
    assert result.model_path == tmp_path / "adapter"
    assert (result.model_path / "adapter_config.json").is_file()
    assert (result.model_path / "tokenizer.json").is_file()
    assert not (result.model_path / "model.safetensors").exists()
    adapter = load_file(result.model_path / "adapter_model.safetensors")
    lora_b = [t for name, t in adapter.items() if "lora_B" in name]
    assert lora_b and all(t.abs().sum() > 0 for t in lora_b)  # lora_B starts at zero: non-zero means trained
    assert result.global_step == 6
    assert [step for step, _ in result.loss_history] == [1, 2, 3, 4, 5, 6]
    assert all(math.isfinite(loss) for _, loss in result.loss_history)
    assert result.eval_loss is not None and math.isfinite(result.eval_loss)
    assert result.resumed_from_checkpoint is None
    assert result.train_tokens_per_second > 0
    assert [step for step, metrics in logged if "loss" in metrics] == [1, 2, 3, 4, 5, 6]
    assert [m["eval_loss"] for _, m in logged if "eval_loss" in m] == [pytest.approx(result.eval_loss)]
    assert result.save_check["passed"] and result.save_check["max_abs_diff"] < 1e-3  # reloaded == trained


@pytest.mark.slow
def test_chat_pairs_train_beside_instruction_pairs(base_model, tmp_path):
    """Chat pairs (prompt rendered through the model's chat template) mix with the instruction pairs: TRL
    masks their prompt and trains on the reply and EOS, and the run saves a model as usual."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    chats, skipped = conversation_sft_pairs(conversations(12), tokenizer)
    held_out, _ = conversation_sft_pairs(conversations(6, seed=1), tokenizer, turns="last")
    assert len(skipped) == 0 and len(chats) == 18  # 6 two-exchange transcripts give 2 pairs, 6 give 1
    train = pd.concat([examples(), chats], ignore_index=True)
    settings = SFTSettings(method="lora", max_steps=4, **FAST)
    result = train_sft(base_model, train, pd.concat([examples(12, seed=1), held_out]), settings, tmp_path / "run")
    assert (result.model_path / "adapter_model.safetensors").is_file()
    assert result.global_step == 4 and all(math.isfinite(loss) for _, loss in result.loss_history)
    assert math.isfinite(result.eval_loss) and result.save_check["passed"]

    model = AutoModelForCausalLM.from_pretrained(base_model)
    trainer = build_trainer(model, tokenizer, _to_dataset(chats, "chats"), None, settings, tmp_path / "inspect")
    for i in (0, 1):  # the first transcript's two replies
        row = trainer.train_dataset[i]
        trained = [label for label in row["labels"] if label != -100]  # TRL's labels: the prompt is -100
        assert tokenizer.decode(trained) == chats.iloc[i]["completion"] + tokenizer.eos_token


@pytest.mark.slow
def test_full_changes_the_weights(base_model, tmp_path):
    result = train_sft(base_model, examples(), None, SFTSettings(method="full", max_steps=4, **FAST), tmp_path)
    assert result.model_path == tmp_path / "model"
    before = load_file(base_model / "model.safetensors")
    after = load_file(result.model_path / "model.safetensors")
    assert before.keys() == after.keys()
    changed = [name for name in before if not torch.equal(before[name], after[name])]
    assert len(changed) == len(before)
    assert result.eval_loss is None
    assert math.isfinite(result.final_train_loss)


@pytest.mark.slow
def test_resume_continues_the_global_step(base_model, tmp_path):
    settings = SFTSettings(method="lora", **{**FAST, "save_steps": 2})
    first = train_sft(base_model, examples(), None, settings.model_copy(update={"max_steps": 4}), tmp_path)
    assert first.global_step == 4
    assert latest_checkpoint(tmp_path).name == "checkpoint-4"

    # the same run again: finished, so nothing is trained (resuming its last step would take one more)
    again = train_sft(base_model, examples(), None, settings.model_copy(update={"max_steps": 4}), tmp_path)
    assert again == first and latest_checkpoint(tmp_path).name == "checkpoint-4"

    second = train_sft(base_model, examples(), None, settings.model_copy(update={"max_steps": 6}), tmp_path)
    assert second.resumed_from_checkpoint == str(tmp_path / "checkpoints" / "checkpoint-4")
    assert second.global_step == 6
    assert [step for step, _ in second.loss_history] == [1, 2, 3, 4, 5, 6]
    assert second.loss_history[:4] == first.loss_history
    assert latest_checkpoint(tmp_path).name == "checkpoint-6"


@pytest.mark.slow
def test_resume_refuses_a_different_run(base_model, tmp_path):
    settings = SFTSettings(method="lora", max_steps=2, **{**FAST, "save_steps": 2})
    train_sft(base_model, examples(), None, settings, tmp_path)
    changed = settings.model_copy(update={"learning_rate": 1e-4, "max_steps": 4})
    with pytest.raises(RuntimeError, match=r"from a different run \(changed: \['settings.learning_rate'\]\)"):
        train_sft(base_model, examples(), None, changed, tmp_path)


def test_empty_completion_is_refused(tmp_path):
    data = examples(6)
    data.loc[0, "completion"] = " "
    with pytest.raises(ValueError, match="train_df has 1 examples with an empty completion"):
        train_sft(tmp_path / "no-model", data, None, SFTSettings(max_steps=1, **FAST), tmp_path / "out")


def test_a_missing_value_is_refused_not_trained_as_the_word_none(tmp_path):
    data = examples(6)
    data.loc[3, "completion"] = None  # a parquet null reads back as None (or NaN)
    with pytest.raises(ValueError, match=r"train_df has 1 examples with a missing value \(None/NaN; first at row 3, in completion\)"):
        train_sft(tmp_path / "no-model", data, None, SFTSettings(max_steps=1, **FAST), tmp_path / "out")
    data = examples(6)
    data["prompt"] = data["prompt"].astype(object)
    data.loc[1, "prompt"] = float("nan")
    with pytest.raises(ValueError, match=r"eval_df has 1 examples .* in prompt"):
        train_sft(tmp_path / "no-model", examples(6), data, SFTSettings(max_steps=1, **FAST), tmp_path / "out")


def test_the_fingerprint_holds_the_precision_trained_with_and_an_older_one_without_it_still_resumes(tmp_path):
    """bf16 unset trains in bfloat16 or float32 by hardware: a checkpoint made at one must not be resumed at
    the other. A fingerprint written before that counted (no bf16_resolved) is judged as before."""
    from finetune_platform.training.precision import resolve_bf16
    from finetune_platform.training.sft import FINGERPRINT_FILE, _check_resumable, _fingerprint

    settings = SFTSettings(**{**FAST, "bf16": None})
    fingerprint = _fingerprint(tmp_path / "base", examples(6), settings)
    assert fingerprint["bf16_resolved"] == resolve_bf16(None) and fingerprint["settings"]["bf16"] is None
    (tmp_path / "checkpoints" / "checkpoint-2").mkdir(parents=True)
    (tmp_path / "checkpoints" / "checkpoint-2" / "trainer_state.json").write_text("{}")
    older = {k: v for k, v in fingerprint.items() if k != "bf16_resolved"}
    (tmp_path / FINGERPRINT_FILE).write_text(json.dumps(older))
    assert _check_resumable(tmp_path, fingerprint).name == "checkpoint-2"
    other_hardware = {**fingerprint, "bf16_resolved": not fingerprint["bf16_resolved"]}
    (tmp_path / FINGERPRINT_FILE).write_text(json.dumps(other_hardware))
    with pytest.raises(RuntimeError, match=r"different run \(changed: \['bf16_resolved'\]\)"):
        _check_resumable(tmp_path, fingerprint)


def test_missing_columns_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"eval_df is missing columns \['completion'\]"):
        train_sft(tmp_path, examples(6), examples(3).drop(columns="completion"), SFTSettings(**FAST), tmp_path)


@pytest.mark.slow
def test_unknown_modules_to_save_are_named(base_model, tmp_path):
    settings = SFTSettings(method="lora", max_steps=1, lora_modules_to_save=["wte", "lm_head"], **FAST)
    with pytest.raises(ValueError, match=r"\['wte'\] match no module of LlamaForCausalLM .*\['model.embed_tokens'\]"):
        train_sft(base_model, examples(6), None, settings, tmp_path)


@pytest.mark.slow
def test_a_save_that_lost_the_adapter_is_caught(base_model, tmp_path):
    """The save check compares the reloaded folder with the trained model: an adapter whose weights were
    not gathered (what ZeRO-3 without gathered saves writes) fails loudly instead of being registered."""
    from types import SimpleNamespace

    from safetensors.torch import save_file

    result = train_sft(base_model, examples(), None, SFTSettings(method="lora", max_steps=4, **FAST), tmp_path)
    trained, tokenizer = load_causal_lm(base_model, result.model_path)
    trainer = SimpleNamespace(model=trained, args=SimpleNamespace(device="cpu"), is_world_process_zero=lambda: True)
    prompts = examples()["prompt"].head(2).tolist()
    assert verify_saved_model(trainer, tokenizer, base_model, result.model_path, prompts)["passed"]

    weights_file = result.model_path / "adapter_model.safetensors"
    weights = load_file(weights_file)
    save_file({k: torch.zeros_like(v) if "lora_B" in k else v for k, v in weights.items()}, weights_file)
    with pytest.raises(SavedModelMismatch, match="does not reproduce the trained model"):
        verify_saved_model(trainer, tokenizer, base_model, result.model_path, prompts)


def test_completions_cut_counts_what_trl_truncates(base_model, tmp_path):
    """The count is TRL's own tokenization: the examples whose untruncated input_ids pass max_length."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from finetune_platform.training.sft import _to_dataset, build_trainer, count_completions_cut

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    data = examples(16)
    trainer = build_trainer(
        AutoModelForCausalLM.from_pretrained(base_model), tokenizer, _to_dataset(data, "train_df"), None,
        SFTSettings(method="lora", max_steps=1, max_length=None, **FAST), tmp_path,
    )
    lengths = sorted(len(ids) for ids in trainer.train_dataset["input_ids"])
    for limit in (lengths[0], lengths[len(lengths) // 2], lengths[-1]):
        assert count_completions_cut(data, tokenizer, limit) == sum(n > limit for n in lengths), limit


@pytest.mark.slow
def test_examples_whose_prompt_fills_max_length_are_left_out_and_counted(base_model, tmp_path):
    """TRL drops them without a word (and fails in its sampler when none is left, or after training when
    no eval example is left): here they are counted, a train split with none left is a clear error, and an
    eval split with none left skips the eval loss instead of failing the finished run."""
    from transformers import AutoTokenizer

    from finetune_platform.training.sft import count_completions_cut, drop_prompts_filling

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    data = examples(12)
    lengths = sorted(len(ids) for ids in tokenizer(data["prompt"].tolist())["input_ids"])
    limit = lengths[len(lengths) // 2]  # about half the prompts fill it
    kept, dropped = drop_prompts_filling(data, tokenizer, limit)
    assert dropped == sum(n >= limit for n in lengths) and len(kept) + dropped == len(data) and 0 < dropped < len(data)

    settings = SFTSettings(method="lora", max_steps=1, max_length=limit, **FAST)
    long_eval = data.loc[~data.index.isin(kept.index)]
    result = train_sft(base_model, data, long_eval, settings, tmp_path / "run")
    assert result.prompts_too_long == {"train": dropped, "eval": len(long_eval)} and result.eval_loss is None
    # the kept ones are longer than max_length with their completion: cut there, and counted
    assert result.completions_cut == {"train": count_completions_cut(kept, tokenizer, limit), "eval": 0}
    assert 0 < result.completions_cut["train"] <= len(kept)
    with pytest.raises(ValueError, match=r"every one of the \d+ training examples has a prompt of max_length=8"):
        train_sft(base_model, data, None, SFTSettings(method="lora", max_steps=1, max_length=8, **FAST), tmp_path / "b")


def test_a_max_length_past_learned_positions_is_refused_by_name(tmp_path):
    """GPT-2 learns one embedding per position (n_positions): a longer sequence fails deep in the embedding
    lookup, so it is refused before training, by name. A rotary model (the tiny Llama) computes positions
    and is not refused."""
    from transformers import GPT2Config, LlamaConfig

    from finetune_platform.training.sft import check_max_length

    class Model:
        def __init__(self, config):
            self.config = config

    gpt2 = Model(GPT2Config(n_positions=64))
    with pytest.raises(ValueError, match=r"max_length \(128\) lets sequences of 100 tokens through, past the model's "
                       r"64 positions"):
        check_max_length(128, gpt2, tmp_path, longest=100)
    check_max_length(64, gpt2, tmp_path, longest=100)  # cut to 64: fits
    check_max_length(None, gpt2, tmp_path, longest=60)
    check_max_length(4096, Model(LlamaConfig(max_position_embeddings=128)), tmp_path, longest=1000)
