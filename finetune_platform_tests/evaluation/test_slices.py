"""Metrics per slice (source, label) with the minimum-n flag, and joining the slice columns in."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from finetune_platform.evaluation.slices import (
    ALL,
    SLICE_COLUMNS,
    attach_slice_columns,
    metrics_by_slice,
    slices_markdown,
    wilson_interval,
)


def _predictions() -> pd.DataFrame:
    """Source 'chat': 24 examples all right. Source 'email': 6 examples, 1 right, 2 <invalid>."""
    rows = [{"example_id": f"c{i}", "source": "chat", "label": ["billing", "login"][i % 2],
             "prediction": ["billing", "login"][i % 2]} for i in range(24)]
    email = [("billing", "billing"), ("billing", "login"), ("billing", "login"), ("login", "billing"),
             ("login", "??"), ("login", "")]
    rows += [{"example_id": f"e{i}", "source": "email", "label": t, "prediction": p} for i, (t, p) in enumerate(email)]
    return pd.DataFrame(rows)


def test_per_source_and_label_with_min_n_flag():
    table = metrics_by_slice(_predictions(), ["source", "label"], min_n=10)
    assert list(table.columns) == SLICE_COLUMNS
    assert table[["slice", "value"]].values.tolist() == [
        [ALL, ALL], ["source", "chat"], ["source", "email"], ["label", "billing"], ["label", "login"],
    ]
    t = table.set_index(["slice", "value"])
    assert t.loc[(ALL, ALL), "n"] == 30
    assert t.loc[(ALL, ALL), "accuracy"] == pytest.approx(25 / 30)
    assert t.loc[("source", "chat"), "accuracy"] == 1.0
    assert t.loc[("source", "email"), ["n", "accuracy", "invalid_rate"]].tolist() == [6, pytest.approx(1 / 6), pytest.approx(2 / 6)]
    assert t["below_min_n"].to_dict() == {
        (ALL, ALL): False, ("source", "chat"): False, ("source", "email"): True,
        ("label", "billing"): False, ("label", "login"): False,
    }
    # billing: 12 chat right + 1 of 3 email right
    assert t.loc[("label", "billing"), "accuracy"] == pytest.approx(13 / 15)


def test_macro_f1_is_undefined_in_a_single_label_slice():
    t = metrics_by_slice(_predictions(), ["source", "label"]).set_index(["slice", "value"])
    assert math.isnan(t.loc[("label", "login"), "macro_f1"])
    assert t.loc[("source", "chat"), "macro_f1"] == pytest.approx(1.0)
    # email: billing P=1/2 R=1/3 F1=0.4; login P=0 R=0 F1=0
    assert t.loc[("source", "email"), "macro_f1"] == pytest.approx(0.2)


def test_accuracy_interval_is_wilson():
    low, high = wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert wilson_interval(0, 0) == (0.0, 1.0)
    t = metrics_by_slice(_predictions(), ["source"]).set_index(["slice", "value"])
    email = t.loc[("source", "email")]
    assert email["accuracy_ci_low"] < email["accuracy"] < email["accuracy_ci_high"]
    with pytest.raises(ValueError, match="0 <= successes <= n"):
        wilson_interval(5, 3)


def test_missing_slice_column_points_to_attach():
    frame = _predictions().drop(columns=["source"])
    with pytest.raises(ValueError, match=r"lack columns \['source'\] \(use attach_slice_columns"):
        metrics_by_slice(frame)


def test_attach_slice_columns_from_the_split():
    predictions = _predictions().drop(columns=["source"])
    examples = _predictions()[["example_id", "source"]].assign(task="classify")
    merged = attach_slice_columns(predictions, examples, ["source"])
    assert len(merged) == len(predictions)
    assert merged["source"].value_counts().to_dict() == {"chat": 24, "email": 6}
    with pytest.raises(ValueError, match="1 predictions have no example \\(first: 'c0'\\)"):
        attach_slice_columns(predictions, examples.iloc[1:], ["source"])


def test_markdown_marks_small_slices():
    text = slices_markdown(metrics_by_slice(_predictions(), ["source"], min_n=10))
    assert "| 6*" in text
    assert "0.167 [" in text
