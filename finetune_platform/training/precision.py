"""Mixed precision that fits the hardware: bfloat16 where it is computed natively, float32 elsewhere.

A stage's ``bf16`` setting is ``True``, ``False`` or ``None`` (auto, the default of SFT and of the tiny
base model). Auto turns bfloat16 on for a CUDA GPU that supports it and for a CPU with AVX512-BF16 or AMX
(recent Intel Xeons), and off elsewhere: on a CPU without them PyTorch emulates bfloat16, and a training step
of the tiny Llama under bf16 autocast took 8.5 s against 0.4 s in float32 on an AVX2 AMD EPYC (2 cores),
where the same step was about 1.8x faster in bf16 on an AVX512-BF16 Xeon. An explicit ``True`` is honoured
everywhere, with a warning where it is emulated.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Literal

logger = logging.getLogger(__name__)

Device = Literal["cpu", "cuda"]


def training_device() -> Device:
    """Where a training process started now computes: ``cuda`` when a GPU is visible, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@cache
def native_bf16(device: Device) -> bool:
    """True where bfloat16 math runs natively: a CUDA GPU that supports it, or a CPU with AVX512-BF16 or AMX
    tiles (``torch.cpu``'s feature checks; a PyTorch without them counts as no)."""
    import torch

    if device == "cuda":
        # including_emulation=False: a T4 or V100 (compute capability < 8.0) "supports" bfloat16 only by
        # emulating it, slower than float16 or float32, which is not what the automatic choice is for.
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False))
    checks = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(bool(check()) for check in checks if callable(check))


def resolve_bf16(requested: bool | None, device: Device | None = None) -> bool:
    """The ``bf16`` a stage trains with on ``device`` (default: :func:`training_device`): ``requested`` when
    set, else whether the device computes bfloat16 natively."""
    device = device or training_device()
    native = native_bf16(device)
    if requested is None:
        return native
    if requested and not native:
        _warn_emulated(device)
    return bool(requested)


@cache
def _warn_emulated(device: Device) -> None:
    logger.warning(
        "bf16 is on but this %s has no native bfloat16 (no AVX512-BF16 or AMX on a CPU): PyTorch emulates it, "
        "which can be 10-20x slower than float32. Leave bf16 unset (auto) to train in float32 here.",
        device,
    )
