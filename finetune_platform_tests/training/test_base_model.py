"""Base-model settings, folder validation and description (Llama and GPT-2), Hub errors offline."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from finetune_platform.training.base_model import (
    BaseModelSettings,
    ModelFolderError,
    describe_model_folder,
    resolve_base_model,
    resolve_hub_model,
    validate_model_folder,
)
from finetune_platform.training.tiny_model import train_tokenizer
from finetune_platform_tests.training.tiny_data import TINY, corpus


@pytest.fixture(scope="module")
def llama_folder(tmp_path_factory):
    """A tiny Llama folder built by the platform's own recipe (untrained: no pretraining needed here)."""
    cache = tmp_path_factory.mktemp("tiny-cache")
    settings = BaseModelSettings(**TINY.model_copy(update={"pretrain_steps": 0}).model_dump())
    return resolve_base_model(settings, corpus(), cache)


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory):
    """A GPT-2 architecture folder (Conv1D layers, tied head) with a byte-level BPE tokenizer, built locally."""
    from transformers import GPT2Config, GPT2LMHeadModel

    folder = tmp_path_factory.mktemp("gpt2")
    tokenizer = train_tokenizer(corpus(), vocab_size=300)
    tokenizer.save_pretrained(folder)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = GPT2LMHeadModel(config)
    model.save_pretrained(folder)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# test model\n")
    return folder, sum(p.numel() for p in model.parameters()), len(tokenizer)


def test_settings_need_a_name_for_local_and_hub():
    with pytest.raises(ValidationError, match="source='hub' needs name_or_path"):
        BaseModelSettings(source="hub")
    with pytest.raises(ValidationError, match="source='tiny' builds the platform's own model and ignores name_or_path"):
        BaseModelSettings(source="tiny", name_or_path="org/model")
    with pytest.raises(ValidationError, match="revision .* only applies to source='hub'"):
        BaseModelSettings(source="local", name_or_path="/models/x", revision="v2")


def test_settings_expose_tiny_fields():
    settings = BaseModelSettings(hidden_size=64, num_heads=4)
    tiny = settings.tiny_settings()
    assert (tiny.hidden_size, tiny.num_heads) == (64, 4)
    assert not hasattr(tiny, "source")


def test_missing_folder(tmp_path):
    with pytest.raises(ModelFolderError, match="does not exist"):
        validate_model_folder(tmp_path / "nope")


def test_empty_folder_lists_everything_missing(tmp_path):
    with pytest.raises(ModelFolderError) as error:
        validate_model_folder(tmp_path)
    message = str(error.value)
    assert "config.json" in message
    assert "weights (*.safetensors or pytorch_model*.bin)" in message
    assert "tokenizer files" in message


def test_folder_without_tokenizer(tmp_path, llama_folder):
    for name in ("config.json", "model.safetensors"):
        (tmp_path / name).write_bytes((llama_folder / name).read_bytes())
    with pytest.raises(ModelFolderError) as error:
        validate_model_folder(tmp_path)
    assert "tokenizer files" in str(error.value)
    assert "config.json" not in str(error.value).split("missing")[1]


def test_adapter_folder_is_named_as_such(tmp_path):
    (tmp_path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "/models/base"}))
    with pytest.raises(ModelFolderError, match="is a PEFT adapter, not a full model .*'/models/base'"):
        validate_model_folder(tmp_path)


def test_describe_llama(llama_folder):
    from transformers import AutoModelForCausalLM

    info = describe_model_folder(llama_folder)
    model = AutoModelForCausalLM.from_pretrained(llama_folder)
    assert info.architecture == "LlamaForCausalLM"
    assert info.model_type == "llama"
    assert info.n_params == sum(p.numel() for p in model.parameters())
    assert info.vocab_size == model.config.vocab_size
    assert info.license == "apache-2.0"


def test_describe_gpt2(gpt2_folder):
    folder, n_params, vocab = gpt2_folder
    info = describe_model_folder(folder)
    assert info.architecture == "GPT2LMHeadModel"
    assert info.model_type == "gpt2"
    assert info.n_params == n_params  # tied lm_head counted once
    assert info.vocab_size == vocab
    assert info.license == "mit"


def test_resolve_local(llama_folder):
    settings = BaseModelSettings(source="local", name_or_path=str(llama_folder))
    assert resolve_base_model(settings, [], llama_folder.parent) == llama_folder


def test_hub_offline_error_is_actionable(tmp_path):
    with pytest.raises(ModelFolderError, match="is not in the cache .* Hub cannot be reached"):
        resolve_hub_model("org/does-not-exist", "main", tmp_path, local_files_only=True)


def test_a_local_model_folder_replaced_in_place_gets_a_new_fingerprint(tmp_path):
    import os

    from finetune_platform.training.base_model import folder_fingerprint

    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\x00" * 64)
    first = folder_fingerprint(tmp_path)
    assert folder_fingerprint(tmp_path) == first  # nothing changed
    weights.write_bytes(b"\x01" * 64)  # same size, new content: a new modification time
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 1_000_000))
    assert folder_fingerprint(tmp_path) != first
    (tmp_path / "config.json").write_text('{"model_type": "mistral"}')
    assert len({first, folder_fingerprint(tmp_path)}) == 2
