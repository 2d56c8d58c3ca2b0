"""Accuracy, label parsing, and classification evaluation with a stubbed generator."""

from __future__ import annotations

import pandas as pd
import pytest

from finetune_platform.evaluation import metrics
from finetune_platform.evaluation.metrics import (
    PREDICTION_COLUMNS,
    classification_accuracy,
    evaluate_classification,
    normalise_label,
)
from finetune_platform_tests.training.tiny_data import examples


def test_normalise_label():
    assert normalise_label("  Billing ") == "billing"
    assert normalise_label("Account-Access") == "account_access"
    assert normalise_label("account access") == "account_access"


def test_accuracy_compares_normalised_labels():
    assert classification_accuracy(["Billing", "shipping", "login"], ["billing", "shipping", "billing"]) == pytest.approx(2 / 3)


def test_accuracy_needs_pairs():
    with pytest.raises(ValueError, match="2 predictions but 3 labels"):
        classification_accuracy(["a", "b"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="at least one labelled example"):
        classification_accuracy([], [])


class _StubTokenizer:
    """Token count = word count; enough for the max_new_tokens computation."""

    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": list(range(len(text.split("_"))))}


def test_evaluate_classification_uses_first_line(monkeypatch):
    data = examples(6)  # 6 classify + 6 reply rows, labels cycle billing/shipping/login
    seen: dict = {}

    def fake_generate(model, tokenizer, prompts, max_new_tokens, batch_size):
        seen.update(prompts=prompts, max_new_tokens=max_new_tokens, batch_size=batch_size)
        return ["billing\n### Ticket", "\n Shipping \nmore", "refund", "billing", "shipping", "log in"]

    monkeypatch.setattr(metrics, "generate", fake_generate)
    accuracy, predictions = evaluate_classification(object(), _StubTokenizer(), data, batch_size=4)

    assert len(seen["prompts"]) == 6 and all("### Task: classify" in p for p in seen["prompts"])
    assert seen["max_new_tokens"] == 3 and seen["batch_size"] == 4
    assert list(predictions.columns) == PREDICTION_COLUMNS
    assert predictions["prediction"].tolist() == ["billing", "shipping", "refund", "billing", "shipping", "log_in"]
    assert predictions["correct"].tolist() == [True, True, False, True, True, False]
    assert accuracy == pytest.approx(4 / 6)
    assert predictions["example_id"].str.endswith("::classify").all()


def test_evaluate_classification_needs_classify_rows():
    with pytest.raises(ValueError, match="no 'classify' rows"):
        evaluate_classification(object(), _StubTokenizer(), examples(3, tasks=("reply",)))
    with pytest.raises(ValueError, match=r"missing columns \['label'\]"):
        evaluate_classification(object(), _StubTokenizer(), pd.DataFrame({"prompt": ["x"]}))
