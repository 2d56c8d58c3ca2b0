"""Exact match, SQuAD token F1 and ROUGE-L for the reply task."""

from __future__ import annotations

import pandas as pd
import pytest

from finetune_platform.evaluation import generation
from finetune_platform.evaluation.text_metrics import (
    TEXT_PREDICTION_COLUMNS,
    evaluate_replies,
    exact_match,
    normalize_answer,
    rouge_l,
    text_generation_metrics,
    token_f1,
)


def test_squad_normalisation():
    assert normalize_answer("  The Cat, sat!  on a MAT. ") == "cat sat on mat"
    assert exact_match("The cat sat on the mat.", "cat sat on mat") == 1.0
    assert exact_match("cat sat", "cat sat on mat") == 0.0


def test_token_f1_values():
    # precision 4/5, recall 4/4
    assert token_f1("cat sat on mat today", "the cat sat on the mat") == pytest.approx(2 * 0.8 * 1.0 / 1.8)
    assert token_f1("dog", "cat") == 0.0
    # shared counts are clipped: "cat cat" shares one "cat" with "cat sat"
    assert token_f1("cat cat", "cat sat") == pytest.approx(0.5)
    assert token_f1("", "") == 1.0
    assert token_f1("", "cat") == 0.0


def test_rouge_l_is_lcs_f_measure():
    # LCS of "the cat sat on the mat" / "the cat is on the mat" is 5 tokens of 6 on each side
    assert rouge_l("the cat is on the mat", "the cat sat on the mat") == pytest.approx(5 / 6)
    # the same bag of words in another order: token F1 is perfect, ROUGE-L is not
    assert token_f1("mat on sat cat", "cat sat on mat") == 1.0
    assert rouge_l("mat on sat cat", "cat sat on mat") == pytest.approx(0.25)
    assert rouge_l("", "") == 1.0
    assert rouge_l("", "anything") == 0.0


def test_rouge_l_keeps_non_ascii_words():
    # rouge-score's default tokenizer would split "Grüße" into "gr" and "e" and drop "ü"
    assert rouge_l("Grüße aus München", "Grüße aus Berlin") == pytest.approx(2 / 3)
    assert rouge_l("Ça marche très bien", "ça marche bien") == pytest.approx(2 * 0.75 * 1.0 / 1.75)


def test_text_generation_metrics_means_and_rows():
    m = text_generation_metrics(
        ["Restart the router.", "No idea"], ["restart the router", "Please reset your password"], ["e1", "e2"]
    )
    assert m.n == 2
    assert m.exact_match == pytest.approx(0.5)
    assert m.token_f1 == pytest.approx(0.5)
    assert list(m.per_example.columns) == TEXT_PREDICTION_COLUMNS
    assert m.per_example["example_id"].tolist() == ["e1", "e2"]
    assert m.summary()["rouge_l"] == pytest.approx(0.5)


def test_text_generation_metrics_input_errors():
    with pytest.raises(ValueError, match="1 predictions but 2 references"):
        text_generation_metrics(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="at least one"):
        text_generation_metrics([], [])
    with pytest.raises(ValueError, match="1 example_ids for 2 references"):
        text_generation_metrics(["a", "b"], ["a", "b"], ["x"])


def test_evaluate_replies_scores_only_reply_rows(monkeypatch: pytest.MonkeyPatch):
    seen: dict[str, object] = {}

    def fake_generate(model, tokenizer, prompts, max_new_tokens=32, batch_size=32):
        seen.update(prompts=list(prompts), max_new_tokens=max_new_tokens)
        return ["  Please restart the router.\n", "wrong answer"]

    monkeypatch.setattr(generation, "generate", fake_generate)
    split = pd.DataFrame({
        "example_id": ["r1::classify", "r1::reply", "r2::reply"],
        "task": ["classify", "reply", "reply"],
        "prompt": ["P-classify", "P1", "P2"],
        "completion": ["billing", "Please restart the router.", "Your refund is on its way."],
    })
    m = evaluate_replies(object(), object(), split, max_new_tokens=40)
    assert seen == {"prompts": ["P1", "P2"], "max_new_tokens": 40}
    assert m.per_example["example_id"].tolist() == ["r1::reply", "r2::reply"]
    assert m.per_example["exact_match"].tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="no 'reply' rows"):
        evaluate_replies(object(), object(), split[split["task"] == "classify"])
