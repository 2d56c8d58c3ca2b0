"""Named training presets: one YAML per hardware target, validated into the stages' settings classes.

A preset (``presets/<name>.yaml``, shipped with the package) has five sections: ``base_model``
(:class:`BaseModelSettings`), ``sft`` (:class:`SFTSettings`), ``dpo`` (:class:`DPOSettings`), ``dapt``
(:class:`DAPTSettings`) and ``launch`` (:class:`LaunchSettings`), plus a one-line ``description``. Each
section is validated by its own class (so the stage's own rules apply, e.g. "packing needs max_length"),
unknown keys are refused (a typo must not silently fall back to a default), and :class:`Preset` adds the
rules that span sections (ZeRO-3 with LoRA needs gathered weights on save; block sizes must fit the tiny
model's positions).

``Preset.deepspeed_config()`` and ``Preset.launch_spec()`` hand the launch section to
``training.deepspeed_config`` and ``training.launch``, which own those conversions.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from finetune_platform.training.base_model import BaseModelSettings
from finetune_platform.training.dapt import DAPTSettings
from finetune_platform.training.dpo import DPOSettings
from finetune_platform.training.launch import Launcher
from finetune_platform.training.sft import SFTSettings

PRESET_PACKAGE = "finetune_platform.training"
PRESET_FOLDER = "presets"


class PresetError(ValueError):
    """A preset that does not exist, or whose YAML is not a valid training configuration."""


class LaunchSettings(BaseModel):
    """How the training processes are started and sharded."""

    model_config = ConfigDict(extra="forbid")

    launcher: Launcher = Field("python", description="python (one process), torchrun, or DeepSpeed's launcher.")
    nproc_per_node: int = Field(1, ge=1, le=64, description="Processes (one per GPU) on each machine.")
    # An int with a check rather than Literal[0, 2, 3]: Dagster's launchpad config takes only string enums.
    zero_stage: int = Field(
        0, ge=0, le=3,
        description="DeepSpeed ZeRO stage: 0 no DeepSpeed, 2 shards optimizer state + gradients, 3 also weights.",
    )  # fmt: skip
    gather_16bit_weights_on_model_save: bool = Field(
        True,
        description=(
            "ZeRO-3: gather the 16-bit weights onto one device to save them (needed for LoRA). Off: rank 0 "
            "rebuilds full-precision weights from the checkpoint shards in host memory (for models too big to gather)."
        ),
    )
    offload: bool = Field(False, description="Offload optimizer state (and ZeRO-3 weights) to CPU memory.")

    @model_validator(mode="after")
    def _consistent(self) -> "LaunchSettings":
        if self.zero_stage == 1:
            raise ValueError("zero_stage=1 is not supported; use 0 (no DeepSpeed), 2 or 3")
        if self.launcher == "python" and self.nproc_per_node > 1:
            raise ValueError(
                f"launcher='python' starts one process but nproc_per_node={self.nproc_per_node}; use "
                "launcher='torchrun' or 'deepspeed' for several processes"
            )
        if self.offload and self.zero_stage == 0:
            raise ValueError("offload=True needs DeepSpeed: set zero_stage to 2 or 3, or offload=False")
        if not self.gather_16bit_weights_on_model_save and self.zero_stage != 3:
            raise ValueError(
                "gather_16bit_weights_on_model_save=False only applies to zero_stage=3 (other stages keep whole "
                "weights on every rank); leave it True"
            )
        return self


class Preset(BaseModel):
    """A complete, validated training configuration for one hardware target."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = Field(min_length=1)
    base_model: BaseModelSettings
    sft: SFTSettings
    dpo: DPOSettings
    dapt: DAPTSettings
    launch: LaunchSettings

    @model_validator(mode="after")
    def _consistent(self) -> "Preset":
        lora_stages = [s for s, m in (("sft", self.sft.method), ("dpo", self.dpo.method)) if m == "lora"]
        if self.launch.zero_stage == 3 and lora_stages and not self.launch.gather_16bit_weights_on_model_save:
            raise ValueError(
                f"ZeRO-3 with LoRA ({', '.join(lora_stages)}) needs launch.gather_16bit_weights_on_model_save=True: "
                "without it every rank saves only its shard and the adapter files hold empty tensors"
            )
        if self.launch.zero_stage and self.launch.launcher == "python":
            # launch.build_env can set the torch.distributed variables by hand, but a preset names the normal way.
            raise ValueError(
                f"zero_stage={self.launch.zero_stage} with launcher='python' fails looking for mpi4py; use "
                "launcher='torchrun' or 'deepspeed'"
            )
        if self.base_model.source == "tiny":
            limit = self.base_model.max_position_embeddings
            for section, length in (("sft.max_length", self.sft.max_length), ("dpo.max_length", self.dpo.max_length),
                                    ("dapt.seq_len", self.dapt.seq_len)):
                if length is not None and length > limit:
                    raise ValueError(
                        f"{section} ({length}) exceeds the tiny model's base_model.max_position_embeddings "
                        f"({limit}); lower it or raise max_position_embeddings"
                    )
        return self

    def deepspeed_config(self) -> dict[str, Any] | None:
        """The DeepSpeed JSON for the SFT stage (None when ``launch.zero_stage`` is 0)."""
        if self.launch.zero_stage == 0:
            return None
        from finetune_platform.training.deepspeed_config import deepspeed_config_for

        return deepspeed_config_for(
            self.sft,
            zero_stage=self.launch.zero_stage,
            offload=self.launch.offload,
            gather_16bit_weights_on_model_save=self.launch.gather_16bit_weights_on_model_save,
        )

    def launch_spec(self, **overrides: Any):
        """A ``training.launch.LaunchSpec`` with this preset's launcher and process count."""
        from finetune_platform.training.launch import LaunchSpec

        return LaunchSpec(launcher=self.launch.launcher, nproc_per_node=self.launch.nproc_per_node, **overrides)


_SECTIONS: dict[str, type[BaseModel]] = {
    "base_model": BaseModelSettings,
    "sft": SFTSettings,
    "dpo": DPOSettings,
    "dapt": DAPTSettings,
    "launch": LaunchSettings,
}


def _preset_dir():
    return resources.files(PRESET_PACKAGE).joinpath(PRESET_FOLDER)


def list_presets() -> list[str]:
    """Names of the shipped presets, sorted."""
    return sorted(entry.name[: -len(".yaml")] for entry in _preset_dir().iterdir() if entry.name.endswith(".yaml"))


def preset_from_dict(name: str, data: dict[str, Any]) -> Preset:
    """Validate a preset given as a dict (what the YAML holds); raise :class:`PresetError` naming every problem."""
    if not isinstance(data, dict):
        raise PresetError(f"preset {name!r} must be a mapping of sections, got {type(data).__name__}")
    problems: list[str] = []
    for section, cls in _SECTIONS.items():
        values = data.get(section) or {}
        if not isinstance(values, dict):
            problems.append(f"{section}: must be a mapping, got {type(values).__name__}")
            continue
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            problems.append(f"{section}: unknown keys {unknown} (known: {sorted(cls.model_fields)})")
    if problems:
        raise PresetError(f"preset {name!r} is invalid: " + "; ".join(problems))
    try:
        return Preset.model_validate({"name": name, **data})
    except ValidationError as error:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'preset'}: {e['msg']}" for e in error.errors(include_url=False)
        )
        raise PresetError(f"preset {name!r} is invalid: {details}") from error


def load_preset(name: str) -> Preset:
    """The shipped preset ``name`` (see :func:`list_presets`), validated."""
    available = list_presets()
    if name not in available:
        raise PresetError(f"no preset named {name!r}; available: {available}")
    text = _preset_dir().joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return preset_from_dict(name, yaml.safe_load(text))
