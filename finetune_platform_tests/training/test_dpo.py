"""DPO settings rules, the TRL config conversion, and a planted preference that training must learn."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from pydantic import ValidationError

from finetune_platform.evaluation.generation import load_causal_lm
from finetune_platform.training.dpo import DPOSettings, fit_to_length, preference_scores, to_dpo_config, train_dpo
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, corpus, examples

FAST = dict(batch_size=8, logging_steps=1, save_steps=1000, warmup_ratio=0.0)


def preference_pairs(n: int, seed: int) -> pd.DataFrame:
    """Reply prompts where a polite reply is preferred over a curt one with the same content (the planted
    preference: the tiny base model has never seen either style)."""
    data = examples(n, tasks=("reply",), seed=seed)
    return pd.DataFrame(
        {
            "prompt": data["prompt"],
            "chosen": "Sorry for the trouble. " + data["completion"],
            "rejected": data["completion"].str.rstrip(".") + ". Deal with it.",
        }
    )


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    return build_tiny_model(corpus(), TINY, tmp_path_factory.mktemp("tiny")).path


@pytest.fixture(scope="module")
def sft_adapter(base_model, tmp_path_factory):
    """A LoRA adapter with non-zero weights, standing in for an SFT result."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    folder = tmp_path_factory.mktemp("sft_adapter")
    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(base_model)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(folder)
    return folder


def margins(base, model_path, pairs: pd.DataFrame) -> pd.Series:
    """log p(chosen) - log p(rejected) per pair under the model at ``model_path``."""
    model, tokenizer = load_causal_lm(base, model_path)
    return preference_scores(model, tokenizer, pairs)["margin"]


def test_dpo_config_sets_what_trl_defaults_wrongly(tmp_path):
    config = to_dpo_config(DPOSettings(beta=0.3, max_steps=5, max_length=64, loss_type="ipo"), tmp_path)
    assert config.bf16 is False and config.activation_checkpointing is False  # trl defaults both to True
    assert (config.beta, config.max_steps, config.max_length, config.loss_type) == (0.3, 5, 64, ["ipo"])
    assert config.learning_rate == 2e-3  # LoRA's default when learning_rate is None
    assert to_dpo_config(DPOSettings(method="full"), tmp_path).learning_rate == 5e-4
    assert config.output_dir == str(tmp_path / "checkpoints")
    assert config.report_to == []


def test_label_smoothing_needs_robust_loss():
    with pytest.raises(ValidationError, match="label_smoothing \\(0.1\\) only applies to loss_type='robust'"):
        DPOSettings(label_smoothing=0.1)
    assert DPOSettings(label_smoothing=0.1, loss_type="robust").label_smoothing == 0.1


def test_all_linear_is_exclusive():
    with pytest.raises(ValidationError, match="'all-linear' already selects every linear layer"):
        DPOSettings(lora_target_modules=["all-linear", "q_proj"])


def test_pairs_without_a_preference_are_refused(tmp_path):
    pairs = preference_pairs(6, seed=0)
    pairs.loc[2, "rejected"] = pairs.loc[2, "chosen"]
    with pytest.raises(ValueError, match="1 pairs whose chosen and rejected answers are identical \\(first at row 2\\)"):
        train_dpo(tmp_path, tmp_path, pairs, DPOSettings(), tmp_path / "out")
    with pytest.raises(ValueError, match=r"missing columns \['rejected'\]"):
        train_dpo(tmp_path, tmp_path, pairs.drop(columns="rejected"), DPOSettings(), tmp_path / "out")


def test_a_pair_with_a_missing_answer_is_refused_not_trained_as_nan(tmp_path):
    pairs = preference_pairs(6, seed=0)
    pairs["chosen"] = pairs["chosen"].astype(object)
    pairs.loc[4, "chosen"] = float("nan")
    with pytest.raises(ValueError, match=r"1 pairs with a missing value \(None/NaN; first at row 4, in chosen\)"):
        train_dpo(tmp_path, tmp_path, pairs, DPOSettings(), tmp_path / "out")


def test_pairs_that_do_not_fit_max_length_are_dropped_or_counted_not_lost_silently(base_model):
    """TRL cuts a longer sequence from the end and drops a pair whose prompt alone fills max_length: the
    platform drops those itself and counts them, and counts the pairs whose answer is cut."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    passages = "Relevant excerpts: " + " ".join(f"[{n}] the router was reset and the issue closed." for n in range(30))
    pairs = pd.DataFrame({
        "prompt": ["### User:\nwifi drops\n### Assistant:\n", f"### System:\n{passages}\n### User:\nwifi drops\n",
                   "### User:\nwifi drops\n### Assistant:\n"],
        "chosen": ["Restart the router.", "Restart the router.", "Restart the router. " * 40],
        "rejected": ["Deal with it.", "Deal with it.", "Deal with it."],
    })
    lengths = [len(tokenizer(p)["input_ids"]) for p in pairs["prompt"]]
    assert lengths[1] >= 128 > lengths[2] == lengths[0]  # the passages alone fill 128 tokens; the others fit
    kept, stats = fit_to_length(pairs, tokenizer, 128)
    assert kept["chosen"].tolist() == [pairs.loc[0, "chosen"], pairs.loc[2, "chosen"]]  # the passages' pair is gone
    assert stats["prompt_too_long"] == 1 and stats["answers_cut"] == 1 and stats["longest_pair_tokens"] > 128
    whole, stats = fit_to_length(pairs, tokenizer, 4096)
    assert len(whole) == 3 and stats["prompt_too_long"] == stats["answers_cut"] == 0
    assert fit_to_length(pairs, tokenizer, None)[0] is pairs and fit_to_length(pairs.iloc[:0], tokenizer, 8)[1]["answers_cut"] == 0
    # the longer answer in tokens, not in characters: rare letters take a token each
    odd = pd.DataFrame({"prompt": [pairs.loc[0, "prompt"]], "chosen": ["the the the " * 6],
                        "rejected": ["zqxjzqxj " * 6]})
    chosen_n, rejected_n = (len(tokenizer(odd.loc[0, "prompt"] + odd.loc[0, c])["input_ids"]) for c in ("chosen", "rejected"))
    assert len(odd.loc[0, "chosen"]) > len(odd.loc[0, "rejected"]) and rejected_n > chosen_n
    kept, stats = fit_to_length(odd, tokenizer, chosen_n + 1)
    assert len(kept) == 1 and stats["answers_cut"] == 1 and stats["longest_pair_tokens"] == rejected_n + 1


@pytest.mark.slow
@pytest.mark.parametrize(("method", "steps", "learning_rate"), [("full", 12, 5e-4), ("lora", 8, 1e-2)])
def test_dpo_learns_a_planted_preference(base_model, sft_adapter, tmp_path, method, steps, learning_rate):
    train_pairs, held_out = preference_pairs(48, seed=0), preference_pairs(24, seed=7)
    sft = base_model if method == "full" else sft_adapter  # both kinds of SFT result
    before = margins(base_model, sft, held_out)
    logged: list[dict] = []
    result = train_dpo(
        base_model,
        sft,
        train_pairs,
        DPOSettings(
            method=method,
            max_steps=steps,
            beta=0.5,
            learning_rate=learning_rate,
            lora_target_modules=["q_proj", "v_proj"],  # all-linear is several times slower on this tiny model
            **FAST,
        ),
        tmp_path,
        on_log=lambda step, metrics: logged.append(metrics),
    )
    after = margins(base_model, result.model_path, held_out)
    assert result.global_step == steps
    assert [s for s, _ in result.loss_history] == list(range(1, steps + 1))
    assert [s for s, _ in result.reward_accuracy_history] == list(range(1, steps + 1))
    assert sum(1 for m in logged if "rewards/accuracies" in m) == steps
    assert result.final_loss < math.log(2) - 0.2  # DPO's loss starts at log 2 (policy == reference)
    assert result.final_reward_accuracy == 1.0
    assert after.mean() > before.mean() + 1.5  # measured: +4.9 (full), +2.6 (lora)
    # Held-out implicit-reward accuracy: the chosen answer gained on the rejected one for (almost) every pair.
    assert ((after - before) > 0).mean() >= 0.9
    assert (result.model_path / "config.json").is_file() and not (result.model_path / "adapter_config.json").exists()


@pytest.mark.slow
def test_dpo_resumes_from_its_checkpoint_and_refuses_another_run(base_model, sft_adapter, tmp_path):
    """A second call with the same run continues from the last checkpoint (global step and histories carry
    on); a changed setting is refused instead of resumed."""
    pairs = preference_pairs(32, seed=0)
    settings = dict(method="lora", beta=0.5, learning_rate=1e-2, lora_target_modules=["q_proj", "v_proj"],
                    batch_size=8, logging_steps=1, warmup_ratio=0.0, save_steps=3, save_total_limit=5)
    first = train_dpo(base_model, sft_adapter, pairs, DPOSettings(max_steps=3, **settings), tmp_path)
    assert first.resumed_from_checkpoint is None and first.global_step == 3
    assert (tmp_path / "checkpoints" / "checkpoint-3").is_dir()
    again = train_dpo(base_model, sft_adapter, pairs, DPOSettings(max_steps=3, **settings), tmp_path)
    assert again.global_step == 3 and again.loss_history == first.loss_history  # finished: nothing more trained
    assert not (tmp_path / "checkpoints" / "checkpoint-4").exists()

    resumed = train_dpo(base_model, sft_adapter, pairs, DPOSettings(max_steps=6, **settings), tmp_path)
    assert resumed.resumed_from_checkpoint and resumed.resumed_from_checkpoint.endswith("checkpoint-3")
    assert resumed.global_step == 6
    assert [s for s, _ in resumed.loss_history] == [1, 2, 3, 4, 5, 6]  # steps 1-3 come from the checkpoint
    assert [s for s, _ in resumed.reward_accuracy_history] == [1, 2, 3, 4, 5, 6]
    assert resumed.loss_history[:3] == first.loss_history

    with pytest.raises(RuntimeError, match=r"different run \(changed: \['settings.beta'\]\)"):
        train_dpo(base_model, sft_adapter, pairs, DPOSettings(max_steps=9, **{**settings, "beta": 0.1}), tmp_path)


def test_full_dpo_on_a_lora_sft_result_trains_every_weight(base_model, sft_adapter, tmp_path):
    """The default pipeline: LoRA SFT, then full DPO. The merged adapter keeps PEFT's frozen flags; without
    unfreezing, backward fails ("element 0 of tensors does not require grad")."""
    result = train_dpo(
        base_model, sft_adapter, preference_pairs(16, seed=0),
        DPOSettings(method="full", max_steps=2, learning_rate=5e-4, **FAST), tmp_path,
    )
    assert result.global_step == 2 and math.isfinite(result.final_loss)


def test_dpo_with_no_pair_that_fits_max_length_is_a_clear_error(base_model, sft_adapter, tmp_path):
    with pytest.raises(ValueError, match=r"none of the 8 preference pairs fits max_length=8 tokens"):
        train_dpo(base_model, sft_adapter, preference_pairs(8, seed=0),
                  DPOSettings(max_length=8, max_steps=1, **FAST), tmp_path)


def test_a_retrained_sft_model_in_the_same_folder_is_not_resumed_against(base_model, sft_adapter, tmp_path):
    """The reference is the SFT model's content, not its folder's name: a DPO checkpoint made against the
    old SFT model is refused once the folder holds another."""
    import shutil

    from safetensors.torch import load_file, save_file

    sft = tmp_path / "sft"
    shutil.copytree(sft_adapter, sft)
    pairs = preference_pairs(16, seed=0)
    settings = dict(method="lora", lora_target_modules=["q_proj", "v_proj"], batch_size=8, logging_steps=1,
                    warmup_ratio=0.0, save_steps=2)
    train_dpo(base_model, sft, pairs, DPOSettings(max_steps=2, **settings), tmp_path / "dpo")
    weights = next(sft.glob("*.safetensors"))
    save_file({k: v * 0.5 for k, v in load_file(weights).items()}, weights)  # "retrained" in place
    with pytest.raises(RuntimeError, match=r"changed: \['sft_model_sha256'\]"):
        train_dpo(base_model, sft, pairs, DPOSettings(max_steps=4, **settings), tmp_path / "dpo")
