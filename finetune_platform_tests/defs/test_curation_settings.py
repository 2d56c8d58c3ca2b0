"""The curation assets take their settings from data/curation.yaml (automated runs included); a run's config
may change a stage's own settings only; the metadata says where the settings came from."""

import functools
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from finetune_platform.curation.config import CurationSettings
from finetune_platform.curation.settings_file import load_curation_settings, settings_hash
from finetune_platform.defs.automation import curation_settings_sensor, nightly_retrain_schedule
from finetune_platform.defs.curate import deduplicated_records, normalized_records, pii_redacted_records, scored_records
from finetune_platform.defs.partitions import SOURCE_PARTITIONS
from finetune_platform.resources import PlatformResource

ENGLISH = "s1/f#0"  # a good English ticket whose answer shares no word with it: quality 0.78
GERMAN = "s1/f#1"  # German: dropped by the language filter


@dg.asset(partitions_def=SOURCE_PARTITIONS)
def raw_corpus() -> pd.DataFrame:
    rows = [
        ("My card was charged twice this month, where is my refund?",
         "You will see the money back on your statement within five working days."),
        ("Wo ist meine Bestellung, bitte helfen Sie mir schnell?", ""),
    ]
    return pd.DataFrame({
        "record_id": [ENGLISH, GERMAN], "source": "s1", "source_file": "f", "source_row": [0, 1], "doc_type": "ticket",
        "text": [r[0] for r in rows], "response": [r[1] for r in rows], "label": "", "messages": "",
    })  # fmt: skip


ASSETS = [raw_corpus, normalized_records, pii_redacted_records, scored_records, deduplicated_records]
PER_SOURCE = [raw_corpus, normalized_records, pii_redacted_records, scored_records]


def _curation_file(root: Path, text: str) -> None:
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "curation.yaml").write_text(text)


def _run(root: Path, instance: dg.DagsterInstance, selection: list, ops: dict[str, Any] | None = None,
         partition: str | None = "s1") -> dg.ExecuteInProcessResult:
    return dg.materialize(
        ASSETS, selection=selection, partition_key=partition, instance=instance,
        resources={"platform": PlatformResource(root=str(root))},
        run_config={"ops": {name: {"config": config} for name, config in (ops or {}).items()}},
        raise_on_error=False,
    )  # fmt: skip


def _sensor(instance: dg.DagsterInstance, root: Path) -> dg.SensorResult | dg.SkipReason:
    with dg.build_sensor_context(instance=instance, resources={"platform": PlatformResource(root=str(root))}) as context:
        return curation_settings_sensor(context)


def _nightly(instance: dg.DagsterInstance, root: Path) -> dg.RunRequest | dg.SkipReason:
    with dg.build_schedule_context(instance=instance, resources={"platform": PlatformResource(root=str(root))}) as context:
        return nightly_retrain_schedule(context)


def _metadata(instance: dg.DagsterInstance, asset: str, partition: str | None = "s1") -> dict[str, Any]:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition] if partition else None),
        limit=1,
    ).records
    return {k: getattr(v, "value", v) for k, v in records[0].asset_materialization.metadata.items()}


@pytest.fixture
def instance(tmp_path: Path):
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["s1"])
        yield instance


def test_a_run_without_config_curates_under_the_file(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    """What the sensors and the schedule start (no run config) follows the file, stage by stage."""
    _curation_file(tmp_path, "normalize:\n  language_filter: false\nquality:\n  min_quality_score: 0.9\n")
    assert _run(tmp_path, instance, PER_SOURCE).success
    normalized = _metadata(instance, "normalized_records")
    assert normalized["rows"] == 2 and normalized["rows_dropped"] == 0  # German kept: the filter is off
    scored = _metadata(instance, "scored_records")
    assert scored["rows_dropped"] >= 1 and "low_quality_score" in scored["dropped_by_reason"]
    loaded = load_curation_settings(tmp_path / "data" / "curation.yaml").settings
    for asset, stage in (("normalized_records", "normalize"), ("pii_redacted_records", "pii"), ("scored_records", "quality")):
        meta = _metadata(instance, asset)
        assert meta["settings_from"] == "data/curation.yaml", asset
        assert meta["settings_hash"] == meta["settings_file_hash"] == settings_hash(loaded, stage), asset
    assert _metadata(instance, "normalized_records")["settings"]["language_filter"] is False
    assert _metadata(instance, "scored_records")["settings"]["min_quality_score"] == 0.9


def test_without_a_file_the_defaults_are_used_and_said(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    assert _run(tmp_path, instance, PER_SOURCE).success
    meta = _metadata(instance, "normalized_records")
    assert meta["settings_from"] == "defaults (no data/curation.yaml)"
    assert meta["settings_hash"] == settings_hash(CurationSettings(), "normalize")
    assert meta["rows"] == 1 and "not_english" in meta["dropped_by_reason"]


def test_another_stages_setting_in_run_config_is_refused_before_the_run(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    # the audit's case: the language filter switched off on scored_records, a quality bar on the dedup asset
    with pytest.raises(dg.DagsterInvalidConfigError, match='unexpected config entry "language_filter" at path root:ops:scored_records'):
        _run(tmp_path, instance, PER_SOURCE, {"scored_records": {"language_filter": False}})
    with pytest.raises(dg.DagsterInvalidConfigError, match='unexpected config entry "min_quality_score"'):
        _run(tmp_path, instance, [deduplicated_records], {"deduplicated_records": {"min_quality_score": 0.99}}, None)


def test_run_config_overrides_the_file_for_its_own_stage(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    _curation_file(tmp_path, "normalize:\n  language_filter: false\n")
    assert _run(tmp_path, instance, PER_SOURCE, {"normalized_records": {"language_filter": True}}).success
    meta = _metadata(instance, "normalized_records")
    assert meta["settings_from"] == "data/curation.yaml + run config (language_filter)"
    assert meta["rows"] == 1 and meta["settings_hash"] != meta["settings_file_hash"]
    # an override out of bounds fails the step naming the asset, the setting and the value
    failed = _run(tmp_path, instance, PER_SOURCE, {"scored_records": {"min_quality_score": 1.5}})
    assert not failed.success
    message = str([e for e in failed.all_events if e.is_step_failure][0].event_specific_data.error)
    assert "run config of scored_records: quality.min_quality_score" in message and "(got 1.5)" in message


def test_an_invalid_file_fails_the_run_naming_file_and_key(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    _curation_file(tmp_path, "quality:\n  language_filter: false\n")
    result = _run(tmp_path, instance, PER_SOURCE)
    assert not result.success
    message = str([e for e in result.all_events if e.is_step_failure][0].event_specific_data.error)
    assert "curation.yaml: 'quality.language_filter'" in message and "under 'normalize:'" in message


def test_a_change_to_the_file_recurates_and_the_sensor_asks_for_it(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    _curation_file(tmp_path, "quality:\n  min_quality_score: 0.7\n")
    assert _run(tmp_path, instance, PER_SOURCE).success
    assert _run(tmp_path, instance, PER_SOURCE).success  # same file: the cached result is reused
    assert _metadata(instance, "normalized_records")["incremental_files_reused"] == 1
    skip = _sensor(instance, tmp_path)
    assert isinstance(skip, dg.SkipReason) and "curated under the settings" in skip.skip_message
    assert "curation code" in skip.skip_message

    _curation_file(tmp_path, "quality:\n  min_quality_score: 0.9\n")
    request = _sensor(instance, tmp_path)
    assert [r.partition_key for r in request.run_requests] == ["s1"]
    again = _sensor(instance, tmp_path)
    assert again.run_requests[0].run_key == request.run_requests[0].run_key  # one run per change, not per tick
    assert _run(tmp_path, instance, PER_SOURCE).success
    assert _metadata(instance, "scored_records")["incremental_files_curated"] == 1  # the new settings re-curate
    assert "low_quality_score" in _metadata(instance, "scored_records")["dropped_by_reason"]
    done = _sensor(instance, tmp_path)
    assert isinstance(done, dg.SkipReason)

    # a dedup change needs no re-curation of the sources, but the nightly retrain runs for it
    assert _run(tmp_path, instance, [deduplicated_records], partition=None).success
    assert isinstance(_nightly(instance, tmp_path), dg.SkipReason)
    _curation_file(tmp_path, "quality:\n  min_quality_score: 0.9\ndedup:\n  near_dup_threshold: 0.9\n")
    assert isinstance(_sensor(instance, tmp_path), dg.SkipReason)
    retrain = _nightly(instance, tmp_path)
    assert isinstance(retrain, dg.RunRequest) and "dedup-settings" in retrain.run_key
    assert _metadata(instance, "deduplicated_records", None)["settings_from"] == "data/curation.yaml"


def test_a_new_release_of_the_curation_code_re_curates_every_source_once(
    tmp_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade that changes the curation code (an improved detector) invalidates every cache entry, but the
    records of a source whose files never change again were still what the old code made: the sensor asks
    for one re-curation per source, and the stages' metadata says which code version curated them."""
    from finetune_platform.curation import incremental

    assert _run(tmp_path, instance, PER_SOURCE).success
    version = _metadata(instance, "scored_records")["curation_code_version"]
    assert version == incremental.code_fingerprint()[:16]
    assert isinstance(_sensor(instance, tmp_path), dg.SkipReason)

    monkeypatch.setattr(incremental, "code_fingerprint", functools.lru_cache(maxsize=1)(lambda: "f" * 64))  # next release
    request = _sensor(instance, tmp_path)
    assert [r.partition_key for r in request.run_requests] == ["s1"]
    assert _sensor(instance, tmp_path).run_requests[0].run_key == request.run_requests[0].run_key  # once per release
    assert _run(tmp_path, instance, PER_SOURCE).success
    for asset in ("normalized_records", "pii_redacted_records", "scored_records"):
        meta = _metadata(instance, asset)
        assert (meta["incremental_files_curated"], meta["incremental_files_reused"]) == (1, 0), asset
        assert meta["curation_code_version"] == "f" * 16
    assert isinstance(_sensor(instance, tmp_path), dg.SkipReason)  # once, not on every tick

    # rolled back to the release before, then forward again: each time the records are what the other code
    # made, so each is a run, under a key the daemon has not launched yet (it never launches a key twice)
    keys = [request.run_requests[0].run_key]
    for release in (version.ljust(64, "0"), "f" * 64):
        monkeypatch.setattr(incremental, "code_fingerprint", functools.lru_cache(maxsize=1)(lambda r=release: r))
        again = _sensor(instance, tmp_path)
        assert [r.partition_key for r in again.run_requests] == ["s1"]
        keys.append(again.run_requests[0].run_key)
        assert _run(tmp_path, instance, PER_SOURCE).success
        assert isinstance(_sensor(instance, tmp_path), dg.SkipReason)
    assert len(set(keys)) == 3, keys


def test_with_redaction_off_the_previews_are_redacted_all_the_same(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    """redact_pii: false only counts PII, so the records keep it; the previews and cluster excerpts in the
    metadata (what everyone with the UI reads) are redacted anyway."""
    email = "chidi.okeke@example.com"

    @dg.asset(partitions_def=SOURCE_PARTITIONS, name="raw_corpus")
    def raw_with_pii() -> pd.DataFrame:
        text = f"Hi, write to {email}: my card was charged twice this month, where is my refund?"
        reply = "You will see the money back on your statement within five working days."
        return pd.DataFrame({
            "record_id": ["s1/f#0", "s1/f#1"], "source": "s1", "source_file": "f", "source_row": [0, 1],
            "doc_type": "ticket", "text": [text, text], "response": [reply, reply], "label": "", "messages": "",
        })  # fmt: skip

    _curation_file(tmp_path, "pii:\n  redact_pii: false\n")
    assets = [raw_with_pii, *ASSETS[1:]]
    kwargs = {"instance": instance, "resources": {"platform": PlatformResource(root=str(tmp_path))}}
    assert dg.materialize(assets[:4], partition_key="s1", **kwargs).success
    assert dg.materialize(assets, selection=[deduplicated_records], **kwargs).success
    assert _metadata(instance, "pii_redacted_records")["rows"] == 2  # PII counted, kept in the records
    for asset in ("pii_redacted_records", "scored_records", "deduplicated_records"):
        meta = _metadata(instance, asset, None if asset == "deduplicated_records" else "s1")
        assert email not in str(meta["preview"]) and "<EMAIL" in str(meta["preview"]), asset
    examples = _metadata(instance, "deduplicated_records", None)["cluster_examples"]
    assert examples and email not in str(examples)
