"""The curation settings file (``data/curation.yaml``): the thresholds every curation run uses.

The file has one section per stage, named as in :data:`finetune_platform.curation.pipeline.STAGES`::

    normalize:
      max_text_chars: 20000
    quality:
      min_quality_score: 0.7
    dedup:
      near_dup_threshold: 0.8

A setting left out keeps its default (``CurationSettings``); a missing file means every default. Each stage
asset of the Dagster layer reads this file on every run (a launch from the UI, the sensors, the nightly
schedule), so automated runs curate under the settings the user wrote, and a launch's run config may
change one stage's own settings for that run only. A key that is not a setting, or a setting written
under a stage that does not read it, is an error naming the file, the key and where it belongs.

Plain Python: Dagster only calls :func:`load_curation_settings` and :func:`with_overrides`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import ValidationError

from finetune_platform.curation.config import EXECUTION_SETTINGS, CurationSettings
from finetune_platform.yaml_files import load_yaml

#: Where the file lives, relative to the project root (``Settings.root``).
CURATION_FILE = Path("data") / "curation.yaml"

#: The stages in pipeline order, each with the first field of its section of ``CurationSettings``: a
#: stage's settings are that field and every one declared after it, up to the next stage's first field
#: (the class is written in sections, one per stage; a field added to a section belongs to its stage).
_FIRST_FIELD: dict[str, str] = {
    "normalize": "fix_unicode",
    "pii": "redact_pii",
    "quality": "require_response",
    "dedup": "exact_dedup",
}

#: The Dagster asset of each stage (what the errors and the README call them).
STAGE_ASSETS: dict[str, str] = {
    "normalize": "normalized_records",
    "pii": "pii_redacted_records",
    "quality": "scored_records",
    "dedup": "deduplicated_records",
}


def _stage_fields() -> dict[str, tuple[str, ...]]:
    order = list(CurationSettings.model_fields)
    starts = [order.index(first) for first in _FIRST_FIELD.values()]
    if starts != sorted(starts) or starts[0] != 0:
        raise RuntimeError(
            f"CurationSettings' sections are out of order: the first fields {list(_FIRST_FIELD.values())} must come "
            "in pipeline order, the first one first (see curation/settings_file.py)"
        )
    bounds = [*starts, len(order)]
    return {stage: tuple(order[bounds[i] : bounds[i + 1]]) for i, stage in enumerate(_FIRST_FIELD)}


#: stage -> the CurationSettings fields it reads (and only it).
STAGE_FIELDS: dict[str, tuple[str, ...]] = _stage_fields()
#: field -> the stage that reads it.
FIELD_STAGE: dict[str, str] = {name: stage for stage, names in STAGE_FIELDS.items() for name in names}


class CurationSettingsError(ValueError):
    """A curation settings file or override that cannot be used; the message names the file (or run config),
    the key and what is wrong."""


@dataclass(frozen=True)
class LoadedCurationSettings:
    """Settings read from a file, and where they came from (for asset metadata).

    ``source``: the file's path, or ``"defaults (no <path>)"`` when there is no file."""

    settings: CurationSettings
    source: str
    from_file: bool


def _unknown_key(where: str, key: str, stage: str | None) -> str:
    """Why ``key`` (found under ``stage``, or at the top when None) is refused, with what to write instead."""
    if key in FIELD_STAGE:
        belongs = FIELD_STAGE[key]
        if stage is None:
            return f"{where}: '{key}' must be written under '{belongs}:' (the {belongs} stage reads it)"
        return (
            f"{where}: '{stage}.{key}': {key} is not a {stage} setting, so {STAGE_ASSETS[stage]} would ignore it; "
            f"it belongs under '{belongs}:' ({STAGE_ASSETS[belongs]} reads it)"
        )
    known = list(STAGE_FIELDS[stage]) if stage else list(STAGE_FIELDS)
    close = difflib.get_close_matches(str(key), known + list(FIELD_STAGE), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    if stage is None:
        return f"{where}: unknown section '{key}'{hint} The sections are {list(STAGE_FIELDS)}"
    return f"{where}: '{stage}.{key}' is not a curation setting{hint} The {stage} settings are {known}"


def _validation_message(where: str, error: ValidationError, values: Mapping[str, Any]) -> str:
    problems = []
    for item in error.errors(include_url=False):
        name = ".".join(str(p) for p in item["loc"])
        field = str(item["loc"][0]) if item["loc"] else ""
        label = f"{FIELD_STAGE[field]}.{name}" if field in FIELD_STAGE else (name or "settings (a rule across fields)")
        given = f" (got {values[field]!r})" if field in values else ""
        problems.append(f"{label}: {item['msg'].removeprefix('Value error, ')}{given}")
    return f"{where}: " + "; ".join(problems)


def settings_from_sections(sections: Any, where: str) -> CurationSettings:
    """``CurationSettings`` from ``{stage: {setting: value}}`` (a parsed file), refusing unknown sections,
    settings under the wrong stage and invalid values; errors start with ``where``."""
    if sections is None:
        return CurationSettings()
    if not isinstance(sections, dict):
        raise CurationSettingsError(
            f"{where}: expected a mapping of stage sections {list(STAGE_FIELDS)}, found {type(sections).__name__}"
        )
    values: dict[str, Any] = {}
    problems: list[str] = []  # every misplaced or unknown key at once, so that the file is fixed in one go
    for stage, entries in sections.items():
        if stage not in STAGE_FIELDS:
            problems.append(_unknown_key(where, str(stage), None))
            continue
        if entries is None:
            continue
        if not isinstance(entries, dict):
            problems.append(
                f"{where}: '{stage}' must map settings to values (e.g. '{stage}:\\n  {STAGE_FIELDS[stage][0]}: ...'), "
                f"found {type(entries).__name__}"
            )
            continue
        for key, value in entries.items():
            if key in STAGE_FIELDS[stage]:
                values[key] = value
            else:
                problems.append(_unknown_key(where, str(key), stage))
    if problems:
        raise CurationSettingsError("\n".join(problems))
    try:
        # strict: 'true' or '3' in quotes is a string, not a bool or a number, said rather than converted
        return CurationSettings.model_validate(values, strict=True)
    except ValidationError as error:
        raise CurationSettingsError(_validation_message(where, error, values)) from error


def load_curation_settings(path: Path | str) -> LoadedCurationSettings:
    """Read and validate the curation settings file at ``path``; a missing file means every default."""
    path = Path(path)
    if not path.exists():
        return LoadedCurationSettings(CurationSettings(), f"defaults (no {path})", from_file=False)
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CurationSettingsError(f"{path}: not valid YAML: {error}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise CurationSettingsError(f"{path}: cannot be read: {error}") from error
    return LoadedCurationSettings(settings_from_sections(document, str(path)), str(path), from_file=True)


def with_overrides(
    settings: CurationSettings, stage: str, overrides: Mapping[str, Any], where: str
) -> CurationSettings:
    """``settings`` with ``overrides`` (settings of ``stage`` only: another stage's would be ignored, so it is
    refused) applied and the whole validated again (bounds, cross-field rules)."""
    for key in overrides:
        if key not in STAGE_FIELDS[stage]:
            raise CurationSettingsError(_unknown_key(where, str(key), stage))
    if not overrides:
        return settings
    values = {**settings.model_dump(), **overrides}
    try:
        return CurationSettings.model_validate(values)
    except ValidationError as error:
        raise CurationSettingsError(_validation_message(where, error, dict(overrides))) from error


def stage_settings(settings: CurationSettings, stage: str) -> dict[str, Any]:
    """The values of the settings ``stage`` reads (JSON types)."""
    dumped = settings.model_dump(mode="json")
    return {name: dumped[name] for name in STAGE_FIELDS[stage]}


def settings_hash(settings: CurationSettings, stage: str) -> str:
    """A short hash of what ``stage``'s output depends on in ``settings`` (its settings, less the ones that
    change only how it runs, such as pii_workers): equal hashes, same curation."""
    values = {k: v for k, v in stage_settings(settings, stage).items() if k not in EXECUTION_SETTINGS}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def render_curation_file() -> str:
    """The shipped ``data/curation.yaml``: every setting at its default, with its description as a comment."""
    lines = [
        "# Curation settings: the thresholds of normalized_records, pii_redacted_records, scored_records and",
        "# deduplicated_records. Every run reads this file (a launch from the UI, raw_files_sensor's ingests, the",
        "# nightly retrain), and curation_settings_sensor re-curates each source when its stages' settings here",
        "# change. A launch's run config may change one stage's own settings for that run only.",
        "# A setting left out keeps the default shown here; an unknown key, or a setting under the wrong stage,",
        "# is an error. Each asset's metadata records settings_from and settings_hash.",
        "# Regenerate this file with the defaults: python -m finetune_platform.curation.settings_file",
    ]
    defaults = CurationSettings().model_dump(mode="json")
    for stage, names in STAGE_FIELDS.items():
        lines += ["", f"{stage}:  # {STAGE_ASSETS[stage]}"]
        for name in names:
            description = CurationSettings.model_fields[name].description or ""
            lines += textwrap.wrap(description, width=108, initial_indent="  # ", subsequent_indent="  # ")
            value = yaml.safe_dump({name: defaults[name]}, default_flow_style=True, width=1000).strip()
            lines.append(f"  {value[1:-1]}")  # '{key: value}' -> 'key: value'
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_curation_file(), end="")
