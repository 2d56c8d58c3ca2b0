"""Metrics per slice of the test set (per source, per label, ...): where the model is weak.

An overall accuracy hides a source the model never learned or a label it never predicts; the table per
slice shows them. Small slices are flagged (``below_min_n``) instead of dropped: their numbers are shown,
with a Wilson 95% interval for accuracy, but a reader (or a gate) must not act on them alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from scipy.stats import binomtest

from finetune_platform.evaluation.classification import classification_metrics

#: Columns of :func:`metrics_by_slice`.
SLICE_COLUMNS: list[str] = [
    "slice",
    "value",
    "n",
    "accuracy",
    "accuracy_ci_low",
    "accuracy_ci_high",
    "macro_f1",
    "invalid_rate",
    "below_min_n",
]

#: The ``slice`` and ``value`` of the row that covers every example.
ALL = "(all)"


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (scipy's ``binomtest(...).proportion_ci``).

    Unlike the normal (Wald) interval it stays inside [0, 1] and is usable for small ``n`` and proportions
    near 0 or 1. ``n == 0`` gives (0, 1): nothing is known.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"wilson_interval needs 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    ci = binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def attach_slice_columns(
    predictions: pd.DataFrame, examples: pd.DataFrame, columns: Sequence[str] = ("source",)
) -> pd.DataFrame:
    """``predictions`` with ``columns`` taken from ``examples`` by ``example_id``.

    ``evaluate_classification`` returns no ``source``; the test split has it. Every prediction must find
    its example, or the slice table would silently lose rows.
    """
    for frame, name in ((predictions, "predictions"), (examples, "examples")):
        if "example_id" not in frame.columns:
            raise ValueError(f"attach_slice_columns: {name} have no 'example_id' column; columns: {list(frame.columns)}")
    missing = [c for c in columns if c not in examples.columns]
    if missing:
        raise ValueError(f"attach_slice_columns: examples lack columns {missing}; columns: {list(examples.columns)}")
    wanted = [c for c in columns if c not in predictions.columns]
    lookup = examples.drop_duplicates("example_id").set_index("example_id")[wanted]
    merged = predictions.join(lookup, on="example_id")
    unmatched = predictions.loc[~predictions["example_id"].isin(lookup.index), "example_id"]
    if len(unmatched):
        raise ValueError(
            f"attach_slice_columns: {len(unmatched)} predictions have no example (first: {unmatched.iloc[0]!r}); "
            "pass the split the predictions were made on"
        )
    return merged


def metrics_by_slice(
    predictions_df: pd.DataFrame,
    slice_columns: Iterable[str] = ("source", "label"),
    *,
    min_n: int = 20,
    known_labels: Iterable[str] | None = None,
    include_overall: bool = True,
) -> pd.DataFrame:
    """n, accuracy (with a Wilson 95% interval), macro-F1 and invalid rate per value of each slice column.

    Args:
        predictions_df: one row per example with ``label``, ``prediction`` and the slice columns (see
            :func:`attach_slice_columns` to add ``source`` from the test split).
        slice_columns: columns to slice by, each on its own (not crossed).
        min_n: slices with fewer examples get ``below_min_n`` True.
        known_labels: the full label set (see ``classification_metrics``); defaults to the labels in
            ``predictions_df``, so that a prediction of another slice's label is still a valid label.
        include_overall: start with a row ``(all) / (all)`` over every example.

    macro_f1 is NaN in a slice where every example has the same true label (e.g. a ``label`` slice): the
    average over one class says nothing there; that slice's accuracy is the label's recall.

    Returns ``SLICE_COLUMNS`` rows: the overall row, then per slice column its values by descending n.
    """
    slice_columns = list(slice_columns)
    required = ["label", "prediction", *slice_columns]
    missing = [c for c in required if c not in predictions_df.columns]
    if missing:
        hint = " (use attach_slice_columns to add 'source' from the test split)" if "source" in missing else ""
        raise ValueError(
            f"metrics_by_slice: predictions lack columns {missing}{hint}; columns: {list(predictions_df.columns)}"
        )
    if predictions_df.empty:
        raise ValueError("metrics_by_slice: no predictions to slice")
    if min_n < 1:
        raise ValueError(f"metrics_by_slice: min_n must be >= 1, got {min_n}")
    known = set(known_labels or ()) | set(predictions_df["label"].astype(str))

    def row(slice_name: str, value: str, part: pd.DataFrame) -> dict[str, object]:
        m = classification_metrics(part["label"].astype(str).tolist(), part["prediction"].fillna("").astype(str).tolist(), known)
        hits = int(round(m.accuracy * m.n))
        low, high = wilson_interval(hits, m.n)
        single_class = part["label"].astype(str).nunique() == 1
        return {
            "slice": slice_name,
            "value": value,
            "n": m.n,
            "accuracy": m.accuracy,
            "accuracy_ci_low": low,
            "accuracy_ci_high": high,
            "macro_f1": float("nan") if single_class else m.macro_f1,
            "invalid_rate": m.invalid_rate,
            "below_min_n": m.n < min_n,
        }

    rows = [row(ALL, ALL, predictions_df)] if include_overall else []
    for column in slice_columns:
        values = predictions_df[column].fillna("").astype(str)
        for value in values.value_counts().index:  # descending n; ties in first-seen order
            rows.append(row(column, value, predictions_df[values == value]))
    return pd.DataFrame(rows, columns=SLICE_COLUMNS)


def slices_markdown(table: pd.DataFrame) -> str:
    """The slice table as Markdown, numbers rounded, small slices marked with a trailing asterisk."""
    shown = table.copy()
    shown["accuracy"] = [
        f"{a:.3f} [{lo:.2f}, {hi:.2f}]" for a, lo, hi in zip(shown["accuracy"], shown["accuracy_ci_low"], shown["accuracy_ci_high"], strict=True)
    ]
    shown["macro_f1"] = shown["macro_f1"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    shown["invalid_rate"] = shown["invalid_rate"].map(lambda v: f"{v:.3f}")
    shown["n"] = [f"{n}*" if small else str(n) for n, small in zip(shown["n"], shown["below_min_n"], strict=True)]
    shown = shown.rename(columns={"accuracy": "accuracy [95% CI]"})
    return shown[["slice", "value", "n", "accuracy [95% CI]", "macro_f1", "invalid_rate"]].to_markdown(index=False)
