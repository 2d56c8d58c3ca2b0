"""The real ``training_set`` and ``published_training_set`` assets with the real blocking checks: a version the
checks reject is never added to DVC or pushed, a clean one is pushed as the hash training recorded, the
manifest's raw-file hashes are the curated records' own, and a split the config asked for that came out empty
fails the expectations gate.

The upstream assets are fakes returning planted data (``test_data_gates`` builds it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from finetune_platform.datasets.split import read_manifest
from finetune_platform.datasets.versioning import DvcRepository, folder_md5
from finetune_platform.defs.version import (
    published_training_set,
    training_set,
    training_set__expectations,
    training_set__no_leakage,
    training_set__no_pii,
)
from finetune_platform.formats.conversations import CONVERSATION_COLUMNS
from finetune_platform.ingest.raw_files import RAW_FILES_DIR, write_raw_files_index
from finetune_platform.resources import DvcResource, PlatformResource
from finetune_platform.schemas import SOURCE_SHA256_COLUMN
from finetune_platform_tests.defs.test_data_gates import _checks, _materialized, _md_rows, curated, good_splits

CHECKS = [training_set__no_leakage, training_set__expectations, training_set__no_pii]


def _examples() -> pd.DataFrame:
    return pd.concat(good_splits().values(), ignore_index=True)


def materialize(
    root: Path,
    examples: pd.DataFrame,
    records: pd.DataFrame | None = None,
    split: dict[str, Any] | None = None,
    conversations: pd.DataFrame | None = None,
) -> dg.ExecuteInProcessResult:
    """training_set -> published_training_set -> a fake base_model, with the three blocking checks, in ``root``."""

    @dg.asset(name="instruction_examples")
    def fake_instruction_examples() -> pd.DataFrame:
        return examples

    @dg.asset(name="conversation_examples")
    def fake_conversation_examples() -> pd.DataFrame:
        return conversations if conversations is not None else pd.DataFrame(columns=CONVERSATION_COLUMNS)

    @dg.asset(name="curated_records")
    def fake_curated_records() -> pd.DataFrame:
        return curated() if records is None else records

    @dg.asset(name="base_model", deps=["published_training_set"])
    def fake_base_model() -> str:
        return "built"

    with dg.instance_for_test() as instance:
        return dg.materialize(
            [fake_instruction_examples, fake_conversation_examples, fake_curated_records, training_set,
             published_training_set, *CHECKS, fake_base_model],
            instance=instance,
            raise_on_error=False,
            resources={
                "platform": PlatformResource(root=str(root)),
                "dvc": DvcResource(repo_root=str(root), remote_dir=str(root / ".dvc-storage")),
            },
            # 6 tickets: one each held out for validation and test
            run_config={"ops": {"training_set": {"config": split or {"validation_fraction": 0.2, "test_fraction": 0.2}}}},
        )


def _value(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    return result.output_for_node(asset)


def _remote_files(root: Path) -> list[Path]:
    return [p for p in (root / ".dvc-storage").rglob("*") if p.is_file()]


def test_a_training_set_that_fails_a_gate_is_neither_added_nor_pushed(tmp_path: Path) -> None:
    examples = _examples()
    examples.loc[examples["example_id"] == "chat/tickets.jsonl#2::reply", "prompt"] += " My e-mail is jane.doe@example.org"
    result = materialize(tmp_path, examples)
    checks = _checks(result)
    assert not checks["training_set__no_pii"].passed
    assert checks["training_set__no_leakage"].passed and checks["training_set__expectations"].passed
    assert _materialized(result) >= {"training_set"}
    assert not {"published_training_set", "base_model"} & _materialized(result)
    # the checks read the version the asset hashed; nothing of it reached DVC: no pointer, no cache, no remote
    assert _value(result, "training_set")["dvc_md5"] == folder_md5(tmp_path / "data" / "training_set")
    assert not (tmp_path / "data" / "training_set.dvc").exists()
    assert _remote_files(tmp_path) == []
    assert not [p for p in (tmp_path / ".dvc" / "cache").rglob("*") if p.is_file()]


def test_a_clean_training_set_is_pushed_as_the_version_its_checks_passed(tmp_path: Path) -> None:
    result = materialize(tmp_path, _examples())
    checks = _checks(result)
    assert result.success and all(c.passed for c in checks.values()), checks
    assert _materialized(result) == {"instruction_examples", "conversation_examples", "curated_records",
                                     "training_set", "published_training_set", "base_model"}
    md5 = _value(result, "training_set")["dvc_md5"]
    published = _value(result, "published_training_set")
    assert published["dvc_md5"] == md5 and md5.endswith(".dir")
    repo = DvcRepository(tmp_path, tmp_path / ".dvc-storage")
    assert repo.read_version(tmp_path / "data" / "training_set.dvc").md5 == md5
    assert _remote_files(tmp_path)  # pushed: the remote alone restores it
    restored = repo.restore(md5, tmp_path / "restored")
    assert folder_md5(restored) == md5


def test_a_held_out_split_that_came_out_empty_fails_the_expectations_gate(tmp_path: Path) -> None:
    """Four tickets and 10 % fractions hold none out: validation and test are empty, and training would run
    only to fail at evaluation; the gate stops it. A fraction of 0 asks for no rows."""
    examples = _examples()
    examples = examples.loc[examples["record_id"].isin([f"chat/tickets.jsonl#{i}" for i in (1, 2, 3, 4)])]
    result = materialize(tmp_path, examples, split={"validation_fraction": 0.1, "test_fraction": 0.1})
    check = _checks(result)["training_set__expectations"]
    assert _value(result, "training_set")["counts"] == {"train": 8, "validation": 0, "test": 0}
    assert not check.passed and check.metadata["failed"].value == 2
    failed = {(r["split"], r["expectation"], r["column"]) for r in _md_rows(check.metadata["results"].value)
              if r["success"] == "False"}
    assert failed == {("validation", "expect_table_row_count_to_be_between", "(table)"),
                      ("test", "expect_table_row_count_to_be_between", "(table)")}
    assert not {"published_training_set", "base_model"} & _materialized(result)

    no_held_out = materialize(tmp_path / "none", examples, split={"validation_fraction": 0.0, "test_fraction": 0.0})
    assert no_held_out.success and _checks(no_held_out)["training_set__expectations"].passed


def test_the_manifest_records_the_raw_hash_the_records_were_read_with(tmp_path: Path) -> None:
    """The latest ingest read a changed file that was not curated again: the manifest keeps the hash of the
    content the records came from (lineage then reports the file changed), not the index's, and takes no
    CSV first lines from an index of other content."""
    read_with = "a" * 64
    records = curated().assign(**{SOURCE_SHA256_COLUMN: read_with})
    index_dir = tmp_path / "artifacts" / RAW_FILES_DIR
    write_raw_files_index(index_dir, "chat", {"tickets.jsonl": {"sha256": "b" * 64, "first_lines": [2, 3, 4, 5, 6, 7]}})
    result = materialize(tmp_path, _examples(), records)
    assert result.success
    manifest = read_manifest(tmp_path / "data" / "training_set")
    assert manifest.raw_files == {"chat": {"tickets.jsonl": {"sha256": read_with}}}
    assert {e.source_line for e in manifest.entries.values()} == {None}

    # the index of that same content gives each row its first line
    write_raw_files_index(index_dir, "chat", {"tickets.jsonl": {"sha256": read_with, "first_lines": [2, 3, 4, 5, 6, 7]}})
    assert materialize(tmp_path, _examples(), records).success
    manifest = read_manifest(tmp_path / "data" / "training_set")
    assert manifest.raw_files == {"chat": {"tickets.jsonl": {"sha256": read_with}}}
    assert manifest.entries["chat/tickets.jsonl#3::reply"].source_line == 4


def test_a_configured_system_prompt_with_pii_fails_the_pii_gate(tmp_path: Path) -> None:
    """system_message='settings' opens every conversation with the same prompt: a card number in it is trained
    into all of them, so the gate fails (the format stage refuses such a prompt up front, too)."""
    system = {"role": "system", "content": "Support assistant. Customer on file: card 4111 1111 1111 1111."}
    conversations = pd.DataFrame(
        [{"example_id": f"chat/tickets.jsonl#{i}::chat", "record_id": f"chat/tickets.jsonl#{i}", "source": "chat",
          "label": "", "messages": json.dumps([system, {"role": "user", "content": "I cannot log in"},
                                               {"role": "assistant", "content": "Reset it."}])}
         for i in (1, 2)],
        columns=CONVERSATION_COLUMNS,
    )
    result = materialize(tmp_path, _examples(), conversations=conversations)
    check = _checks(result)["training_set__no_pii"]
    assert not check.passed
    assert check.metadata["system_prompt_pii_types"].value == ["CREDIT_CARD"]
    assert not {"published_training_set", "base_model"} & _materialized(result)
    assert _remote_files(tmp_path) == []


def test_a_training_asset_refuses_a_training_set_version_that_was_not_published() -> None:
    """A training asset run on its own after a training_set whose gates failed (so published_training_set did
    not run for it) is refused, naming both versions; the published version, or none published yet, passes."""
    from finetune_platform.defs.version import UnpublishedTrainingSetError, require_published

    published_md5 = "a" * 32

    @dg.asset(name="published_training_set")
    def fake_published() -> dg.Output[dict[str, Any]]:
        return dg.Output({"dvc_md5": published_md5}, metadata={"dvc_md5": published_md5})

    instance = dg.DagsterInstance.ephemeral()
    # nothing published yet: nothing to compare with (base_model waits for the first one)
    require_published(dg.build_asset_context(instance=instance), {"dvc_md5": "b" * 32})
    assert dg.materialize([fake_published], instance=instance).success
    require_published(dg.build_asset_context(instance=instance), {"dvc_md5": published_md5})
    try:
        require_published(dg.build_asset_context(instance=instance), {"dvc_md5": "b" * 32})
    except UnpublishedTrainingSetError as error:
        message = str(error)
    else:
        raise AssertionError("an unpublished version was accepted")
    assert "bbbbbbbbbbbb has not been published" in message and "aaaaaaaaaaaa" in message
    assert "published_training_set" in message
