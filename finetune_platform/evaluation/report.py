"""The evaluation report: several models on the same held-out examples, and the promotion gate.

Models are compared on identical examples (the test split's ``classify`` rows for accuracy, a sample of
all tasks for perplexity) so that base, candidate and champion numbers are directly comparable.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field


class EvalSettings(BaseModel):
    """How much held-out data to score, and the bar the candidate must clear."""

    max_classify_examples: int = Field(
        400, ge=10, le=1_000_000, description="Held-out classify examples scored by generation (first N, stable order)."
    )
    max_perplexity_examples: int = Field(
        200, ge=10, le=1_000_000, description="Held-out examples (all tasks) used for perplexity."
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Prompts per generation / scoring batch.")
    min_accuracy_gain: float = Field(
        0.10,
        ge=0.0,
        le=1.0,
        description="The candidate must beat the base model's accuracy by at least this much (absolute).",
    )
    min_examples: int = Field(
        20, ge=1, description="Fewer scored examples than this fails the gate: too little evidence to promote."
    )
    evaluate_champion: bool = Field(
        True, description="Also score the registry's current champion on the same examples (when there is one)."
    )


@dataclass
class ModelScores:
    """One model's numbers on the shared examples."""

    name: str
    accuracy: float
    perplexity: float
    n_classify: int
    n_perplexity: int
    seconds: float
    errors: list[dict[str, str]] = field(default_factory=list)  #: a few wrong predictions, for the report


@dataclass
class GateDecision:
    passed: bool
    reason: str
    accuracy_gain: float
    required_gain: float


def select_examples(test: pd.DataFrame, settings: EvalSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The classify rows and the perplexity rows every model is scored on (deterministic)."""
    classify = test.loc[test["task"] == "classify"].sort_values("example_id").head(settings.max_classify_examples)
    ppl = test.sort_values("example_id").head(settings.max_perplexity_examples)
    if classify.empty:
        raise ValueError(
            "the test split has no 'classify' examples, so task accuracy cannot be measured; "
            f"tasks present: {sorted(test['task'].unique())}"
        )
    return classify, ppl


def score_model(name: str, model: Any, tokenizer: Any, classify: pd.DataFrame, ppl: pd.DataFrame, batch_size: int) -> ModelScores:
    """Accuracy from real greedy generation, and completion perplexity, for one model."""
    from finetune_platform.evaluation.metrics import evaluate_classification, perplexity

    started = time.perf_counter()
    accuracy, predictions = evaluate_classification(model, tokenizer, classify, batch_size=batch_size)
    ppl_value = perplexity(model, tokenizer, ppl["prompt"].tolist(), ppl["completion"].tolist(), batch_size=batch_size)
    wrong = predictions.loc[~predictions["correct"]].head(5)
    return ModelScores(
        name=name,
        accuracy=float(accuracy),
        perplexity=float(ppl_value),
        n_classify=len(classify),
        n_perplexity=len(ppl),
        seconds=time.perf_counter() - started,
        errors=[
            {"example_id": str(r.example_id), "label": str(r.label), "prediction": str(r.prediction)}
            for r in wrong.itertuples(index=False)
        ],
    )


def gate(base: ModelScores, candidate: ModelScores, settings: EvalSettings) -> GateDecision:
    """Does the candidate beat the base model by the configured margin, on enough examples?"""
    gain = candidate.accuracy - base.accuracy
    if candidate.n_classify < settings.min_examples:
        return GateDecision(
            False,
            f"only {candidate.n_classify} examples scored; the gate needs at least {settings.min_examples}",
            gain,
            settings.min_accuracy_gain,
        )
    if gain < settings.min_accuracy_gain:
        return GateDecision(
            False,
            f"accuracy {candidate.accuracy:.3f} beats the base ({base.accuracy:.3f}) by {gain:+.3f}, "
            f"short of the required {settings.min_accuracy_gain:+.3f} by {settings.min_accuracy_gain - gain:.3f}",
            gain,
            settings.min_accuracy_gain,
        )
    return GateDecision(
        True,
        f"accuracy {candidate.accuracy:.3f} beats the base ({base.accuracy:.3f}) by {gain:+.3f} "
        f"(required {settings.min_accuracy_gain:+.3f})",
        gain,
        settings.min_accuracy_gain,
    )


def build_report(scores: dict[str, ModelScores], decision: GateDecision) -> dict[str, Any]:
    """JSON-friendly report: per-model numbers and the gate."""
    return {
        "models": {name: asdict(s) for name, s in scores.items()},
        "gate": asdict(decision),
    }


def report_markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table plus the gate's verdict."""
    rows = [
        {
            "model": name,
            "accuracy": f"{m['accuracy']:.3f}",
            "perplexity": f"{m['perplexity']:.2f}",
            "classify examples": m["n_classify"],
            "seconds": f"{m['seconds']:.1f}",
        }
        for name, m in report["models"].items()
    ]
    gate_ = report["gate"]
    verdict = "PASSED" if gate_["passed"] else "FAILED"
    return pd.DataFrame(rows).to_markdown(index=False) + f"\n\n**Gate {verdict}**: {gate_['reason']}\n"
