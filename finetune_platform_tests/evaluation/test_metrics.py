"""Accuracy, label parsing, and classification evaluation with a stubbed generator."""

from __future__ import annotations

import pandas as pd
import pytest

from finetune_platform.evaluation import metrics
from finetune_platform.evaluation.generation import Answer
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
        texts = ["billing\n### Ticket", "\n Shipping \nmore", "refund", "billing", "shipping", "log in"]
        # every answer ended by the model (EOS), but the last: cut by the cap mid-line
        return [Answer(text, 2, ended) for text, ended in zip(texts, [True] * 5 + [False], strict=True)]

    monkeypatch.setattr(metrics, "generate_answers", fake_generate)
    accuracy, predictions = evaluate_classification(object(), _StubTokenizer(), data, batch_size=4)

    assert len(seen["prompts"]) == 6 and all("### Task: classify" in p for p in seen["prompts"])
    assert seen["max_new_tokens"] == 3 and seen["batch_size"] == 4
    assert list(predictions.columns) == PREDICTION_COLUMNS
    assert predictions["prediction"].tolist() == ["billing", "shipping", "refund", "billing", "shipping", ""]
    assert predictions["correct"].tolist() == [True, True, False, True, True, False]
    assert accuracy == pytest.approx(4 / 6)
    assert predictions["example_id"].str.endswith("::classify").all()
    assert predictions["generation"].iloc[5] == "log in"


def test_a_label_cut_by_the_cap_is_no_prediction_and_known_labels_size_the_cap(monkeypatch):
    """"\n\nshipping" cut from "\n\nshipping_delay_complaint" is not the label shipping; a known label longer than
    every test label widens the cap, so it can be generated whole."""
    data = examples(3)
    seen: dict = {}

    def fake_generate(model, tokenizer, prompts, max_new_tokens, batch_size):
        seen["max_new_tokens"] = max_new_tokens
        return [Answer("\n\nbilling", 3, False), Answer("shipping\n###", 3, False), Answer("login", 1, True)]

    monkeypatch.setattr(metrics, "generate_answers", fake_generate)
    _, predictions = evaluate_classification(object(), _StubTokenizer(), data, known_labels=["a_very_long_label_x"])
    assert predictions["prediction"].tolist() == ["", "shipping", "login"]
    assert seen["max_new_tokens"] == 5 + 2  # the known label's 5 "tokens" (the stub splits on "_")


def test_evaluate_classification_needs_classify_rows():
    with pytest.raises(ValueError, match="no 'classify' rows"):
        evaluate_classification(object(), _StubTokenizer(), examples(3, tasks=("reply",)))
    with pytest.raises(ValueError, match=r"missing columns \['label'\]"):
        evaluate_classification(object(), _StubTokenizer(), pd.DataFrame({"prompt": ["x"]}))
