"""Classification metrics (accuracy, macro-F1, per label, confusion with <invalid>) and the two plots."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from finetune_platform.evaluation.classification import (
    INVALID_LABEL,
    canonical_predictions,
    classification_metrics,
    metrics_from_predictions,
)
from finetune_platform.evaluation.plots import plot_confusion_matrix, plot_loss_curve

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

LABELS = ["billing", "billing", "shipping", "login"]
PREDICTIONS = ["Billing", "shipping", "I am not sure", "login"]


def test_hand_computed_example():
    m = classification_metrics(LABELS, PREDICTIONS)
    assert m.n == 4
    assert m.accuracy == pytest.approx(0.5)
    assert m.invalid_rate == pytest.approx(0.25)
    per = m.per_label.set_index("label")
    # billing: 1 of 1 billing predictions right (P=1), 1 of 2 billing examples found (R=0.5)
    assert per.loc["billing", ["precision", "recall", "f1"]].tolist() == pytest.approx([1.0, 0.5, 2 / 3])
    # shipping: predicted once (wrongly, for a billing ticket); its one example got <invalid>
    assert per.loc["shipping", ["precision", "recall", "f1", "support", "predicted"]].tolist() == pytest.approx([0, 0, 0, 1, 1])
    assert per.loc["login", "f1"] == pytest.approx(1.0)
    assert m.macro_f1 == pytest.approx((2 / 3 + 0 + 1) / 3)


def test_confusion_matrix_has_an_invalid_column_and_no_invalid_row():
    m = classification_metrics(LABELS, PREDICTIONS)
    assert list(m.confusion.index) == ["billing", "login", "shipping"]
    assert list(m.confusion.columns) == ["billing", "login", "shipping", INVALID_LABEL]
    assert m.confusion.loc["billing"].tolist() == [1, 0, 1, 0]
    assert m.confusion.loc["shipping"].tolist() == [0, 0, 0, 1]
    assert int(m.confusion.to_numpy().sum()) == 4
    as_dict = m.to_dict()
    assert as_dict["confusion"]["counts"][0] == [1, 0, 1, 0]
    assert as_dict["confusion"]["predicted_labels"][-1] == INVALID_LABEL


def test_a_well_formed_label_outside_the_known_set_is_invalid():
    assert canonical_predictions(["refund", "Billing ", "", None], ["billing"]) == [INVALID_LABEL, "billing", INVALID_LABEL, INVALID_LABEL]
    m = classification_metrics(["billing", "billing"], ["refund", "billing"], known_labels=["billing", "shipping"])
    assert m.invalid_rate == pytest.approx(0.5)
    assert m.confusion.loc["billing", INVALID_LABEL] == 1


def test_known_label_never_seen_is_listed_but_not_averaged():
    m = classification_metrics(["billing", "login"], ["billing", "login"], known_labels=["billing", "login", "refund"])
    assert m.macro_labels == ["billing", "login"]
    assert m.macro_f1 == pytest.approx(1.0)
    refund = m.per_label.set_index("label").loc["refund"]
    assert (refund["support"], refund["predicted"]) == (0, 0)


def test_a_known_label_predicted_but_never_true_lowers_macro_f1():
    m = classification_metrics(["billing", "billing"], ["billing", "login"], known_labels=["billing", "login"])
    assert m.macro_labels == ["billing", "login"]
    # billing: P=1, R=0.5 -> 2/3; login: P=0 -> 0
    assert m.macro_f1 == pytest.approx((2 / 3) / 2)


def test_input_errors():
    with pytest.raises(ValueError, match="3 predictions but 2 labels"):
        classification_metrics(["a", "b"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="at least one labelled example"):
        classification_metrics([], [])
    with pytest.raises(ValueError, match="empty true label"):
        classification_metrics(["a", " "], ["a", "a"])
    with pytest.raises(ValueError, match=r"lack columns \['prediction'\]"):
        metrics_from_predictions(pd.DataFrame({"label": ["a"]}))


def test_metrics_from_the_evaluate_classification_frame():
    frame = pd.DataFrame({"example_id": ["1", "2", "3"], "label": ["a", "b", "b"], "prediction": ["a", "b", None]})
    m = metrics_from_predictions(frame)
    assert (m.n, m.accuracy, m.invalid_rate) == (3, pytest.approx(2 / 3), pytest.approx(1 / 3))
    assert m.summary() == {"n": 3, "accuracy": round(2 / 3, 6), "macro_f1": round(m.macro_f1, 6), "invalid_rate": round(1 / 3, 6)}
    assert "| billing" not in m.per_label_markdown() and "| a " in m.per_label_markdown()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_confusion_matrix_png(tmp_path: Path):
    m = classification_metrics(LABELS, PREDICTIONS)
    path = plot_confusion_matrix(m.confusion, tmp_path / "plots" / "confusion.png")
    assert path == tmp_path / "plots" / "confusion.png"
    width, height = _png_size(path)
    assert width > 200 and height > 200
    with pytest.raises(ValueError, match="ending in .png"):
        plot_confusion_matrix(m.confusion, tmp_path / "confusion.jpg")
    with pytest.raises(ValueError, match="empty"):
        plot_confusion_matrix(pd.DataFrame(), tmp_path / "empty.png")


def test_loss_curve_png_from_tuples_and_log_history(tmp_path: Path):
    history = [(step, 8.0 * math.exp(-step / 10)) for step in range(1, 60)]
    path = plot_loss_curve(history, tmp_path / "loss.png", eval_loss=0.4)
    assert _png_size(path)[0] > 200
    log_history = [{"step": 1, "loss": 2.0}, {"step": 2, "loss": 1.5}, {"step": 2, "eval_loss": 1.7}, {"train_runtime": 3.0}]
    assert plot_loss_curve(log_history, tmp_path / "hf.png", eval_loss=log_history).is_file()


def test_loss_curve_refuses_empty_or_non_finite_history(tmp_path: Path):
    with pytest.raises(ValueError, match="no training-loss points"):
        plot_loss_curve([], tmp_path / "loss.png")
    with pytest.raises(ValueError, match="non-finite training loss nan at step 3"):
        plot_loss_curve([(1, 2.0), (3, float("nan"))], tmp_path / "loss.png")
    assert not (tmp_path / "loss.png").exists()
