"""Sweep files: validation of every trial up front, and the ranking of finished trials."""

from __future__ import annotations

import math

import pytest

from finetune_platform.training.sweep import (
    SweepError,
    comparison_markdown,
    comparison_table,
    describe_changes,
    load_sweep,
    trial_names,
)


def _write(tmp_path, text: str):
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    return path


def test_shipped_sweep_file_is_valid_and_has_five_to_ten_trials():
    from finetune_platform.settings import PACKAGE_ROOT

    spec = load_sweep(PACKAGE_ROOT / "data" / "sweep.yaml")
    assert 5 <= len(spec.trials) <= 10
    methods = {spec.settings(t).method for t in spec.trials}
    assert methods == {"lora", "full"}


def test_trial_settings_are_base_then_changes(tmp_path):
    spec = load_sweep(_write(tmp_path, "base: {batch_size: 4, lora_r: 16}\ntrials:\n  a: {lora_r: 8, lora_alpha: 16}\n  b:\n"))
    assert (spec.settings("a").lora_r, spec.settings("a").batch_size) == (8, 4)
    assert spec.settings("b").lora_r == 16  # a trial with no changes is the base
    assert describe_changes(spec, "a") == "lora_r=8, lora_alpha=16" and describe_changes(spec, "b") == "(base)"
    with pytest.raises(SweepError, match="no trial named 'c'"):
        spec.settings("c")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("trials:\n  a: {lora_rank: 8}\n", r"sweep trial 'a': unknown SFT settings \['lora_rank'\]"),
        ("trials:\n  a: {batch_size: 0}\n", r"sweep trial 'a' is not a valid SFT configuration: batch_size: Input should be greater than or equal to 1"),
        ("trials:\n  a: {packing: true, max_length: null}\n", "packing=True needs max_length"),
        ("trials: {}\n", "needs a non-empty 'trials' mapping"),
        ("trials:\n  'bad name!': {}\n", r"trial names \['bad name!'\] must be"),
        ("trials:\n  a: [1, 2]\n", r"trials \['a'\] must map setting names to values"),
        ("trials: [\n", "is not valid YAML"),
        ("trials:\n  a: {lora_r: 8}\n  a: {lora_r: 16}\n", "key 'a' appears twice in one mapping"),
    ],
)
def test_bad_sweep_files_name_the_trial_and_field(tmp_path, text, message):
    with pytest.raises(SweepError, match=message):
        load_sweep(_write(tmp_path, text))


def test_missing_file_has_no_trials_but_loading_it_says_so(tmp_path):
    assert trial_names(tmp_path / "none.yaml") == []
    with pytest.raises(SweepError, match="does not exist"):
        load_sweep(tmp_path / "none.yaml")


def test_comparison_ranks_by_accuracy_then_eval_loss_with_unscored_last():
    table = comparison_table(
        [
            {"trial": "a", "accuracy": 0.8, "eval_loss": 1.2},
            {"trial": "b", "accuracy": 0.9, "eval_loss": 1.5},
            {"trial": "c", "accuracy": 0.8, "eval_loss": 1.0},
            {"trial": "d", "accuracy": math.nan, "eval_loss": 0.5},
        ]
    )
    assert table["trial"].tolist() == ["b", "c", "a", "d"]
    assert table["rank"].tolist() == [1, 2, 3, 4]
    markdown = comparison_markdown(table)
    assert markdown.splitlines()[0].startswith("| rank | trial | accuracy") and "| 1 | b | 0.9 |" in markdown
    assert comparison_table([]).empty and comparison_markdown(comparison_table([])) == "No finished trials."
