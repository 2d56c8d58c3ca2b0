"""`finetune-platform sweep`: a bad sweep file or an unknown trial stops before anything runs, saying why."""

from __future__ import annotations

import pytest

from finetune_platform.cli import main


@pytest.fixture
def root(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("FINETUNE_PLATFORM_HOME", str(tmp_path))
    return tmp_path


def test_missing_sweep_file_is_named(root):
    with pytest.raises(SystemExit, match=r"sweep file .*data/sweep.yaml does not exist"):
        main(["sweep"])


def test_invalid_trial_is_named_with_its_field(root):
    (root / "data" / "sweep.yaml").write_text("trials:\n  small: {lora_rank: 8}\n")
    with pytest.raises(SystemExit, match=r"sweep trial 'small': unknown SFT settings \['lora_rank'\]"):
        main(["sweep"])


def test_unknown_trial_lists_the_defined_ones(root):
    (root / "data" / "sweep.yaml").write_text("trials:\n  a: {lora_r: 8}\n  b: {lora_r: 16}\n")
    with pytest.raises(SystemExit, match=r"unknown trial\(s\) \['c'\]; data/sweep.yaml defines \['a', 'b'\]"):
        main(["sweep", "--trial", "c"])
    assert not (root / ".dagster_home").exists()  # nothing ran
