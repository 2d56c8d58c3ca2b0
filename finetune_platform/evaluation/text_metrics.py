"""Metrics for free-text tasks (the ``reply`` task): exact match, token F1 and ROUGE-L.

- **Exact match** and **token F1** follow the SQuAD evaluation script (Rajpurkar et al., 2016): both
  texts are lower-cased, punctuation and the articles a/an/the are removed and whitespace is collapsed;
  token F1 is the harmonic mean of precision and recall of the bag of shared tokens. As in SQuAD 2.0, when
  either side has no tokens the score is 1 if both are empty, else 0. Hand-written because the script
  is twenty lines and no maintained package exposes it without a heavy framework (``evaluate`` would
  download the metric script at run time, which these machines cannot).
- **ROUGE-L** (Lin, 2004) is the F-measure of the longest common subsequence of tokens, computed by
  Google's ``rouge-score`` package (the reference implementation of ROUGE-1.5.5 in Python). Its default
  tokenizer keeps only ASCII letters and digits, which would erase every non-English word ("Grüße"
  becomes "gr e"); a Unicode-aware tokenizer (lower-case runs of letters and digits) is passed instead.
  Two empty texts score 1, like exact match and token F1 (rouge-score would say 0).

Scores are per example in [0, 1]; :func:`text_generation_metrics` averages them.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

#: Columns of ``TextMetrics.per_example`` (and of the frame ``evaluate_replies`` returns).
TEXT_PREDICTION_COLUMNS: list[str] = [
    "example_id",
    "reference",
    "prediction",
    "exact_match",
    "token_f1",
    "rouge_l",
]

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation)
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = str(text).lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, reference: str) -> float:
    """1.0 when the two texts are equal after :func:`normalize_answer`, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token F1 of the normalised texts (bag of tokens, shared counts clipped)."""
    pred_tokens = normalize_answer(prediction).split()
    ref_tokens = normalize_answer(reference).split()
    if not pred_tokens or not ref_tokens:
        return float(pred_tokens == ref_tokens)
    shared = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if shared == 0:
        return 0.0
    precision = shared / len(pred_tokens)
    recall = shared / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


class _UnicodeTokenizer:
    """rouge-score tokenizer: lower-case runs of Unicode letters and digits (see the module docstring)."""

    def tokenize(self, text: str) -> list[str]:
        return _WORDS.findall(str(text).lower())


@lru_cache(maxsize=1)
def _rouge_l_scorer() -> Any:
    # Imported on first use: rouge-score pulls in NLTK, about 2 s of import time on these machines.
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=_UnicodeTokenizer())


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure of ``prediction`` against ``reference`` (rouge-score, Unicode tokens)."""
    tokenizer = _UnicodeTokenizer()
    if not tokenizer.tokenize(prediction) and not tokenizer.tokenize(reference):
        return 1.0
    return float(_rouge_l_scorer().score(str(reference), str(prediction))["rougeL"].fmeasure)


@dataclass
class TextMetrics:
    """Mean exact match, token F1 and ROUGE-L over ``n`` examples, and the per-example scores."""

    n: int
    exact_match: float
    token_f1: float
    rouge_l: float
    per_example: pd.DataFrame

    def summary(self) -> dict[str, float | int]:
        """The means, JSON-friendly (for report rows, MLflow metrics and asset metadata)."""
        return {
            "n": self.n,
            "exact_match": round(self.exact_match, 6),
            "token_f1": round(self.token_f1, 6),
            "rouge_l": round(self.rouge_l, 6),
        }


def text_generation_metrics(
    predictions: Sequence[str],
    references: Sequence[str],
    example_ids: Sequence[str] | None = None,
) -> TextMetrics:
    """Exact match, token F1 and ROUGE-L of each prediction against its reference, and their means."""
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} predictions but {len(references)} references; they must pair up one to one"
        )
    if len(references) == 0:
        raise ValueError("text_generation_metrics needs at least one prediction/reference pair; got none")
    if example_ids is not None and len(example_ids) != len(references):
        raise ValueError(f"{len(example_ids)} example_ids for {len(references)} references; pass one id per pair")
    ids = list(example_ids) if example_ids is not None else [str(i) for i in range(len(references))]
    rows = [
        {
            "example_id": example_id,
            "reference": str(ref),
            "prediction": str(pred),
            "exact_match": exact_match(pred, ref),
            "token_f1": token_f1(pred, ref),
            "rouge_l": rouge_l(pred, ref),
        }
        for example_id, pred, ref in zip(ids, predictions, references, strict=True)
    ]
    frame = pd.DataFrame(rows, columns=TEXT_PREDICTION_COLUMNS)
    return TextMetrics(
        n=len(frame),
        exact_match=float(frame["exact_match"].mean()),
        token_f1=float(frame["token_f1"].mean()),
        rouge_l=float(frame["rouge_l"].mean()),
        per_example=frame,
    )


def evaluate_replies(
    model: Any,
    tokenizer: Any,
    df: pd.DataFrame,
    *,
    max_new_tokens: int = 96,
    batch_size: int = 32,
) -> TextMetrics:
    """Greedy generations for the ``reply`` rows of ``df`` scored against their ``completion``.

    ``df`` is a split in ``schemas.EXAMPLE_COLUMNS`` (rows of other tasks are ignored). The prediction is
    the whole generation, stripped; ``max_new_tokens`` caps it (references are cut to
    ``FormatSettings.max_reply_chars`` characters, 400 by default, about 100 tokens).
    """
    from finetune_platform.evaluation import generation

    missing = [c for c in ("prompt", "completion") if c not in df.columns]
    if missing:
        raise ValueError(f"df is missing columns {missing}; pass a split with schemas.EXAMPLE_COLUMNS")
    rows = df[df["task"] == "reply"] if "task" in df.columns else df
    if rows.empty:
        tasks = sorted(df["task"].unique()) if "task" in df.columns else []
        raise ValueError(f"df has no 'reply' rows to evaluate (tasks present: {tasks})")
    generations = generation.generate(
        model, tokenizer, rows["prompt"].tolist(), max_new_tokens=max_new_tokens, batch_size=batch_size
    )
    ids = rows["example_id"].astype(str).tolist() if "example_id" in rows.columns else None
    return text_generation_metrics([g.strip() for g in generations], rows["completion"].astype(str).tolist(), ids)
