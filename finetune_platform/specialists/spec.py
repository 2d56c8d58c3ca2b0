"""The specialists file (``data/specialists.yaml``): which specialist models exist and what they cover.

::

    min_confidence: 0.7        # the router's bar: below it the generalist (the champion) answers
    min_gain: 0.0              # accuracy a specialist must gain over the generalist on its domain to serve it
    specialists:
      billing:
        labels: [billing, refund]
        settings: {num_epochs: 4.0}   # SFTSettings fields changed for this specialist (optional)
      technical:
        labels: [technical_issue, product_question]

Each specialist is a partition of the ``specialist_model`` asset: fine-tuned on the training examples of
its labels only, scored against the generalist on its domain's held-out examples, and deployed (registry
alias ``specialist-<name>``) only when it is better there. The ``router`` asset learns which domain a
request belongs to.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from finetune_platform.training.sft import SFTSettings
from finetune_platform.yaml_files import load_yaml

#: Specialist names become partition keys, registry aliases and folder names.
SPECIALIST_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
#: The registry alias of a deployed specialist: ``specialist-<name>``.
ALIAS_PREFIX = "specialist-"
#: The router's class for requests outside every specialist's domain.
GENERAL = "general"


class SpecialistsError(ValueError):
    """A specialists file that cannot be read or whose content is not valid; the message says where."""


class Specialist(BaseModel):
    """One specialist: the labels of its domain and its SFT settings changes."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key ("setings") is an error, not ignored

    labels: list[str] = Field(min_length=1, description="The categories (curated record labels) of this domain.")
    settings: dict[str, Any] = Field(default_factory=dict, description="SFTSettings fields changed for this specialist.")


class SpecialistsSpec(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")  # "min_confidance" is an error, not the default silently

    min_confidence: float = Field(0.7, ge=0.0, le=1.0, description="Router probability below which the generalist answers.")
    min_gain: float = Field(0.0, ge=-1.0, le=1.0, description="Accuracy gain over the generalist a specialist needs to serve.")
    specialists: dict[str, Specialist] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _domains_are_disjoint(self) -> "SpecialistsSpec":
        owner: dict[str, str] = {}
        for name, spec in self.specialists.items():
            for label in spec.labels:
                if label in owner:
                    raise ValueError(f"label {label!r} belongs to both {owner[label]!r} and {name!r}; a label has one specialist")
                owner[label] = name
        return self

    def domain_of(self) -> dict[str, str]:
        """label -> the specialist whose domain it is."""
        return {label: name for name, spec in self.specialists.items() for label in spec.labels}

    def sft_settings(self, name: str, base: SFTSettings | None = None) -> SFTSettings:
        """The SFT settings of specialist ``name``: ``base`` (default: SFTSettings()) with its changes."""
        if name not in self.specialists:
            raise SpecialistsError(f"no specialist named {name!r}; the file defines {sorted(self.specialists)}")
        values = {**(base or SFTSettings()).model_dump(), **self.specialists[name].settings}
        try:
            return SFTSettings.model_validate(values)
        except ValidationError as error:
            details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False))
            raise SpecialistsError(f"specialist {name!r}: its settings are not a valid SFT configuration: {details}") from error


def alias_of(name: str) -> str:
    """The registry alias of specialist ``name``."""
    return f"{ALIAS_PREFIX}{name}"


def load_specialists(path: Path | str) -> SpecialistsSpec:
    """Read and validate the specialists file; a missing file is an empty spec (no specialists)."""
    path = Path(path)
    if not path.is_file():
        return SpecialistsSpec()
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SpecialistsError(f"specialists file {path} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise SpecialistsError(f"specialists file {path} must be a mapping with a 'specialists' section")
    specialists = data.get("specialists") or {}
    if not isinstance(specialists, dict):
        raise SpecialistsError(f"specialists file {path}: 'specialists' must map names to {{labels, settings}}")
    bad = [n for n in specialists if not SPECIALIST_NAME.match(str(n)) or str(n) == GENERAL]
    if bad:
        raise SpecialistsError(
            f"specialists file {path}: names {bad} must be 1-40 lower-case letters, digits, '_' or '-' and not "
            f"{GENERAL!r} (they become partition keys and registry aliases)"
        )
    try:
        spec = SpecialistsSpec.model_validate({**data, "specialists": specialists})
    except ValidationError as error:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False))
        raise SpecialistsError(f"specialists file {path} is invalid: {details}") from error
    for name, specialist in spec.specialists.items():
        unknown = sorted(set(specialist.settings) - set(SFTSettings.model_fields))
        if unknown:
            raise SpecialistsError(
                f"specialists file {path}: specialist {name!r} has unknown SFT settings {unknown}; "
                f"known: {sorted(SFTSettings.model_fields)}"
            )
        spec.sft_settings(name)
    return spec
