"""bf16 follows the hardware unless a stage sets it: emulated bfloat16 on a CPU without AVX512-BF16/AMX was
20x slower than float32 for the tiny Llama."""

from __future__ import annotations

import logging

import pytest

from finetune_platform.training import precision
from finetune_platform.training.deepspeed_config import DeepSpeedConfigError, check_compatible, deepspeed_config_for
from finetune_platform.training.sft import SFTSettings, to_trl_config
from finetune_platform.training.tiny_model import TinyModelSettings, cache_key


@pytest.fixture
def native(monkeypatch):
    """Pretend the CPU does (True) or does not (False) compute bfloat16 natively."""

    def set_native(value: bool) -> None:
        monkeypatch.setattr(precision, "native_bf16", lambda device: value)
        monkeypatch.setattr(precision, "training_device", lambda: "cpu")

    return set_native


def test_auto_is_native_support_and_an_explicit_setting_wins(native, caplog):
    native(True)
    assert precision.resolve_bf16(None) is True
    assert precision.resolve_bf16(False) is False
    native(False)
    assert precision.resolve_bf16(None) is False
    precision._warn_emulated.cache_clear()
    with caplog.at_level(logging.WARNING, logger=precision.__name__):
        assert precision.resolve_bf16(True) is True
    assert "emulates it" in caplog.text


def test_the_defaults_are_auto_and_reach_the_trainer_and_deepspeed(native, tmp_path):
    assert SFTSettings().bf16 is None and TinyModelSettings().bf16 is None
    for value in (True, False):
        native(value)
        assert to_trl_config(SFTSettings(), tmp_path).bf16 is value
        assert deepspeed_config_for(SFTSettings(), 2)["bf16"] == {"enabled": value}
    native(False)
    with pytest.raises(DeepSpeedConfigError, match=r"SFTSettings.bf16=None \(auto: False on this machine\)"):
        check_compatible({"bf16": {"enabled": True}}, SFTSettings())


def test_the_tiny_model_cache_key_holds_the_resolved_precision(native):
    native(True)
    on = cache_key(["a text"], TinyModelSettings())
    assert on == cache_key(["a text"], TinyModelSettings(bf16=True))
    native(False)
    assert cache_key(["a text"], TinyModelSettings()) == cache_key(["a text"], TinyModelSettings(bf16=False)) != on


def test_native_support_is_read_from_torch():
    import torch

    expected = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    assert precision.native_bf16("cpu") is bool(expected)
    assert precision.native_bf16("cuda") is bool(
        torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    )


def test_a_gpu_that_only_emulates_bfloat16_trains_in_float32_by_default(monkeypatch):
    """A T4 (compute capability 7.5) reports bfloat16 "supported" by emulation: the automatic choice is off."""
    import torch

    precision.native_bf16.cache_clear()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation)
    try:
        assert precision.native_bf16("cuda") is False
        assert precision.resolve_bf16(None, "cuda") is False
    finally:
        precision.native_bf16.cache_clear()
