"""data/curation.yaml: the shipped file, how it is read, and the errors that name file, key and problem."""

import re
from pathlib import Path

import pytest

from finetune_platform.curation import STAGES, CurationSettings
from finetune_platform.curation.settings_file import (
    CURATION_FILE,
    FIELD_STAGE,
    STAGE_FIELDS,
    CurationSettingsError,
    load_curation_settings,
    render_curation_file,
    settings_hash,
    with_overrides,
)
from finetune_platform.settings import PACKAGE_ROOT

CURATION = Path(__file__).resolve().parents[2] / "finetune_platform" / "curation"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "curation.yaml"
    path.write_text(text)
    return path


def test_the_shipped_file_holds_every_setting_at_its_default() -> None:
    shipped = PACKAGE_ROOT / CURATION_FILE
    loaded = load_curation_settings(shipped)
    assert loaded.from_file and loaded.settings == CurationSettings()
    written = set(re.findall(r"^  (\w+):", shipped.read_text(), flags=re.M))
    assert written == set(CurationSettings.model_fields), "regenerate: python -m finetune_platform.curation.settings_file"
    assert shipped.read_text() == render_curation_file()


def test_every_setting_belongs_to_exactly_one_stage_and_each_stage_reads_only_its_own() -> None:
    assert sorted(FIELD_STAGE) == sorted(CurationSettings.model_fields)
    assert list(STAGE_FIELDS) == [name for name, _ in STAGES]  # the file's sections are the pipeline's stages
    assert sum(len(f) for f in STAGE_FIELDS.values()) == len(CurationSettings.model_fields)
    assert "language_filter" in STAGE_FIELDS["normalize"] and "pii_workers" in STAGE_FIELDS["pii"]
    assert "min_quality_score" in STAGE_FIELDS["quality"] and "near_dup_threshold" in STAGE_FIELDS["dedup"]
    # a stage that read another stage's setting would make the per-stage config (and the re-curation of a
    # changed stage only) wrong: every `settings.<name>` in a stage's module is one of its own
    for stage, module in (("normalize", "normalize"), ("pii", "pii"), ("quality", "quality"), ("dedup", "dedup")):
        read = set(re.findall(r"\bsettings\.([a-z_]+)\b", (CURATION / f"{module}.py").read_text()))
        read -= {"model_dump", "model_dump_json", "model_copy"}
        assert read and read <= set(STAGE_FIELDS[stage]), (stage, sorted(read - set(STAGE_FIELDS[stage])))


def test_a_missing_file_means_the_defaults(tmp_path: Path) -> None:
    loaded = load_curation_settings(tmp_path / "data" / "curation.yaml")
    assert not loaded.from_file and loaded.settings == CurationSettings()
    assert loaded.source.startswith("defaults (no ")


def test_the_file_sets_the_settings_and_leaves_the_rest_at_their_defaults(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "normalize:\n  language_filter: false\n  max_text_chars: 5000\n"
        "quality:\n  min_quality_score: 0.8\npii:\n  pii_types: [EMAIL, PHONE]\ndedup:\n",
    )
    settings = load_curation_settings(path).settings
    assert settings.language_filter is False and settings.max_text_chars == 5000
    assert settings.min_quality_score == 0.8 and settings.pii_types == ["EMAIL", "PHONE"]
    assert settings.near_dup_threshold == CurationSettings().near_dup_threshold
    assert load_curation_settings(_write(tmp_path, "# only comments\n")).settings == CurationSettings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a setting under a stage that does not read it would be ignored: refused, saying where it belongs
        ("quality:\n  language_filter: false\n", ["quality.language_filter", "not a quality setting", "under 'normalize:'"]),
        ("dedup:\n  min_quality_score: 0.99\n", ["dedup.min_quality_score", "deduplicated_records would ignore it", "under 'quality:'"]),
        ("min_quality_score: 0.9\n", ["'min_quality_score' must be written under 'quality:'"]),
        ("quality:\n  min_qualty_score: 0.9\n", ["quality.min_qualty_score", "not a curation setting", "did you mean 'min_quality_score'"]),
        ("qualty:\n  min_quality_score: 0.9\n", ["unknown section 'qualty'", "did you mean 'quality'"]),
        ("quality:\n  min_quality_score: 1.5\n", ["quality.min_quality_score", "less than or equal to 1", "(got 1.5)"]),
        ("normalize:\n  language_filter: 'no'\n", ["normalize.language_filter", "valid boolean", "(got 'no')"]),
        ("quality:\n  min_quality_score: 1e-3\n", ["quality.min_quality_score", "(got '1e-3')"]),
        ("dedup:\n  near_dup_method: fuzzy\n", ["dedup.near_dup_method", "'minhash_lsh' or 'exact'"]),
        ("normalize:\n  min_text_chars: 50\n  max_text_chars: 40\n", ["min_text_chars (50) must be below max_text_chars (40)"]),
        ("quality:\n  min_quality_score: 0.5\n  min_quality_score: 0.9\n", ["not valid YAML", "'min_quality_score' appears twice"]),
        ("quality: [min_quality_score]\n", ["'quality' must map settings to values"]),
        ("- quality\n", ["expected a mapping of stage sections"]),
        ("quality:\n  min_quality_score: [0.5\n", ["not valid YAML"]),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_the_key_and_the_problem(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CurationSettingsError) as error:
        load_curation_settings(path)
    message = str(error.value)
    assert message.startswith(str(path)), message
    for part in expected:
        assert part in message, (part, message)


def test_every_misplaced_key_is_named_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "quality:\n  language_filter: false\n  near_dup_threshold: 0.9\nqualty: {}\n")
    with pytest.raises(CurationSettingsError) as error:
        load_curation_settings(path)
    lines = str(error.value).splitlines()
    assert len(lines) == 3 and all(line.startswith(str(path)) for line in lines)
    assert "under 'normalize:'" in lines[0] and "under 'dedup:'" in lines[1] and "'qualty'" in lines[2]


def test_overrides_change_one_stage_and_refuse_another_stages_settings() -> None:
    base = CurationSettings(min_quality_score=0.8)
    changed = with_overrides(base, "quality", {"require_response": True}, "run config of scored_records")
    assert changed.require_response and changed.min_quality_score == 0.8
    assert with_overrides(base, "quality", {}, "x") is base
    with pytest.raises(CurationSettingsError, match=r"run config of scored_records: 'quality.language_filter'.*under 'normalize:'"):
        with_overrides(base, "quality", {"language_filter": False}, "run config of scored_records")
    with pytest.raises(CurationSettingsError, match=r"run config of normalized_records: normalize.min_text_chars.*\(got 0\)"):
        with_overrides(base, "normalize", {"min_text_chars": 0}, "run config of normalized_records")


def test_the_settings_hash_follows_the_stages_own_settings_only() -> None:
    default = CurationSettings()
    assert settings_hash(default, "quality") == settings_hash(CurationSettings(), "quality")
    assert settings_hash(CurationSettings(min_quality_score=0.8), "quality") != settings_hash(default, "quality")
    assert settings_hash(CurationSettings(min_quality_score=0.8), "normalize") == settings_hash(default, "normalize")
    # pii_workers changes how the stage runs, not what it returns
    assert settings_hash(CurationSettings(pii_workers=4), "pii") == settings_hash(default, "pii")
    assert settings_hash(CurationSettings(pii_types=["EMAIL"]), "pii") != settings_hash(default, "pii")


def test_pii_types_in_another_order_or_repeated_are_the_same_setting() -> None:
    from finetune_platform.curation.config import PII_TYPES

    default = CurationSettings()
    shuffled = CurationSettings(pii_types=[*reversed(PII_TYPES), "EMAIL"])
    assert shuffled.pii_types == default.pii_types == list(PII_TYPES)
    assert settings_hash(shuffled, "pii") == settings_hash(default, "pii")
    two = CurationSettings(pii_types=["PHONE", "EMAIL"])
    assert two.pii_types == [t for t in PII_TYPES if t in ("PHONE", "EMAIL")]
    assert settings_hash(two, "pii") == settings_hash(CurationSettings(pii_types=["EMAIL", "PHONE", "PHONE"]), "pii")
