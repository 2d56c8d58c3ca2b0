"""Classification metrics beyond accuracy: macro-F1, per-label precision/recall/F1 and a confusion matrix.

A generative classifier can answer with text that is no category at all ("I think billing?", an empty
line, a label the training set never had). Such answers are mapped to one extra bucket, ``<invalid>``,
so the confusion matrix shows how often the model fails to produce a label, apart from how often it
picks the wrong one. ``<invalid>`` is a predicted column only: it is never a true label, it counts as a
wrong answer (it lowers the recall of the true label) and it is not one of the classes macro-F1
averages over.

Labels on both sides are compared in the canonical form that formatting writes
(:func:`finetune_platform.formats.instructions.normalise_label`). The arithmetic is scikit-learn's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from finetune_platform.formats.instructions import normalise_label

#: The predicted "label" of a generation that is not a known label.
INVALID_LABEL = "<invalid>"

#: Columns of ``ClassificationMetrics.per_label``.
PER_LABEL_COLUMNS: list[str] = ["label", "precision", "recall", "f1", "support", "predicted"]


@dataclass
class ClassificationMetrics:
    """Every number of one model on one set of labelled examples.

    n: examples; accuracy: share predicted exactly right; macro_f1: unweighted mean F1 over
    ``macro_labels``; invalid_rate: share of generations that were no known label; labels: the known
    labels (rows of ``confusion``); macro_labels: labels macro-F1 averages over (every true label plus
    every known label that was predicted); per_label: ``PER_LABEL_COLUMNS``, one row per known label
    (``predicted`` = how often it was predicted); confusion: counts, index = true label, columns = the
    known labels then ``<invalid>``.
    """

    n: int
    accuracy: float
    macro_f1: float
    invalid_rate: float
    labels: list[str]
    macro_labels: list[str]
    per_label: pd.DataFrame
    confusion: pd.DataFrame

    def summary(self) -> dict[str, float | int]:
        """The headline numbers, JSON-friendly (for report rows, MLflow metrics and asset metadata)."""
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 6),
            "macro_f1": round(self.macro_f1, 6),
            "invalid_rate": round(self.invalid_rate, 6),
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-friendly: the summary, per-label rows and the confusion matrix as nested lists."""
        return {
            **self.summary(),
            "labels": list(self.labels),
            "macro_labels": list(self.macro_labels),
            "per_label": self.per_label.round(6).to_dict(orient="records"),
            "confusion": {
                "true_labels": [str(i) for i in self.confusion.index],
                "predicted_labels": [str(c) for c in self.confusion.columns],
                "counts": self.confusion.to_numpy().astype(int).tolist(),
            },
        }

    def per_label_markdown(self) -> str:
        """The per-label table as Markdown (for the evaluation report and the model card)."""
        table = self.per_label.copy()
        for column in ("precision", "recall", "f1"):
            table[column] = table[column].map(lambda v: f"{v:.3f}")
        return table.to_markdown(index=False)


def canonical_predictions(predictions: Iterable[str], known_labels: Iterable[str]) -> list[str]:
    """Each prediction in canonical form, or ``INVALID_LABEL`` when it is not among ``known_labels``."""
    known = {normalise_label(label) for label in known_labels}
    out = []
    for prediction in predictions:
        canonical = normalise_label(prediction) if prediction is not None else ""
        out.append(canonical if canonical in known else INVALID_LABEL)
    return out


def classification_metrics(
    labels: Sequence[str],
    predictions: Sequence[str],
    known_labels: Iterable[str] | None = None,
) -> ClassificationMetrics:
    """Accuracy, macro-F1, per-label precision/recall/F1 and the confusion matrix.

    Args:
        labels: the true labels, one per example (any spelling ``normalise_label`` accepts).
        predictions: the parsed predictions, paired one to one with ``labels``.
        known_labels: the label set a prediction must belong to (normally the training set's labels);
            the labels present in ``labels`` always belong to it. A prediction outside it is ``<invalid>``.

    Macro-F1 averages over the true labels plus any known label that was predicted (scikit-learn's
    default label set, without ``<invalid>``): a label predicted but never true therefore counts with
    F1 0, and a known label absent from both sides does not count at all.
    """
    if len(labels) != len(predictions):
        raise ValueError(
            f"{len(predictions)} predictions but {len(labels)} labels; they must pair up one to one"
        )
    if len(labels) == 0:
        raise ValueError("classification_metrics needs at least one labelled example; got none")
    truth = [normalise_label(label) for label in labels]
    if any(t == "" for t in truth):
        empty = sum(t == "" for t in truth)
        raise ValueError(
            f"{empty} of {len(truth)} examples have an empty true label; evaluate only labelled "
            "(task 'classify') examples"
        )
    known = sorted(set(truth) | ({normalise_label(k) for k in known_labels} if known_labels is not None else set()))
    predicted = canonical_predictions(predictions, known)
    macro_labels = sorted(set(truth) | (set(predicted) - {INVALID_LABEL}))

    accuracy = float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)]))
    macro_f1 = float(f1_score(truth, predicted, labels=macro_labels, average="macro", zero_division=0))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=known, average=None, zero_division=0
    )
    predicted_counts = pd.Series(predicted).value_counts()
    per_label = pd.DataFrame(
        {
            "label": known,
            "precision": precision.astype(float),
            "recall": recall.astype(float),
            "f1": f1.astype(float),
            "support": support.astype(int),
            "predicted": [int(predicted_counts.get(label, 0)) for label in known],
        },
        columns=PER_LABEL_COLUMNS,
    )
    columns = [*known, INVALID_LABEL]
    matrix = confusion_matrix(truth, predicted, labels=columns)[: len(known)]
    confusion = pd.DataFrame(
        matrix,
        index=pd.Index(known, name="true"),
        columns=pd.Index(columns, name="predicted"),
    )
    return ClassificationMetrics(
        n=len(truth),
        accuracy=accuracy,
        macro_f1=macro_f1,
        invalid_rate=float(np.mean([p == INVALID_LABEL for p in predicted])),
        labels=known,
        macro_labels=macro_labels,
        per_label=per_label,
        confusion=confusion,
    )


def metrics_from_predictions(
    predictions: pd.DataFrame, known_labels: Iterable[str] | None = None
) -> ClassificationMetrics:
    """:func:`classification_metrics` of a predictions frame (``label`` and ``prediction`` columns, as
    ``evaluation.metrics.evaluate_classification`` returns)."""
    missing = [c for c in ("label", "prediction") if c not in predictions.columns]
    if missing:
        raise ValueError(
            f"predictions lack columns {missing} (columns: {list(predictions.columns)}); pass the frame "
            "evaluate_classification returns"
        )
    return classification_metrics(
        predictions["label"].astype(str).tolist(),
        predictions["prediction"].fillna("").astype(str).tolist(),
        known_labels,
    )
