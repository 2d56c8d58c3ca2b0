"""Evaluation metrics for the platform's tasks: classification accuracy and completion perplexity.

Labels are compared in the canonical form the formatting stage writes (``normalise_label`` is the same
function), and a generation's predicted label is its first non-empty line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from finetune_platform.evaluation.generation import generate_answers
from finetune_platform.formats.instructions import normalise_label, parse_label

__all__ = [
    "PREDICTION_COLUMNS",
    "classification_accuracy",
    "completion_nll",
    "evaluate_classification",
    "normalise_label",
    "parse_label",
    "perplexity",
    "perplexity_of",
]

#: Columns of the per-example predictions that ``evaluate_classification`` returns.
PREDICTION_COLUMNS = ["example_id", "record_id", "label", "prediction", "generation", "correct"]


def classification_accuracy(predictions: Sequence[str], labels: Sequence[str]) -> float:
    """Share of predictions equal to their label after ``normalise_label`` on both sides."""
    if len(predictions) != len(labels):
        raise ValueError(f"{len(predictions)} predictions but {len(labels)} labels; they must pair up one to one")
    if not labels:
        raise ValueError("classification_accuracy needs at least one labelled example")
    hits = sum(normalise_label(p) == normalise_label(t) for p, t in zip(predictions, labels, strict=True))
    return hits / len(labels)


def _completion_batch(tokenizer, prompts: Sequence[str], completions: Sequence[str]):
    """Right-padded ``input_ids``/``attention_mask``/``labels`` with the prompt tokens masked (-100).

    Tokenised as TRL does for training: ``prompt`` and ``prompt + completion + eos`` separately, the
    completion starting where the two token sequences diverge.
    """
    import torch

    eos = tokenizer.eos_token or ""
    rows: list[tuple[list[int], list[int]]] = []
    prompt_ids = tokenizer(list(prompts))["input_ids"]
    full_ids = tokenizer([p + c + eos for p, c in zip(prompts, completions, strict=True)])["input_ids"]
    for p_ids, f_ids in zip(prompt_ids, full_ids, strict=True):
        shared = 0
        while shared < min(len(p_ids), len(f_ids)) and p_ids[shared] == f_ids[shared]:
            shared += 1
        rows.append((f_ids, [-100] * shared + f_ids[shared:]))
    width = max(len(ids) for ids, _ in rows)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for row, (ids, labs) in enumerate(rows):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(labs)] = torch.tensor(labs)
        attention[row, : len(ids)] = 1
    return input_ids, attention, labels


def completion_nll(
    model, tokenizer, prompts: Sequence[str], completions: Sequence[str], batch_size: int = 32
) -> list[tuple[float, int]]:
    """For each prompt/completion pair, the summed negative log-likelihood of its completion tokens given
    its prompt, and how many tokens that is (what :func:`perplexity` averages; per pair, so that several
    models can be compared on the pairs all of them scored)."""
    import torch

    if len(prompts) != len(completions):
        raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions; they must pair up")
    device = next(model.parameters()).device
    out: list[tuple[float, int]] = []
    with torch.inference_mode():
        for start in range(0, len(prompts), batch_size):
            input_ids, attention, labels = _completion_batch(
                tokenizer, prompts[start : start + batch_size], completions[start : start + batch_size]
            )
            logits = model(input_ids=input_ids.to(device), attention_mask=attention.to(device)).logits.float()
            targets = labels[:, 1:].to(device)
            nll = torch.nn.functional.cross_entropy(
                logits[:, :-1].transpose(1, 2), targets, ignore_index=-100, reduction="none"
            ).sum(dim=1)
            counts = (targets != -100).sum(dim=1)
            out.extend(zip(nll.tolist(), counts.tolist(), strict=True))
    return out


def perplexity_of(nll: Sequence[tuple[float, int]]) -> float:
    """exp(total NLL / total tokens) of :func:`completion_nll` pairs."""
    total_tokens = sum(n for _, n in nll)
    if total_tokens == 0:
        raise ValueError("no completion tokens to score (all completions were empty after tokenisation)")
    return math.exp(sum(v for v, _ in nll) / total_tokens)


def perplexity(
    model, tokenizer, prompts: Sequence[str], completions: Sequence[str], batch_size: int = 32
) -> float:
    """exp(mean negative log-likelihood of the completion tokens given their prompts).

    Only completion tokens (and the closing end-of-sequence token, which the model is trained to emit)
    count, matching the completion-only SFT loss, so the number is comparable to ``eval_loss``.
    """
    if not prompts:
        raise ValueError("perplexity needs at least one prompt/completion pair")
    return perplexity_of(completion_nll(model, tokenizer, prompts, completions, batch_size))


def _first_line_complete(text: str, ended: bool) -> bool:
    """Whether the first non-empty line of a generation was finished: a newline follows it, or the model
    ended the generation (a cap that cut the line leaves a label's beginning, not a label)."""
    return ended or "\n" in text.lstrip()


def evaluate_classification(
    model, tokenizer, df: pd.DataFrame, batch_size: int = 32, known_labels: Sequence[str] | None = None
) -> tuple[float, pd.DataFrame]:
    """Accuracy of greedy generations on the ``classify`` rows of ``df``, and the per-example predictions.

    Generation is capped at the longest label's token count plus two (the labels of ``df`` and
    ``known_labels``: a known label longer than every test label is still generated whole), enough for a
    label and its end token; the prediction is the generation's first non-empty line, normalised, when
    that line is complete: the model ended it (a newline, or its end-of-sequence token). A first line
    still running when the cap cut it ("shipping" of "shipping_delay_complaint") is no label: its
    prediction is empty, counted invalid, not matched against a label it only begins with. Rows of other
    tasks are ignored; at least one ``classify`` row is required.
    """
    required = {"prompt", "label"}
    if not required <= set(df.columns):
        raise ValueError(f"df is missing columns {sorted(required - set(df.columns))}")
    rows = df[df["task"] == "classify"] if "task" in df.columns else df
    if rows.empty:
        raise ValueError(f"df has no 'classify' rows to evaluate (tasks present: {sorted(df.get('task', pd.Series()).unique())})")
    labels = [normalise_label(label) for label in rows["label"]]
    candidates = set(labels) | {normalise_label(label) for label in known_labels or ()}
    longest = max(len(tokenizer(label, add_special_tokens=False)["input_ids"]) for label in candidates if label)
    answers = generate_answers(
        model, tokenizer, rows["prompt"].tolist(), max_new_tokens=longest + 2, batch_size=batch_size
    )
    generations = [answer.text for answer in answers]
    predictions = [parse_label(a.text) if _first_line_complete(a.text, a.ended) else "" for a in answers]
    result = pd.DataFrame(
        {
            "example_id": rows["example_id"].tolist() if "example_id" in rows else list(range(len(rows))),
            "record_id": rows["record_id"].tolist() if "record_id" in rows else [""] * len(rows),
            "label": labels,
            "prediction": predictions,
            "generation": generations,
            "correct": [p == t for p, t in zip(predictions, labels, strict=True)],
        },
        columns=PREDICTION_COLUMNS,
    )
    return classification_accuracy(predictions, labels), result
