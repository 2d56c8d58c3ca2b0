"""Each training switch of ``SFTSettings`` really changes what ``train_sft`` does: bf16, gradient
checkpointing and packing, each trained for a few steps with the tiny model on CPU.

The switches are observed from inside the run, not read back from the config: ``trl.SFTTrainer`` is
replaced by a subclass that hooks the model built by ``train_sft`` (the dtype of the MLP outputs, how
often the MLPs run, the decoder layers' checkpointing flag) and records every collated batch.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from finetune_platform.training.sft import SFTResult, SFTSettings, train_sft
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, corpus, examples

FAST = dict(batch_size=4, logging_steps=1, save_steps=100, warmup_ratio=0.0, bf16=False, group_by_length=False)
STEPS = 3


@pytest.fixture(scope="module")
def base_model(tmp_path_factory) -> Path:
    return build_tiny_model(corpus(), TINY, tmp_path_factory.mktemp("tiny")).path


@dataclass
class Observed:
    """What the spy saw during training (evaluation forward passes are not counted)."""

    trainer: object = None
    mlp_calls: int = 0
    mlp_dtypes: Counter = field(default_factory=Counter)
    layer_checkpointing: Counter = field(default_factory=Counter)
    batches: list[dict] = field(default_factory=list)


@pytest.fixture
def observed(monkeypatch) -> Observed:
    """Replace ``trl.SFTTrainer`` (where ``train_sft`` imports it) with a subclass that records the run."""
    import trl
    from transformers.modeling_layers import GradientCheckpointingLayer

    import finetune_platform.training.sft as sft_module

    seen = Observed()

    def on_mlp_entry(module, inputs):
        # Counted on entry: the backward pass's recomputation stops as soon as it has rebuilt every saved
        # tensor, so it may leave the MLP before its output exists (forward hooks would not see it).
        if module.training:
            seen.mlp_calls += 1

    def on_mlp_output(module, inputs, output):
        if module.training:
            seen.mlp_dtypes[output.dtype] += 1

    def on_layer(module, inputs):
        if module.training:
            seen.layer_checkpointing[bool(getattr(module, "gradient_checkpointing", False))] += 1

    class SpyTrainer(trl.SFTTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.trainer = self
            for module in self.model.modules():
                if type(module).__name__.endswith("MLP"):
                    module.register_forward_pre_hook(on_mlp_entry)
                    module.register_forward_hook(on_mlp_output)
                if isinstance(module, GradientCheckpointingLayer):
                    module.register_forward_pre_hook(on_layer)

        def get_train_dataloader(self):
            # Wrapped here, not in __init__: train_sft may still replace the collator after construction.
            collate = self.data_collator

            def recording_collator(batch_examples):
                batch = collate(batch_examples)
                seen.batches.append({k: v.clone() for k, v in batch.items() if isinstance(v, torch.Tensor)})
                return batch

            self.data_collator = recording_collator
            try:
                return super().get_train_dataloader()
            finally:
                self.data_collator = collate

    monkeypatch.setattr(trl, "SFTTrainer", SpyTrainer)
    monkeypatch.setattr(sft_module, "SFTTrainer", SpyTrainer, raising=False)  # in case it is imported at top
    return seen


def _finite_losses(result: SFTResult) -> list[float]:
    losses = [loss for _, loss in result.loss_history]
    assert losses and all(math.isfinite(loss) for loss in losses), result.loss_history
    return losses


def _layers(base_model: Path) -> int:
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(base_model).num_hidden_layers


@pytest.mark.slow
def test_bf16_trains_under_bf16_autocast_and_saves_a_float32_adapter(base_model, tmp_path, observed):
    result = train_sft(
        base_model, examples(24), None, SFTSettings(method="lora", max_steps=STEPS, **{**FAST, "bf16": True}), tmp_path
    )
    assert result.global_step == STEPS
    _finite_losses(result)
    # CPU autocast to bfloat16 makes every Linear (hence every MLP) return bfloat16 during training.
    assert observed.mlp_calls > 0
    assert set(observed.mlp_dtypes) == {torch.bfloat16}, observed.mlp_dtypes

    # The adapter is saved in float32 (autocast never touches the master weights) and loads onto a float32
    # base model that gives finite float32 logits.
    adapter = load_file(result.model_path / "adapter_model.safetensors")
    assert adapter and {t.dtype for t in adapter.values()} == {torch.float32}
    assert all(torch.isfinite(t).all() for t in adapter.values())
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(base_model, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, result.model_path).eval()
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    ids = AutoTokenizer.from_pretrained(result.model_path)("### Task: classify\n", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()


@pytest.mark.slow
def test_without_bf16_training_stays_float32(base_model, tmp_path, observed):
    result = train_sft(base_model, examples(24), None, SFTSettings(method="lora", max_steps=STEPS, **FAST), tmp_path)
    _finite_losses(result)
    assert set(observed.mlp_dtypes) == {torch.float32}, observed.mlp_dtypes


@pytest.mark.slow
def test_gradient_checkpointing_recomputes_activations_in_backward(base_model, tmp_path, observed):
    settings = SFTSettings(method="lora", max_steps=STEPS, gradient_checkpointing=True, **FAST)
    result = train_sft(base_model, examples(24), None, settings, tmp_path)
    assert result.global_step == STEPS
    _finite_losses(result)
    # Every decoder layer ran with checkpointing on, and each MLP ran twice per step: once in the forward
    # pass, once more when the backward pass recomputed the discarded activations.
    assert observed.layer_checkpointing[True] > 0 and observed.layer_checkpointing[False] == 0
    assert observed.mlp_calls == 2 * _layers(base_model) * STEPS
    # The adapters still received gradients through the recomputed activations (lora_B starts at zero).
    adapter = load_file(result.model_path / "adapter_model.safetensors")
    lora_b = [t for name, t in adapter.items() if "lora_B" in name]
    assert lora_b and all(t.abs().sum() > 0 for t in lora_b)


@pytest.mark.slow
def test_without_gradient_checkpointing_each_layer_runs_once(base_model, tmp_path, observed):
    settings = SFTSettings(method="lora", max_steps=STEPS, gradient_checkpointing=False, **FAST)
    _finite_losses(train_sft(base_model, examples(24), None, settings, tmp_path))
    assert observed.layer_checkpointing[False] > 0 and observed.layer_checkpointing[True] == 0
    assert observed.mlp_calls == _layers(base_model) * STEPS


def _one_epoch(base_model: Path, out: Path, data, packing: bool, padding_free: bool = False) -> SFTResult:
    settings = SFTSettings(
        method="full", num_epochs=1.0, max_steps=-1, max_length=256, packing=packing, padding_free=padding_free, **FAST
    )
    return train_sft(base_model, data, None, settings, out)


@pytest.mark.slow
@pytest.mark.parametrize("padding_free", [False, True], ids=["rows", "padding-free"])
def test_packing_packs_examples_and_masks_prompts(base_model, tmp_path, observed, padding_free):
    from transformers import AutoTokenizer

    data = examples(24, tasks=("classify",))
    completion_of = dict(zip(data["prompt"], data["completion"], strict=True))
    packed = _one_epoch(base_model, tmp_path / "packed", data, packing=True, padding_free=padding_free)
    packed_tokens = observed.trainer.state.num_input_tokens_seen
    packed_rows = len(observed.trainer.train_dataset)
    packed_batches = list(observed.batches)
    _finite_losses(packed)

    observed.batches.clear()
    padded = _one_epoch(base_model, tmp_path / "padded", data, packing=False)
    padded_tokens = observed.trainer.state.num_input_tokens_seen
    padded_rows = len(observed.trainer.train_dataset)
    _finite_losses(padded)

    # Fewer training sequences and fewer optimizer steps for the same examples, the same tokens trained on.
    assert padded_rows == len(data) and 1 <= packed_rows < len(data)
    assert len(packed_batches) == packed.global_step
    assert padded.global_step == math.ceil(len(data) / FAST["batch_size"])
    assert packed.global_step < padded.global_step
    assert packed_tokens == padded_tokens > 0

    # Padding-free: each packed batch is one row. Rows (the default): one row per packed sequence, padded to
    # the longest. Either way positions restart at 0 at each example (that is what keeps them from attending
    # to each other) and there is no attention mask.
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    segments_seen = 0
    for batch in packed_batches:
        assert "attention_mask" not in batch
        if padding_free:
            assert batch["input_ids"].shape[0] == 1
        for row in range(batch["input_ids"].shape[0]):
            positions, ids, labels = batch["position_ids"][row], batch["input_ids"][row], batch["labels"][row]
            starts = (positions == 0).nonzero().flatten().tolist() + [len(positions)]
            for begin, end in zip(starts, starts[1:]):
                seg_ids, seg_labels = ids[begin:end], labels[begin:end]
                trained = (seg_labels != -100).nonzero().flatten()
                if end - begin == 1 and len(trained) == 0 and int(seg_ids[0]) == tokenizer.pad_token_id:
                    continue  # padding at the end of a shorter row: its own one-token "sequence", never a target
                assert len(trained) > 0
                first = int(trained[0])
                # Completion-only loss: the labels are exactly the tokens after the prompt, the prompt is masked.
                assert torch.equal(seg_labels[first:], seg_ids[first:])
                assert (seg_labels[:first] == -100).all()
                prompt = tokenizer.decode(seg_ids[:first], skip_special_tokens=True)
                completion = tokenizer.decode(seg_ids[first:], skip_special_tokens=True)
                assert prompt in completion_of, prompt
                assert completion == completion_of[prompt]
                segments_seen += 1
    assert segments_seen == len(data)

